"""One place that decides which exceptions are the user's fault (exit 2, one line)."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

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

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            err.print(f"[bold red]error:[/] {shown(one_line(exc))}")
            raise typer.Exit(EXIT_USER_ERROR) from None
