"""Options shared by the commands that open an agent (chat, ask, replay, bench chat)."""

from __future__ import annotations

import typer

from agent_core.limits import MAX_NAMESPACE_LENGTH, MAX_SEED


def checked_namespace(name: str | None) -> str | None:
    """A namespace name fits its database column and is not blank (None: the command's default)."""
    if name is not None and not (name.strip() and len(name) <= MAX_NAMESPACE_LENGTH):
        raise typer.BadParameter(f"a namespace is 1 to {MAX_NAMESPACE_LENGTH} characters, not blank")
    return name


NAMESPACE = typer.Option(
    "default", "--namespace", "-n", callback=checked_namespace, help="Agent identity: its memories and chat history."
)
DB = typer.Option(
    None,
    "--db",
    envvar="WORLDMIND_DB_URL",
    help="SQLAlchemy URL of the memory database (default: SQLite in the data directory).",
)
CHECKPOINT = typer.Option(None, "--checkpoint", help="World-model checkpoint folder (default: the shipped one).")
LLM = typer.Option(
    None,
    "--llm",
    envvar="WORLDMIND_LLM",
    help="Language model: [llama.cpp:|transformers:]MODEL, where MODEL is a packaged name or a GGUF file;"
    " or a local Hugging Face model folder. For tests only, 'keyword-test-double' is no language model:"
    " fixed keyword rules that stand in for one.",
)
WORLD = typer.Option("tworooms", "--world", help="World name.")
SEED = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="World seed.")
JSON = typer.Option(False, "--json", help="Print JSON.")
REPORT_JSON = typer.Option(True, "--json/--no-json", help="Print JSON (the default), else a table of the figures.")

# A world is a shipped one (tworooms, bounce) or any gymnasium env: a registered id or
# 'module:EnvId' (the module imported first); these three options wrap a gymnasium env.
WORLD_HELP = "World: tworooms, bounce, or a gymnasium id / 'module:EnvId' (see docs/gymnasium.md)."
WORLD_KWARGS = typer.Option(None, "--world-kwargs", help="JSON object passed to gymnasium.make (gymnasium worlds).")
ACTION_REPEAT = typer.Option(
    None, "--action-repeat", min=1, max=64, help="Gymnasium worlds: env steps per world step (action repeated)."
)
FIT = typer.Option(
    None, "--fit", help="Gymnasium worlds: a non-square frame is made square by pad (default), crop or stretch."
)


def resolve_world(world: str, world_kwargs: str | None, action_repeat: int | None, fit: str | None) -> str:
    """The world's full name (its key): a shipped world's name, or a gymnasium id with options."""
    from agent_core.worlds import world_key

    return world_key(world, world_kwargs, action_repeat, fit)
