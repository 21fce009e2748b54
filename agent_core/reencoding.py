"""Bringing a namespace's memories up to the agent that opens them, from their stored facts.

A memory keeps the facts of its moment (where the agent and every object were), and a world
reset with the episode's seed and restored to those facts renders the frame the agent saw. So
when the encoder changes (a retrained or newly shipped checkpoint), every latent can be made
again with the new encoder instead of the memories being lost or silently compared across
spaces; and memories whose captions were written from the world's facts get captions written
from what the agent's perception makes of that frame, the only kind the agent reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from agent_core.perceived import written_from_perception
from agent_core.perception import Perception
from agent_core.worlds import make_world
from agent_core.worlds.base import WorldEnv
from memory import LatentSpaceError, MemoryRecord, MemoryStore
from world_model import WorldModel

Progress = Callable[[int, int], None]


def scene_renderer(store: MemoryStore, world: str) -> Callable[[list[MemoryRecord]], np.ndarray]:
    """Renders the frames [N, H, W, 3] the agent saw at memories of `store`, from their facts.
    Memories of another world cannot be rendered, so such a namespace is refused at once."""
    episodes = store.episodes()
    seeds = {e["id"]: e["seed"] for e in episodes}
    others = sorted({e["world"] for e in episodes} - {world})
    if others:
        raise LatentSpaceError(
            f"namespace {store.namespace!r} holds memories of {', '.join(others)}; a {world} world model cannot "
            f"re-encode them: use another namespace for {world}"
        )
    scenes: dict[int, WorldEnv] = {}

    def frame_of(record: MemoryRecord) -> np.ndarray:
        seed = seeds[record.episode]
        if seed not in scenes:
            scenes[seed] = make_world(world)
            scenes[seed].reset(seed=seed)
        try:
            return scenes[seed].restore(record.facts)
        except (KeyError, TypeError, ValueError) as exc:
            raise LatentSpaceError(
                f"memory #{record.id} cannot be re-encoded: its facts do not describe a {world} scene ({exc!r})"
            ) from None

    return lambda records: np.stack([frame_of(r) for r in records])


def reencode_memories(store: MemoryStore, model: WorldModel, on_progress: Progress | None = None) -> int:
    """Re-encode every memory of `store` with `model`; returns how many."""
    frames = scene_renderer(store, model.config.world)

    @torch.inference_mode()
    def encode(records: list[MemoryRecord]) -> np.ndarray:
        return model.encode(frames(records)).numpy()

    return store.reencode(encode, model.latent_space, on_progress)


def recaption_from_perception(store: MemoryStore, perception: Perception, on_progress: Progress | None = None) -> int:
    """Rewrite, from perception, the captions (and sightings) of memories whose captions were
    written from the world's facts; returns how many."""
    frames = scene_renderer(store, perception.model.config.world)

    def describe(records: list[MemoryRecord]) -> list[tuple[str, Sequence[str]]]:
        return list(perception.captions(frames(records)))

    return store.recaption(lambda caption: not written_from_perception(caption), describe, on_progress)


def open_memory(url: str, namespace: str, model: WorldModel, on_progress: Progress | None = None) -> MemoryStore:
    """The namespace's store in `model`'s latent space, re-encoding its memories first if they
    were made by another encoder (or before encoders were recorded)."""
    try:
        return MemoryStore(url, namespace, model.config.latent_dim, latent_space=model.latent_space)
    except LatentSpaceError:
        previous = MemoryStore(url, namespace)
        try:
            reencode_memories(previous, model, on_progress)
        finally:
            previous.close()
        return MemoryStore(url, namespace, model.config.latent_dim, latent_space=model.latent_space)
