"""Assembling a real agent: shipped checkpoint, memory database, language model, planner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_core.agent import Agent
from agent_core.broca import Broca
from agent_core.checkpoints import checkpoint_folder, shipped_checkpoint
from agent_core.navigation import Navigator
from agent_core.options import AgentOptions
from agent_core.perception import Perception
from agent_core.perception_heads import PerceptionHeads
from agent_core.reencoding import open_memory
from agent_core.runtime import default_db_url
from agent_core.worlds import WorldEnv, make_world
from world_model import WorldModel


def load_world_model(world: str, checkpoint: Path | None = None) -> WorldModel:
    """Load `checkpoint` (default: the shipped one) and check that it is for `world`."""
    return WorldModel.load(checkpoint_folder(world, checkpoint), world=world)


def open_agent(
    options: AgentOptions,
    on_reencode: Callable[[int, int], None] | None = None,
    wrap_world: Callable[[WorldEnv], Any] | None = None,
    broca: Broca | None = None,
) -> Agent:
    """Everything checked before anything is written: checkpoint, then LLM, then database.

        Memories made by another encoder (an older shipped checkpoint, say) are re-encoded from
        their facts first; `on_reencode(done, total)` reports that progress. `wrap_world` wraps the
        world the agent gets (e.g. `FactsHiddenWorld`, which hides its facts); `broca`, a language layer
    already loaded (default: `Broca.load` of the options' model)."""
    world = make_world(options.world)
    world.reset(seed=options.seed)
    model = load_world_model(options.world, options.checkpoint)
    heads = None
    if model.config.encoder == "cnn":
        heads = PerceptionHeads.load(options.checkpoint or shipped_checkpoint(options.world), model)
    perception = Perception(model, heads)
    movable = bool(world.action_space.shape and world.action_space.shape[0]) and "agent_pos" in model.probes
    planner = Navigator(model, seed=options.seed, kind=options.planner) if movable and heads is not None else None
    broca = broca or Broca.load(options.llm, options.rephrase)
    memory = open_memory(options.db_url or default_db_url(), options.namespace, model, on_reencode)
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
