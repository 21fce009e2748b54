"""`worldmind replay SCRIPT.yaml`: run an episode script, check its expectations, write a report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from agent_core.episode_script import ScriptError, check_against_world, load_script
from agent_core.replay import prepare_report_folder, run_script, write_report
from cli import options
from cli.bench_cmd import bench_app
from cli.console import err, print_json, print_report, progress
from cli.safe_text import shown

if TYPE_CHECKING:
    from agent_core.agent import Agent

EXIT_EXPECTATION_FAILED = 1


def replay(
    script_path: Path = typer.Argument(..., metavar="SCRIPT.yaml", help="Episode script."),
    report_dir: Path = typer.Option(Path("replay-report"), "--report", help="Folder for report.md and surprise.png."),
    namespace: str | None = typer.Option(
        None,
        "--namespace",
        "-n",
        callback=options.checked_namespace,
        help="Memory namespace (default: the script's, else a fresh one).",
    ),
    db: str | None = options.DB,
    checkpoint: Path | None = options.CHECKPOINT,
    llm: str | None = options.LLM,
    as_json: bool = options.JSON,
) -> None:
    """Replay a scripted episode; exit 1 if an expectation fails, 2 if the script is invalid."""
    from agent_core.assembly import AgentOptions
    from cli.agent_opening import open_agent_with_progress

    script = load_script(script_path)
    check_against_world(script, str(script_path))
    prepare_report_folder(report_dir)
    fresh = f"replay-{script_path.stem}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    agent = open_agent_with_progress(
        AgentOptions(
            world=script.world,
            seed=script.seed,
            db_url=db,
            checkpoint=checkpoint,
            llm=llm,
            namespace=namespace or script.namespace or fresh,
        )
    )
    try:
        with progress() as bar:
            task = bar.add_task(f"replay {script_path.name}", total=len(script.steps), status="")

            def on_step(index, step, turn) -> None:
                bar.update(task, advance=1, status=f"{step.kind}")

            result = run_script(script, agent, on_step)
    finally:
        agent.close()
    files = write_report(result, report_dir)
    if as_json:
        print_json(result.to_dict())
    for check in result.checks:
        mark = "[green]ok[/]" if check.passed else "[red]FAILED[/]"
        err.print(f"step {check.step_index}: {shown(check.expectation)}: {mark} ({shown(check.detail)})")
    err.print(f"report: {', '.join(str(f) for f in files)}")
    if not result.passed:
        raise typer.Exit(EXIT_EXPECTATION_FAILED)


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)


@bench_app.command("chat")
def bench_chat(
    examples: Path = typer.Option(Path("examples"), "--examples", help="Folder of episode scripts."),
    llm: str | None = options.LLM,
    as_json: bool = options.REPORT_JSON,
) -> None:
    """Latency per chat turn by stage (p50/p95) and language-to-goal success on the example scripts."""
    from agent_core.assembly import AgentOptions, open_agent
    from agent_core.benchmarks.chat import benchmark_chat

    scripts = sorted(examples.glob("*.yaml"))
    if not scripts:
        raise ScriptError(f"no episode scripts (*.yaml) in {examples}")

    def open_for(script) -> Agent:
        stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
        return open_agent(AgentOptions(world=script.world, seed=script.seed, llm=llm, namespace=f"bench-{stamp}"))

    print_report(benchmark_chat(scripts, open_for), as_json)
