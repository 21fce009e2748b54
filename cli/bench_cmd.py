"""`worldmind bench ...`: speed and quality figures as JSON, measured in one run."""

from __future__ import annotations

import typer

from cli.console import print_json

bench_app = typer.Typer(help="Benchmarks that print JSON.", no_args_is_help=True)


@bench_app.command("worlds")
def bench_worlds(
    steps: int = typer.Option(5000, "--steps", min=100, help="Steps per measurement."),
    as_json: bool = typer.Option(True, "--json/--no-json", help="Print JSON (the default)."),
) -> None:
    """Stepping+rendering speed of each world, on one thread."""
    from agent_core.benchmarks.worlds import benchmark_worlds

    print_json(benchmark_worlds(steps))
