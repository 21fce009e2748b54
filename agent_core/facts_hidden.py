"""A world whose facts the agent cannot read: proof that it decides from pixels and memory only.

`FactsHiddenWorld` wraps a world and hands out each step's facts as `HiddenFacts`, which raise
on any read. The one way through is `agent_core.perceived.for_storage`, which stores them beside
a memory as ground truth. The wrapper keeps the real facts for whoever scores the agent
(`truth()`): a test or `bench agent`, never the agent.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from agent_core.worlds.base import WorldEnv


class FactsReadError(AssertionError):
    """The agent read the world's facts."""


class HiddenFacts:
    """Facts no one may read; only `for_storage` hands them, whole, to the memory store."""

    __slots__ = ("_facts",)

    def __init__(self, facts: dict[str, Any]) -> None:
        object.__setattr__(self, "_facts", facts)

    @staticmethod
    def stored_copy(hidden: HiddenFacts) -> dict[str, Any]:
        return dict(object.__getattribute__(hidden, "_facts"))

    def _refuse(self, *_: Any, **__: Any) -> NoReturn:
        raise FactsReadError("the agent read the world's facts")

    __getitem__ = __contains__ = __iter__ = __len__ = __eq__ = __bool__ = _refuse
    get = keys = items = values = copy = _refuse

    def __getattr__(self, name: str) -> NoReturn:
        raise FactsReadError(f"the agent read the world's facts ({name})")

    __hash__ = None  # type: ignore[assignment]


class FactsHiddenWorld:
    """`world` with its facts hidden (see the module docstring). Frames, actions and injected
    events pass through; `restore` (the simulator's own persistence) takes stored facts."""

    def __init__(self, world: WorldEnv) -> None:
        self.world = world
        self.world_name = world.world_name
        self.action_space = world.action_space
        self.supported_events = world.supported_events

    def truth(self) -> dict[str, Any]:
        """The real facts now, for scoring: not for the agent."""
        return self.world.facts()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, Any]:
        frame, facts = self.world.reset(seed=seed, options=options)
        return frame, HiddenFacts(facts)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, Any]:
        frame, reward, terminated, truncated, facts = self.world.step(action)
        return frame, reward, terminated, truncated, HiddenFacts(facts)

    def facts(self) -> HiddenFacts:
        return HiddenFacts(self.world.facts())

    def restore(self, facts: dict[str, Any]) -> np.ndarray:
        return self.world.restore(facts)

    def render(self) -> np.ndarray:
        return self.world.render()

    def inject(self, event: Any, target: str | None = None) -> Any:
        return self.world.inject(event, target)
