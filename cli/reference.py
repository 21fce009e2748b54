"""The CLI reference (docs/cli.md) rendered from the commands' own declarations.

The reference is generated, never written by hand, so it cannot drift from `--help`: a test
renders it again and compares. Regenerate with `python -m cli.reference > docs/cli.md`.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer
import typer.core

HEADER = """# CLI reference

Generated from the commands' `--help` by `python -m cli.reference > docs/cli.md`; a test fails
when this file is stale. Every command also takes `--help`. Exit codes: 0 success, 1 a check
that did not pass (`memory check`, a replay's expectations), 2 bad input (one line on stderr;
nothing stored is changed).
"""


def _cell(text: str) -> str:
    """One Markdown table cell: a single line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _parameter_rows(command: Any, ctx: Any) -> list[str]:
    """Each argument and option as `--help` shows it: names with metavar, help with defaults."""
    rows = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None and param.name != "help":
            names, help_text = record
            rows.append(f"| `{_cell(names)}` | {_cell(help_text)} |")
    return ["| argument / option | meaning |", "|---|---|", *rows, ""] if rows else []


def _command_section(command: Any, path: list[str], parent: Any) -> list[str]:
    ctx = command.context_class(command, info_name=path[-1], parent=parent)
    lines = [f"{'#' * min(len(path) + 1, 4)} `{' '.join(path)}`", ""]
    if command.help:
        lines += [inspect.cleandoc(command.help), ""]
    lines += ["```text", command.get_usage(ctx), "```", ""]
    lines += _parameter_rows(command, ctx)
    if isinstance(command, typer.core.TyperGroup):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines += _command_section(sub, [*path, name], ctx)
    return lines


def render_reference(app: typer.Typer) -> str:
    """Markdown for every command and option of `app`, in a stable order."""
    root = typer.main.get_command(app)
    return HEADER + "\n" + "\n".join(_command_section(root, ["worldmind"], None))


if __name__ == "__main__":
    from cli.app import app

    print(render_reference(app), end="")
