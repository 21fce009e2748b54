"""Render a real chat session to docs/images/chat.svg, the picture on the README.

Opens the default agent (shipped world model, default language model) in a throwaway data
directory, says a few things to it through the same session the terminal chat uses, and draws the
full-screen chat view as it stands after the last turn. Run it again after a change to the chat
screen or the agent:

    .venv/bin/python scripts/chat_screenshot.py            # --llm keyword-test-double: without the language model
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
LINES = ["go to the green key, then the blue box", "where did you last see the red ball?"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "chat.svg")
    parser.add_argument("--llm", default=None, help="language model (default: the packaged default)")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    os.environ["WORLDMIND_HOME"] = tempfile.mkdtemp(prefix="worldmind-screenshot-")
    from agent_core.assembly import AgentOptions, open_agent
    from cli.chat_cmd import ChatSession, session_screen

    agent = open_agent(AgentOptions(world="tworooms", seed=args.seed, namespace="screenshot", llm=args.llm))
    imagined: list[tuple[float, float]] = []
    try:
        agent.warm_up().join()
        session = ChatSession(agent, lambda role, text: None)
        for line in LINES:
            session.handle(line, on_step=lambda report: imagined.__setitem__(slice(None), report.imagined))
        view = session_screen(session, imagined)
    finally:
        agent.close()
    console = Console(record=True, width=130, height=45, file=io.StringIO(), force_terminal=True)
    console.print(view)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    console.save_svg(str(args.out), title="worldmind chat")
    print(args.out)


if __name__ == "__main__":
    main()
