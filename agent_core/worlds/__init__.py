"""Simulated worlds (gymnasium environments) and the registry that names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

from agent_core.errors import WorldError
from agent_core.worlds.base import WorldEnv
from agent_core.worlds.bounce import BounceEnv
from agent_core.worlds.events import Event, EventRecord
from agent_core.worlds.tworooms import TwoRoomsEnv

DEFAULT_WORLD = "tworooms"
WORLDS: dict[str, tuple[str, Callable[..., WorldEnv]]] = {
    "tworooms": ("worldmind/TwoRooms-v0", TwoRoomsEnv),
    "bounce": ("worldmind/Bounce-v0", BounceEnv),
}

for _name, (_gym_id, _cls) in WORLDS.items():
    if _gym_id not in gym.registry:
        gym.register(id=_gym_id, entry_point=f"{_cls.__module__}:{_cls.__name__}")


def make_world(name: str, **kwargs: Any) -> WorldEnv:
    """Build a world by its short name ('tworooms') or gymnasium id ('worldmind/TwoRooms-v0')."""
    for short, (gym_id, cls) in WORLDS.items():
        if name in (short, gym_id):
            return cls(**kwargs)
    raise WorldError(f"unknown world {name!r}; known worlds: {', '.join(WORLDS)}")


def object_names(facts: dict[str, Any]) -> list[str]:
    """The objects a world's facts list: the names a user may refer to in a request."""
    return sorted(facts.get("objects", facts.get("balls", {})))


__all__ = [
    "DEFAULT_WORLD",
    "WORLDS",
    "BounceEnv",
    "Event",
    "EventRecord",
    "TwoRoomsEnv",
    "WorldEnv",
    "make_world",
    "object_names",
]
