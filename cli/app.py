"""The `worldmind` entry point: one typer app assembled from one module per area."""

from __future__ import annotations

import warnings

import typer

from agent_core.limits import MAX_THREADS
from agent_core.runtime import apply_thread_setting
from cli import (
    agent_bench_cmd,  # noqa: F401  (registers `bench agent`)
    ask_bench_cmd,  # noqa: F401  (registers `bench ask`)
    ask_cmd,
    bench_cmd,
    chat_cmd,
    collect_cmd,
    language_cmd,
    memory_cmd,
    model_cmd,
    plan_cmd,
    replay_cmd,
    video_cmd,
    worlds_cmd,
)
from cli.console import err
from cli.errors import WorldmindGroup
from cli.safe_text import one_line, shown

app = typer.Typer(
    cls=WorldmindGroup,
    help="worldmind: a JEPA world-model agent with persistent memory and an LLM that only translates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    threads: int | None = typer.Option(
        None,
        "--threads",
        min=1,
        max=MAX_THREADS,
        envvar="WORLDMIND_THREADS",
        help="CPU threads for torch and the llama.cpp language model (1 often beats 2 on a loaded 2-core machine).",
    ),
) -> None:
    apply_thread_setting(threads)


worlds_cmd.register(app)
collect_cmd.register(app)
model_cmd.register(app)
chat_cmd.register(app)
replay_cmd.register(app)
ask_cmd.register(app)
plan_cmd.register(app)
memory_cmd.register(app)
language_cmd.register(app)
video_cmd.register(app)

app.add_typer(bench_cmd.bench_app, name="bench")


def _show_warning(message: Warning | str, *_: object, **__: object) -> None:
    """Warnings (an index rebuilt after a crash, say) as one line on stderr, not a source listing."""
    err.print(f"[yellow]warning:[/] {shown(one_line(message))}")


def main() -> None:
    warnings.showwarning = _show_warning
    app()
