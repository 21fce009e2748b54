"""One place that decides which exceptions are the user's fault (exit 2, one line)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer >= 0.2x carries its own copy of click
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on click
    from click.exceptions import NoArgsIsHelpError, UsageError  # type: ignore[assignment]

from agent_core.errors import AgentInputError
from cli.console import err
from cli.safe_text import one_line, shown
from language.errors import LanguageInputError
from memory.errors import MemoryInputError
from world_model.errors import ModelInputError

USER_ERRORS: tuple[type[Exception], ...] = (AgentInputError, ModelInputError, MemoryInputError, LanguageInputError)
EXIT_USER_ERROR = 2


class WorldmindGroup(TyperGroup):
    """Root command group: turns user errors raised anywhere below into one line and exit 2."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _usage_errors_in_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        try:
            with _usage_errors_in_one_line():
                return super().invoke(ctx)
        except USER_ERRORS as exc:
            err.print(f"[bold red]error:[/] {shown(one_line(exc))}")
            raise typer.Exit(EXIT_USER_ERROR) from None


@contextmanager
def _usage_errors_in_one_line() -> Iterator[None]:
    """A bad option or argument (out of range, missing, unknown) as one line and exit 2, like
    every other bad input; typer's default is a usage block and a framed message."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except UsageError as exc:
        where = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        err.print(f"[bold red]error:[/] {shown(one_line(exc.format_message()))}{shown(where)}")
        raise typer.Exit(EXIT_USER_ERROR) from None
