"""Opening the agent from a command: a progress bar when its memories must be brought up to date first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cli.console import progress
from cli.safe_text import shown

if TYPE_CHECKING:
    from agent_core.agent import Agent
    from agent_core.broca import Broca
    from agent_core.options import AgentOptions


def open_agent_with_progress(options: AgentOptions, broca: Broca | None = None) -> Agent:
    """`open_agent`, showing on stderr how far updating the namespace's memories has got (a newly
    shipped or retrained world model encodes differently, and memories captioned from the world's
    facts are captioned again from perception; nothing is shown otherwise); `broca`, a language
    layer already loaded."""
    from agent_core.assembly import open_agent

    bar = progress(transient=True)
    task = None

    def on_progress(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(
                f"updating the memories of {shown(repr(options.namespace))} for this world model",
                total=total,
                status="",
            )
        bar.update(task, completed=done, total=total)

    try:
        return open_agent(options, on_progress, broca=broca)
    finally:
        bar.stop()
