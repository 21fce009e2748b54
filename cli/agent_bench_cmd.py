"""`worldmind bench agent`: the chat agent's tasks with the world's facts hidden (agent_core/benchmarks/agent.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.bench_cmd import bench_app
from cli.console import print_report, progress


@bench_app.command("agent")
def bench_agent(
    lives: int = typer.Option(20, "--lives", min=1, max=200, help="Held-out world seeds, five tasks each."),
    first_seed: int = typer.Option(0, "--first-seed", min=0, max=1_000_000, help="Offset of the first held-out seed."),
    familiarise: int = typer.Option(
        0,
        "--familiarise",
        min=0,
        max=5000,
        help="Model steps of walking about before the tasks, counted apart (0: a fresh agent).",
    ),
    reference: bool = typer.Option(
        True, "--reference/--no-reference", help="Also run the facts-reading agent of before issue 19."
    ),
    llm: str = typer.Option("keyword-test-double", "--llm", help="Language model (default: the keyword rules)."),
    checkpoint: Path | None = typer.Option(None, "--checkpoint", help="Checkpoint folder (default: shipped)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Task success with the facts hidden, steps against the expert's, time per step, and the reference."""
    from agent_core.benchmarks.agent import benchmark_agent

    with progress() as bar:
        task = bar.add_task("agent lives", total=lives, status="")
        report = benchmark_agent(
            lives, familiarise, first_seed, checkpoint, llm, reference, on_life=lambda _: bar.advance(task)
        )
    print_report(report, as_json)
