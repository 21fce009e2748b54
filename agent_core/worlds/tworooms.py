"""Two rooms joined by a door: a point agent, walls it cannot cross, and named landmarks.

Coordinates are in pixels of the 64x64 frame (x to the right, y down). The action is a 2-D
displacement in units of `max_step`, projected onto the unit disc, so a step moves at most
`max_step` pixels. The agent slides along walls instead of stopping dead, which keeps the
noisy expert's trajectories smooth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agent_core.errors import WorldError
from agent_core.worlds.base import WorldEnv, load_world_data
from agent_core.worlds.drawing import FRAME_SIZE, blank, fill_rect, shape_mask, stamp
from agent_core.worlds.events import Event, EventRecord

CATALOGUE = load_world_data("tworooms")
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 (half-open)


@dataclass(frozen=True)
class TwoRoomsConfig:
    max_step: float = 2.0
    agent_radius: float = 1.5
    border: float = 2.0
    wall_x: float = 31.0
    wall_width: float = 2.0
    door_height: float = 12.0
    object_radius: int = 3
    reach: float = 6.0
    objects: tuple[str, ...] = tuple(CATALOGUE["default_objects"])
    colors: dict[str, list[int]] = field(default_factory=lambda: dict(CATALOGUE["colors"]))

    def __post_init__(self) -> None:
        unknown = [name for name in self.objects if name not in CATALOGUE["objects"]]
        if unknown:
            known = ", ".join(CATALOGUE["objects"])
            raise WorldError(f"unknown tworooms object(s) {unknown}; known: {known}")
        shapes = [CATALOGUE["objects"][name]["shape"] for name in self.objects]
        if len(set(shapes)) != len(shapes):
            raise WorldError("tworooms objects must have distinct shapes")


@dataclass
class Landmark:
    name: str
    position: np.ndarray
    color: tuple[int, int, int]
    shape: str
    present: bool = True


class TwoRoomsEnv(WorldEnv):
    world_name = "tworooms"
    supported_events: ClassVar[frozenset[Event]] = frozenset(
        {Event.VANISH, Event.TELEPORT, Event.COLOR_CHANGE, Event.AGENT_TELEPORT, Event.PASS_THROUGH}
    )

    def __init__(self, config: TwoRoomsConfig | None = None, render_mode: str | None = "rgb_array"):
        super().__init__(render_mode)
        self.config = config or TwoRoomsConfig()
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.agent = np.zeros(2)
        self.door = (0.0, 0.0)  # y0, y1 of the gap in the middle wall
        self.walls: list[Rect] = []
        self.landmarks: list[Landmark] = []
        self._background = blank(self.config.colors["floor"])

    # -- geometry ------------------------------------------------------------------------
    @property
    def wall_center_x(self) -> float:
        return self.config.wall_x + self.config.wall_width / 2

    def room_of(self, position: np.ndarray | tuple[float, float]) -> str:
        return "left" if position[0] < self.wall_center_x else "right"

    def level_with_door(self, position: np.ndarray | tuple[float, float]) -> bool:
        """A straight move across the middle wall from here would go through the door, not the wall."""
        r = self.config.agent_radius
        return bool(self.door[0] - r < position[1] < self.door[1] + r)

    def is_free(self, position: np.ndarray | tuple[float, float], radius: float | None = None) -> bool:
        """True when a disc of `radius` (default: the agent's) at `position` touches no wall."""
        r = self.config.agent_radius if radius is None else radius
        x, y = float(position[0]), float(position[1])
        for x0, y0, x1, y1 in self.walls:
            dx = x - min(max(x, x0), x1)
            dy = y - min(max(y, y0), y1)
            if dx * dx + dy * dy < r * r:
                return False
        return True

    def _build_walls(self, door_center: float) -> None:
        c, s = self.config, float(FRAME_SIZE)
        half = c.door_height / 2
        self.door = (door_center - half, door_center + half)
        wx0, wx1 = c.wall_x, c.wall_x + c.wall_width
        self.walls = [
            (0, 0, s, c.border),
            (0, s - c.border, s, s),
            (0, 0, c.border, s),
            (s - c.border, 0, s, s),
            (wx0, 0, wx1, self.door[0]),
            (wx0, self.door[1], wx1, s),
        ]

    def random_free_point(
        self,
        margin: float = 0.0,
        away_from: list[np.ndarray] | None = None,
        min_distance: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """A uniformly drawn free position (rejection sampling; the world's RNG by default)."""
        rng = self.np_random if rng is None else rng
        for _ in range(10_000):
            point = rng.uniform(0, FRAME_SIZE, size=2)
            if not self.is_free(point, self.config.agent_radius + margin):
                continue
            if all(np.linalg.norm(point - other) >= min_distance for other in away_from or []):
                return point
        raise WorldError("could not place an object: the tworooms configuration is too crowded")

    # -- WorldEnv hooks ------------------------------------------------------------------
    def _reset_state(self, options: dict[str, Any]) -> None:
        c = self.config
        door_center = float(self.np_random.uniform(c.border + c.door_height, FRAME_SIZE - c.border - c.door_height))
        self._build_walls(door_center)
        placed: list[np.ndarray] = []
        self.landmarks = []
        for name in c.objects:
            spec = CATALOGUE["objects"][name]
            pos = self.random_free_point(margin=c.object_radius, away_from=placed, min_distance=12)
            placed.append(pos)
            self.landmarks.append(Landmark(name, pos, tuple(spec["color"]), spec["shape"]))
        if "agent" in options:
            self.agent = np.asarray(options["agent"], dtype=np.float64)
            if self.agent.shape != (2,) or not self.is_free(self.agent):
                raise WorldError(f"agent start {options['agent']!r} is not a free position")
        else:
            self.agent = self.random_free_point(away_from=placed, min_distance=6)
        self._draw_background()

    def _advance(self, action: np.ndarray) -> None:
        if action.shape != (2,) or not np.all(np.isfinite(action)):
            raise WorldError(f"tworooms actions are 2 finite numbers, got {action!r}")
        norm = float(np.linalg.norm(action))
        if norm > 1.0:
            action = action / norm
        self.agent = self.move(self.agent, action * self.config.max_step)

    def move(self, start: np.ndarray, displacement: np.ndarray) -> np.ndarray:
        """Move in sub-steps of at most half a pixel, sliding along any wall that blocks."""
        substeps = max(1, math.ceil(float(np.linalg.norm(displacement)) / 0.5))
        delta = displacement / substeps
        x, y = float(start[0]), float(start[1])
        for _ in range(substeps):
            if self.is_free((x + delta[0], y + delta[1])):
                x, y = x + delta[0], y + delta[1]
            elif self.is_free((x + delta[0], y)):
                x += delta[0]
            elif self.is_free((x, y + delta[1])):
                y += delta[1]
        return np.array([x, y])

    def _draw_background(self) -> None:
        frame = blank(self.config.colors["floor"])
        for x0, y0, x1, y1 in self.walls:
            fill_rect(frame, x0, y0, x1, y1, self.config.colors["wall"])
        for mark in self.landmarks:
            if mark.present:
                stamp(
                    frame,
                    shape_mask(mark.shape, self.config.object_radius),
                    mark.position,
                    mark.color,
                )
        self._background = frame

    def _render_frame(self) -> np.ndarray:
        return self.frame_with_agent_at(self.agent)

    def frame_with_agent_at(self, position: np.ndarray | tuple[float, float]) -> np.ndarray:
        """The current scene with the agent drawn at `position` (e.g. to render a goal)."""
        frame = self._background.copy()
        stamp(frame, shape_mask("square", 2), position, self.config.colors["agent"])
        return frame

    def _facts(self) -> dict[str, Any]:
        present = [m for m in self.landmarks if m.present]
        room = self.room_of(self.agent)
        return {
            "world": self.world_name,
            "agent": [round(float(v), 3) for v in self.agent],
            "room": room,
            "door": {"x": self.wall_center_x, "y0": self.door[0], "y1": self.door[1]},
            "objects": {
                m.name: {
                    "position": [round(float(v), 3) for v in m.position],
                    "room": self.room_of(m.position),
                    "color": list(m.color),
                }
                for m in present
            },
            "near": [m.name for m in present if np.linalg.norm(m.position - self.agent) <= self.config.reach],
            "visible": [m.name for m in present if self.line_of_sight(self.agent, m.position)],
        }

    def line_of_sight(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Same room, or the straight segment between the rooms crosses the door gap."""
        if self.room_of(a) == self.room_of(b):
            return True
        t = (self.wall_center_x - a[0]) / (b[0] - a[0])
        y = a[1] + t * (b[1] - a[1])
        return bool(self.door[0] <= y <= self.door[1])

    def state_arrays(self) -> dict[str, np.ndarray]:
        objects = np.array([m.position if m.present else (np.nan, np.nan) for m in self.landmarks])
        return {
            "agent_pos": self.agent.astype(np.float32),
            "object_pos": objects.astype(np.float32),
        }

    def restore(self, facts: dict[str, Any]) -> np.ndarray:
        self.agent = np.asarray(facts["agent"], dtype=np.float64)
        self.step_count = int(facts.get("step", 0))
        for mark in self.landmarks:
            seen = facts["objects"].get(mark.name)
            mark.present = seen is not None
            if seen is not None:
                mark.position = np.asarray(seen["position"], dtype=np.float64)
                mark.color = tuple(seen["color"])
        self._draw_background()
        return self._render_frame()

    def landmark(self, name: str | None) -> Landmark:
        """The landmark called `name` (any present one, chosen by the world's RNG, if None)."""
        if name is None:
            present = [m for m in self.landmarks if m.present]
            if not present:
                raise WorldError("no object is left to act on")
            return present[int(self.np_random.integers(len(present)))]
        for mark in self.landmarks:
            if mark.name == name.strip().lower():
                return mark
        raise WorldError(f"unknown object {name!r}; this world has {', '.join(m.name for m in self.landmarks)}")

    def _apply_event(self, event: Event, target: str | None) -> EventRecord:
        details: dict[str, Any] = {}
        if event is Event.AGENT_TELEPORT:
            old = self.agent.copy()
            self.agent = self.random_free_point(away_from=[old], min_distance=20)
            details = {"from": old.round(3).tolist(), "to": self.agent.round(3).tolist()}
            return EventRecord(event, self.step_count, "agent", details)
        if event is Event.PASS_THROUGH:
            if self.level_with_door(self.agent):
                raise WorldError("the agent is level with the door: there is no wall to pass through here")
            old = self.agent.copy()
            mirrored = np.array([2 * self.wall_center_x - old[0], old[1]])
            if not self.is_free(mirrored):
                mirrored = self.random_free_point(away_from=[old], min_distance=0)
                while self.room_of(mirrored) == self.room_of(old):
                    mirrored = self.random_free_point()
            self.agent = mirrored
            details = {"from": old.round(3).tolist(), "to": mirrored.round(3).tolist()}
            return EventRecord(event, self.step_count, "agent", details)
        mark = self.landmark(target)
        if not mark.present:
            raise WorldError(f"the {mark.name} has already vanished")
        if event is Event.VANISH:
            mark.present = False
            details = {"position": mark.position.round(3).tolist()}
        elif event is Event.TELEPORT:
            old = mark.position.copy()
            others = [m.position for m in self.landmarks if m is not mark] + [old]
            mark.position = self.random_free_point(self.config.object_radius, others, 20)
            details = {"from": old.round(3).tolist(), "to": mark.position.round(3).tolist()}
        elif event is Event.COLOR_CHANGE:
            old_color = mark.color
            used = {m.color for m in self.landmarks}
            palette = [tuple(spec["color"]) for spec in CATALOGUE["objects"].values()]
            mark.color = next(c for c in palette if c not in used)
            details = {"from": list(old_color), "to": list(mark.color)}
        self._draw_background()
        return EventRecord(event, self.step_count, mark.name, details)
