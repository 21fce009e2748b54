"""`worldmind collect`: build an on-disk dataset of episodes."""

from __future__ import annotations

from pathlib import Path

import typer

from agent_core.data import CollectionSpec, collect_dataset
from agent_core.data.episodes import DEFAULT_POLICY
from agent_core.limits import MAX_COLLECT_EPISODES, MAX_COLLECT_STEPS, MAX_SEED, MAX_WORKERS
from cli import options
from cli.console import err, progress


def collect(
    out: Path = typer.Option(..., "--out", help="Dataset folder to create (or resume)."),
    world: str = typer.Option("tworooms", "--world", help=options.WORLD_HELP),
    world_kwargs: str | None = options.WORLD_KWARGS,
    action_repeat: int | None = options.ACTION_REPEAT,
    fit: str | None = options.FIT,
    policy: str | None = typer.Option(
        None,
        "--policy",
        help="random | noisy-expert (tworooms) | module:factory (factory(env, seed) -> act(obs, info)); default per world.",
    ),
    episodes: int = typer.Option(64, "--episodes", min=1, max=MAX_COLLECT_EPISODES, help="Number of episodes."),
    steps: int = typer.Option(100, "--steps", min=1, max=MAX_COLLECT_STEPS, help="Actions per episode."),
    seed: int = typer.Option(
        0, "--seed", min=0, max=MAX_SEED - MAX_COLLECT_EPISODES, help="Seed of the first episode."
    ),
    noise: float = typer.Option(0.3, "--noise", min=0.0, help="Noisy expert's action noise."),
    shard_size: int = typer.Option(16, "--shard-size", min=1, max=MAX_COLLECT_EPISODES, help="Episodes per shard."),
    workers: int = typer.Option(1, "--workers", min=1, max=MAX_WORKERS, help="Parallel worker processes."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing dataset."),
) -> None:
    """Collect episodes into shards with a manifest (resumable; refuses to overwrite)."""
    world = options.resolve_world(world, world_kwargs, action_repeat, fit)
    spec = CollectionSpec(
        world=world,
        policy=policy or DEFAULT_POLICY.get(world, "random"),
        episodes=episodes,
        steps=steps,
        seed=seed,
        noise=noise,
        episodes_per_shard=shard_size,
    )
    spec.validate()
    bar = progress()
    task = None

    def on_shard(done: int, total: int) -> None:
        # Started on the first report, once the output folder was accepted: a refusal stays one line.
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(f"collect {world.split(' ')[0]}", total=total, status="shards")
        bar.update(task, completed=done)

    try:
        collect_dataset(spec, out, workers=workers, force=force, on_shard=on_shard)
    finally:
        bar.stop()
    err.print(f"wrote {spec.episodes} episodes x {spec.steps} steps to {out}")


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)
