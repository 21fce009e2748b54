"""`worldmind ask "..."`: a question answered from the agent's memory, with its sources."""

from __future__ import annotations

from pathlib import Path

import typer

from cli import options
from cli.console import out, print_json
from cli.safe_text import shown


def ask(
    question: str = typer.Argument(..., help='For example: "where did you last see the blue box?"'),
    world: str = options.WORLD,
    seed: int = options.SEED,
    namespace: str = options.NAMESPACE,
    db: str | None = options.DB,
    checkpoint: Path | None = options.CHECKPOINT,
    llm: str | None = options.LLM,
    as_json: bool = options.JSON,
) -> None:
    """Answer from memory through the language layer, listing the memories used."""
    from agent_core.asking import ask as answer
    from agent_core.options import AgentOptions
    from cli.agent_opening import open_agent_with_progress

    turn = answer(
        AgentOptions(world=world, seed=seed, namespace=namespace, db_url=db, checkpoint=checkpoint, llm=llm),
        question,
        open_agent_with_progress,
    )
    if as_json:
        print_json(turn.to_dict())
        return
    out.print(shown(turn.reply))
    for memory in turn.memories_used:
        out.print(
            f"  [dim]memory #{memory['id']} (episode {memory['episode']}, step {memory['step']}): "
            f"{shown(memory['caption'])}[/]"
        )


def register(app: typer.Typer) -> None:
    app.command("ask")(ask)
