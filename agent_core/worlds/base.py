"""What every worldmind world shares: seeded gymnasium API, facts in `info`, event injection."""

from __future__ import annotations

import json
from abc import abstractmethod
from importlib import resources
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agent_core.errors import WorldError
from agent_core.worlds.drawing import FRAME_SIZE
from agent_core.worlds.events import Event, EventRecord


def load_world_data(name: str) -> dict[str, Any]:
    """Read a world's palette/catalogue JSON shipped in agent_core/worlds/data."""
    text = resources.files("agent_core.worlds").joinpath("data", f"{name}.json").read_text()
    return json.loads(text)


class WorldEnv(gym.Env[np.ndarray, np.ndarray]):
    """A gymnasium environment with 64x64x3 uint8 frames, facts and injectable events.

    Subclasses implement `_reset_state`, `_advance`, `_render_frame`, `_facts`, `_apply_event`
    and `state_arrays`. Injected events are applied at once and reported in the `info` of the
    next `step` (and in `facts()['events']` until then), so an observer sees exactly one record
    per event.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}  # noqa: RUF012 (gymnasium API)
    world_name: ClassVar[str]
    supported_events: ClassVar[frozenset[Event]]

    def __init__(self, render_mode: str | None = "rgb_array") -> None:
        self.render_mode = render_mode
        self.observation_space = gym.spaces.Box(0, 255, (FRAME_SIZE, FRAME_SIZE, 3), np.uint8)
        self.step_count = 0
        self._pending_events: list[EventRecord] = []
        self.seed_value: int | None = None

    # -- gymnasium API -------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
            raise WorldError(f"invalid seed {seed!r}: a seed is a non-negative integer")
        super().reset(seed=None if seed is None else int(seed))
        self.seed_value = None if seed is None else int(seed)
        self.step_count = 0
        self._pending_events = []
        self._reset_state(options or {})
        return self._render_frame(), self.facts()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self._advance(np.asarray(action, dtype=np.float64))
        self.step_count += 1
        info = self.facts()
        self._pending_events = []
        return self._render_frame(), 0.0, False, False, info

    def render(self) -> np.ndarray:
        return self._render_frame()

    # -- events --------------------------------------------------------------------------
    def inject(self, event: str | Event, target: str | None = None) -> EventRecord:
        """Make something (im)possible happen now; the record shows in the next `info`."""
        kind = Event.parse(event)
        if kind not in self.supported_events:
            supported = ", ".join(sorted(e.value for e in self.supported_events))
            raise WorldError(f"{self.world_name} cannot inject {kind.value!r}; it supports {supported}")
        record = self._apply_event(kind, target)
        self._pending_events.append(record)
        return record

    def facts(self) -> dict[str, Any]:
        """JSON-ready facts about the current state (never given to the world model)."""
        facts = self._facts()
        facts["step"] = self.step_count
        facts["events"] = [r.to_dict() for r in self._pending_events]
        return facts

    # -- for subclasses ------------------------------------------------------------------
    @abstractmethod
    def _reset_state(self, options: dict[str, Any]) -> None: ...

    @abstractmethod
    def _advance(self, action: np.ndarray) -> None: ...

    @abstractmethod
    def _render_frame(self) -> np.ndarray: ...

    @abstractmethod
    def _facts(self) -> dict[str, Any]: ...

    @abstractmethod
    def _apply_event(self, event: Event, target: str | None) -> EventRecord: ...

    @abstractmethod
    def state_arrays(self) -> dict[str, np.ndarray]:
        """Fixed-shape float32 physical quantities (NaN where absent) for probes and datasets."""

    @abstractmethod
    def restore(self, facts: dict[str, Any]) -> np.ndarray:
        """Put the movable things back where `facts` (from this seed's scene) says; return the frame."""

    def describe_spaces(self) -> dict[str, Any]:
        """The observation and action spaces, JSON-ready, for `worldmind worlds`."""
        action = self.action_space
        assert isinstance(action, gym.spaces.Box)
        return {
            "observation": {"shape": list(self.observation_space.shape or ()), "dtype": "uint8"},
            "action": {
                "shape": list(action.shape),
                "low": action.low.tolist(),
                "high": action.high.tolist(),
            },
            "events": sorted(e.value for e in self.supported_events),
        }
