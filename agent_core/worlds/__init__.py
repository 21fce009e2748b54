"""Simulated worlds (gymnasium environments) and the registry that names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

from agent_core.errors import WorldError
from agent_core.worlds.base import WorldEnv
from agent_core.worlds.bounce import BounceEnv
from agent_core.worlds.events import Event, EventRecord
from agent_core.worlds.gym_world import GymWorld, GymWorldSpec, world_key
from agent_core.worlds.tworooms import TwoRoomsEnv

DEFAULT_WORLD = "tworooms"
WORLDS: dict[str, tuple[str, Callable[..., WorldEnv]]] = {
    "tworooms": ("worldmind/TwoRooms-v0", TwoRoomsEnv),
    "bounce": ("worldmind/Bounce-v0", BounceEnv),
}

for _name, (_gym_id, _cls) in WORLDS.items():
    if _gym_id not in gym.registry:
        gym.register(id=_gym_id, entry_point=f"{_cls.__module__}:{_cls.__name__}")


def is_shipped(name: str) -> bool:
    """Whether `name` is one of the worlds worldmind ships (by short name or gymnasium id)."""
    return any(name in (short, gym_id) for short, (gym_id, _) in WORLDS.items())


def make_world(name: str, **kwargs: Any) -> WorldEnv:
    """Build a world by its short name ('tworooms'), its gymnasium id ('worldmind/TwoRooms-v0'),
    or any gymnasium env's id or 'module:EnvId', with its options (see `gym_world`)."""
    for short, (gym_id, cls) in WORLDS.items():
        if name in (short, gym_id):
            return cls(**kwargs)
    if not isinstance(name, str) or not name.strip():
        raise WorldError(f"unknown world {name!r}; known worlds: {', '.join(WORLDS)} or a gymnasium id")
    return GymWorld(name, **kwargs)


def object_names(facts: dict[str, Any]) -> list[str]:
    """The objects a world's facts list: the names a user may refer to in a request."""
    return sorted(facts.get("objects", facts.get("balls", {})))


__all__ = [
    "DEFAULT_WORLD",
    "WORLDS",
    "BounceEnv",
    "Event",
    "EventRecord",
    "GymWorld",
    "GymWorldSpec",
    "TwoRoomsEnv",
    "WorldEnv",
    "is_shipped",
    "make_world",
    "object_names",
    "world_key",
]
