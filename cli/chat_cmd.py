"""`worldmind chat`: talk to the agent in the terminal (rich screen, or plain lines)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.live import Live

from agent_core.errors import AgentInputError
from agent_core.exchange import DEFAULT_WAIT, MAX_WAIT
from agent_core.reports import StepReport
from agent_core.worlds.facts import describe
from cli import options
from cli.chat_view import disagreements, perceived_lines, screen, sparkline
from cli.console import err, out
from cli.safe_text import printable, shown

if TYPE_CHECKING:
    from agent_core.agent import Agent

HELP = """commands:
  /help              this help
  /world             the world's truth beside what the agent perceives
  /memory            the most recent memories
  /surprise          the surprise curve and the alert threshold
  /wait [N]          let N steps pass, doing nothing but watch (default {default_wait}, at most {max_wait})
  /inject EVENT [OBJECT]   make the world do something (im)possible: {events}
  /reset             start a new episode in the same world (memories stay)
  /quit              leave (Ctrl-D too); Ctrl-C stops the current action
anything else is said to the agent: "go to the red ball", "where did you see the blue box?"."""
MOVING_COMMANDS = ("/wait", "/inject")  # commands during which the world moves on screen


@contextmanager
def ctrl_c_stops(agent: Agent):
    """While the agent acts, Ctrl-C asks it to stop after the current step."""
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        agent.request_stop()

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class ChatSession:
    """Dispatches lines (slash commands or natural language) and keeps the conversation."""

    def __init__(self, agent: Agent, show: Callable[[str, str], None]) -> None:
        self.agent = agent
        self.show = show  # (role, text) -> None
        self.turns: list[tuple[str, str]] = [(t["role"], t["text"]) for t in agent.chat_history(20)]
        self.running = True

    def add(self, role: str, text: str) -> None:
        self.turns.append((role, text))
        self.show(role, text)

    def handle(
        self,
        line: str,
        on_step: Callable[[StepReport], None] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> None:
        line = line.strip()
        if not line:
            return
        if line.startswith("/"):
            self.command(line, on_step)
            return
        self.add("user", line)
        with ctrl_c_stops(self.agent):
            turn = self.agent.say(line, on_step=on_step, on_token=on_token)
        self.add("agent", turn.reply)

    def command(self, line: str, on_step: Callable[[StepReport], None] | None = None) -> None:
        name, *args = line.split()
        if name == "/help":
            events = ", ".join(sorted(e.value for e in self.agent.world.supported_events))
            self.add("system", HELP.format(events=events, default_wait=DEFAULT_WAIT, max_wait=MAX_WAIT))
        elif name == "/quit":
            self.running = False
        elif name == "/world":
            self.add("system", self.world_report())
        elif name == "/wait":
            self.wait(args, on_step)
        elif name == "/memory":
            rows = self.agent.recent_memories(8)
            text = "\n".join(f"#{m['id']} step {m['step']}: {m['caption']}" for m in rows)
            self.add("system", text or "no memories yet")
        elif name == "/surprise":
            curve = self.agent.surprise_history
            self.add(
                "system",
                f"{sparkline(curve)}  latest {curve[-1]:.3f}, alert above {self.agent.surprise_threshold:.3f}"
                if curve
                else "no surprise yet",
            )
        elif name == "/inject":
            if not args:
                self.add("system", "usage: /inject EVENT [OBJECT]")
                return
            try:
                turn = self.agent.inject(args[0], " ".join(args[1:]) or None, on_step=on_step)
            except AgentInputError as exc:
                self.add("system", str(exc))
                return
            self.add("agent", turn.reply)
        elif name == "/reset":
            self.agent.reset()
            self.add("system", "new episode: the world is reset, memories are kept")
        else:
            self.add("system", f"unknown command {name}; /help lists the commands")

    def world_report(self) -> str:
        """`/world`: the truth (which the agent never reads) beside what it perceives, and where
        the two differ."""
        truth = describe(self.agent.facts)
        percept = self.agent.percept or self.agent.glimpse
        if percept is None:
            return truth
        differ = disagreements(percept, self.agent.facts)
        return "\n".join([f"true: {truth}", perceived_lines(percept), "differs: " + ("; ".join(differ) or "nothing")])

    def wait(self, args: list[str], on_step: Callable[[StepReport], None] | None) -> None:
        """`/wait [N]`: the world goes on for N steps while the agent only watches (and may be
        surprised): in bounce, the only way to see whether a ball comes back out."""
        if len(args) > 1 or (args and not (args[0].isdigit() and 1 <= int(args[0]) <= MAX_WAIT)):
            self.add("system", f"usage: /wait [N], N a whole number of steps from 1 to {MAX_WAIT}")
            return
        with ctrl_c_stops(self.agent):
            turn = self.agent.wait(int(args[0]) if args else DEFAULT_WAIT, on_step=on_step)
        self.add("agent", turn.reply)


def run_plain(session: ChatSession) -> None:
    """Line mode: for pipes, scripts and NO_COLOR terminals."""
    while session.running:
        try:
            line = input("you> ")
        except EOFError:
            break
        except KeyboardInterrupt:
            print()
            continue
        session.handle(line)


def session_screen(session: ChatSession, imagined: list[tuple[float, float]]) -> Any:
    """The full chat screen for the session as it stands, with the agent's imagined path."""
    agent = session.agent
    return screen(
        agent.frame,
        imagined,
        agent.facts,
        agent.percept or agent.glimpse,
        agent.recent_memories(6),
        agent.surprise_history,
        agent.surprise_threshold,
        session.turns,
    )


def run_rich(session: ChatSession) -> None:
    """Full screen: redraw after every turn, animate the world while the agent acts."""
    imagined: list[tuple[float, float]] = []

    def render() -> Any:
        return session_screen(session, imagined)

    while session.running:
        out.clear()
        out.print(render())
        try:
            line = out.input("[bold cyan]you>[/] ")
        except EOFError:
            break
        except KeyboardInterrupt:
            continue
        if not line.strip().startswith("/") or line.split()[0] in MOVING_COMMANDS:
            with Live(render(), console=out, refresh_per_second=12, transient=True) as live:

                def on_step(report: StepReport) -> None:
                    imagined[:] = report.imagined
                    live.update(render())

                session.handle(line, on_step=on_step)
        else:
            session.handle(line)


def chat(
    world: str = options.WORLD,
    seed: int = options.SEED,
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    checkpoint: Path | None = options.CHECKPOINT,
    llm: str | None = options.LLM,
    plain: bool = typer.Option(False, "--plain", help="Line mode even on a terminal."),
) -> None:
    """Chat with the agent on a world (default: tworooms). Type /help inside."""
    from agent_core.assembly import AgentOptions
    from cli.agent_opening import open_agent_with_progress

    agent = open_agent_with_progress(
        AgentOptions(world=world, seed=seed, namespace=namespace, db_url=db, checkpoint=checkpoint, llm=llm)
    )
    agent.warm_up()
    interactive = sys.stdout.isatty() and sys.stdin.isatty() and not os.environ.get("NO_COLOR")
    try:
        if plain or not interactive:
            session = ChatSession(agent, lambda role, text: print(f"{role}: {printable(text)}", flush=True))
            err.print(f"worldmind chat on {agent.world_name} (namespace {shown(agent.namespace)}); /help, /quit")
            run_plain(session)
        else:
            run_rich(ChatSession(agent, lambda role, text: None))
    finally:
        agent.close()


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)
