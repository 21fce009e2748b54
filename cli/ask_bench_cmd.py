"""`worldmind bench ask`: process start to answer of `worldmind ask` (agent_core/benchmarks/ask.py)."""

from __future__ import annotations

import typer

from agent_core.limits import MAX_THREADS
from cli.bench_cmd import bench_app
from cli.console import print_report, progress


@bench_app.command("ask")
def bench_ask(
    llms: list[str] = typer.Option(
        [], "--llm", help="Language model to time (repeatable). Default: the default model and the keyword test double."
    ),
    cold: int = typer.Option(3, "--cold", min=0, max=50, help="Runs with no saved prompt, per model."),
    warm: int = typer.Option(10, "--warm", min=0, max=200, help="Runs with the prompt saved, per model."),
    threads: int = typer.Option(1, "--ask-threads", min=1, max=MAX_THREADS, help="--threads of each `ask` run."),
    question: str | None = typer.Option(
        None, "--question", help="What each run asks (default: where the blue box was)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Seconds from spawning `worldmind ask` to its answer, p50/p95, cold and warm, per model."""
    from agent_core.benchmarks.ask import benchmark_ask
    from language.chat_models import TEST_DOUBLE
    from language.model_files import DEFAULT_MODEL

    chosen = llms or [DEFAULT_MODEL, TEST_DOUBLE]
    with progress() as bar:
        task = bar.add_task("bench ask", total=(cold + warm) * len(chosen), status="")
        report = benchmark_ask(
            chosen, cold, warm, threads, question, on_run=lambda llm, phase: bar.update(task, advance=1, status=phase)
        )
    print_report(report, as_json)
