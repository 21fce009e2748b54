"""`worldmind worlds` and `worldmind world show`: what worlds exist and what they look like."""

from __future__ import annotations

from pathlib import Path

import typer

from agent_core.limits import MAX_SEED
from agent_core.worlds import WORLDS, make_world
from cli.console import err, out, print_json
from cli.terminal_frames import frame_to_text

world_app = typer.Typer(help="Look at one world.", no_args_is_help=True)


def list_worlds(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List the worlds with their observation and action spaces and injectable events."""
    rows = []
    for name, (gym_id, _) in WORLDS.items():
        rows.append({"name": name, "gym_id": gym_id, **make_world(name).describe_spaces()})
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table("world", "gym id", "observation", "action", "events")
    for row in rows:
        table.add_row(
            row["name"],
            row["gym_id"],
            str(row["observation"]["shape"]),
            str(row["action"]["shape"]),
            ", ".join(row["events"]),
        )
    out.print(table)


@world_app.command("show")
def show(
    world: str = typer.Argument("tworooms", help="World name."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Seed of the scene."),
    png: Path | None = typer.Option(None, "--png", help="Write a PNG (scaled x8) instead."),
    as_json: bool = typer.Option(False, "--json", help="Print the facts as JSON."),
) -> None:
    """Draw a world's first frame in the terminal (half-block pixels) or to a PNG."""
    env = make_world(world)
    frame, facts = env.reset(seed=seed)
    if as_json:
        print_json(facts)
    elif png is not None:
        from agent_core.imaging import save_png

        save_png(frame, png, scale=8)
        err.print(f"wrote {png}")
    else:
        out.print(frame_to_text(frame), end="")


def register(app: typer.Typer) -> None:
    app.command("worlds")(list_worlds)
    app.add_typer(world_app, name="world")
