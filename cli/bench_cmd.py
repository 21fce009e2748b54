"""`worldmind bench ...`: speed and quality figures as JSON, measured in one run."""

from __future__ import annotations

import typer

from cli import options
from cli.console import print_report

bench_app = typer.Typer(help="Benchmarks that print JSON.", no_args_is_help=True)


@bench_app.command("worlds")
def bench_worlds(
    steps: int = typer.Option(5000, "--steps", min=100, help="Steps per measurement."),
    as_json: bool = options.REPORT_JSON,
) -> None:
    """Stepping+rendering speed of each world, on one thread."""
    from agent_core.benchmarks.worlds import benchmark_worlds

    print_report(benchmark_worlds(steps), as_json)
