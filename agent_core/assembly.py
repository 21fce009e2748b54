"""Assembling a real agent: shipped checkpoint, memory database, language model, planner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_core.agent import Agent
from agent_core.ball_readout import BallReadout
from agent_core.broca import Broca
from agent_core.checkpoints import checkpoint_folder, shipped_checkpoint
from agent_core.navigation import Navigator
from agent_core.options import AgentOptions
from agent_core.perception import Perception
from agent_core.perception_heads import PerceptionHeads
from agent_core.reencoding import open_memory, recaption_from_perception
from agent_core.runtime import default_db_url
from agent_core.worlds import WorldEnv, make_world
from world_model import WorldModel


def load_world_model(world: str, checkpoint: Path | None = None) -> WorldModel:
    """Load `checkpoint` (default: the shipped one) and check that it is for `world`."""
    return WorldModel.load(checkpoint_folder(world, checkpoint), world=world)


def open_agent(
    options: AgentOptions,
    on_progress: Callable[[int, int], None] | None = None,
    wrap_world: Callable[[WorldEnv], Any] | None = None,
    broca: Broca | None = None,
) -> Agent:
    """Everything checked before anything is written: checkpoint, then LLM, then database.

    Memories made by another encoder (an older shipped checkpoint, say) are re-encoded from
    their facts first, and memories captioned from the world's facts (by agents that read them)
    are captioned again from perception; `on_progress(done, total)` reports either. `wrap_world`
    wraps the world the agent gets (e.g. `FactsHiddenWorld`, which hides its facts); `broca`, a
    language layer already loaded (default: `Broca.load` of the options' model)."""
    world = make_world(options.world)
    world.reset(seed=options.seed)
    model = load_world_model(options.world, options.checkpoint)
    folder = options.checkpoint or shipped_checkpoint(options.world)
    heads = PerceptionHeads.load(folder, model) if model.config.encoder == "cnn" else None
    perception = Perception(model, heads, BallReadout.load(folder, model))
    movable = bool(world.action_space.shape and world.action_space.shape[0]) and "agent_pos" in model.probes
    planner = Navigator(model, seed=options.seed, kind=options.planner) if movable and heads is not None else None
    broca = broca or Broca.load(options.llm, options.rephrase)
    memory = open_memory(options.db_url or default_db_url(), options.namespace, model, on_progress)
    if perception.perceives:
        recaption_from_perception(memory, perception, on_progress)
    return Agent(
        world if wrap_world is None else wrap_world(world),
        perception,
        planner,
        memory,
        broca,
        namespace=options.namespace,
        seed=options.seed,
        surprise_threshold=perception.surprise_threshold,
        span=perception.span,
    )
