"""Opening the agent from a command: a progress bar when its memories must be re-encoded first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cli.console import progress
from cli.safe_text import shown

if TYPE_CHECKING:
    from agent_core.agent import Agent
    from agent_core.broca import Broca
    from agent_core.options import AgentOptions


def open_agent_with_progress(options: AgentOptions, broca: Broca | None = None) -> Agent:
    """`open_agent`, showing on stderr how far re-encoding the namespace's memories has got (a
    newly shipped or retrained world model encodes differently; nothing is shown otherwise); `broca`, a
    language layer already loaded."""
    from agent_core.assembly import open_agent

    bar = progress(transient=True)
    task = None

    def on_reencode(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(
                f"re-encoding {shown(repr(options.namespace))} for this world model", total=total, status=""
            )
        bar.update(task, completed=done)

    try:
        return open_agent(options, on_reencode, broca=broca)
    finally:
        bar.stop()
