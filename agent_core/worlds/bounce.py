"""Balls under gravity bouncing off walls and floor, behind an occluder: intuitive physics.

The world is action-free (its action space is empty). Impossible events are injected through
the same `inject` API as every world; `agent_core.worlds.clips` builds matched pairs of possible
and impossible clips from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agent_core.errors import WorldError
from agent_core.worlds.base import WorldEnv, load_world_data
from agent_core.worlds.drawing import FRAME_SIZE, blank, fill_rect, shape_mask, stamp
from agent_core.worlds.events import Event, EventRecord

PALETTE = load_world_data("bounce")
MAX_BALLS = len(PALETTE["balls"])


@dataclass(frozen=True)
class BounceConfig:
    gravity: float = 0.2
    restitution: float = 1.0
    radius: int = 3
    min_balls: int = 1
    max_balls: int = MAX_BALLS
    wall: float = 2.0
    floor_height: float = 5.0
    occluder_width: float = 12.0
    occluder_margin: float = 16.0  # the occluder's centre stays this far from the frame's edges
    occluder_top: float = 10.0
    substeps: int = 4
    colors: dict[str, list[int]] = field(default_factory=lambda: dict(PALETTE["colors"]))

    def __post_init__(self) -> None:
        if not 1 <= self.min_balls <= self.max_balls <= MAX_BALLS:
            raise WorldError(f"bounce needs 1 <= min_balls <= max_balls <= {MAX_BALLS}")

    @property
    def floor_y(self) -> float:
        return FRAME_SIZE - self.floor_height

    @property
    def occluder_range(self) -> tuple[float, float]:
        """Where the occluder's centre may be: clear of the side walls, so a ball always has
        room to pass behind it and come out on either side."""
        return self.occluder_margin, FRAME_SIZE - self.occluder_margin


@dataclass
class Ball:
    name: str
    position: np.ndarray
    velocity: np.ndarray
    color: tuple[int, int, int]
    present: bool = True
    passes_next_contact: bool = False  # set by a pass_through injection
    escaped: bool = False  # went through a wall or the floor: no more collisions


class BounceEnv(WorldEnv):
    world_name = "bounce"
    supported_events: ClassVar[frozenset[Event]] = frozenset(
        {Event.VANISH, Event.TELEPORT, Event.PASS_THROUGH, Event.REVERSE, Event.COLOR_CHANGE}
    )

    def __init__(self, config: BounceConfig | None = None, render_mode: str | None = "rgb_array"):
        super().__init__(render_mode)
        self.config = config or BounceConfig()
        self.action_space = gym.spaces.Box(0.0, 0.0, (0,), np.float32)
        self.balls: list[Ball] = []
        self.occluder_x = FRAME_SIZE / 2
        self.contacts: list[tuple[str, str]] = []  # (ball, surface) hit during the last step
        self._background = blank(self.config.colors["background"])

    # -- WorldEnv hooks ------------------------------------------------------------------
    def _reset_state(self, options: dict[str, Any]) -> None:
        c, rng = self.config, self.np_random
        n_balls = int(options.get("n_balls", rng.integers(c.min_balls, c.max_balls + 1)))
        if not 1 <= n_balls <= MAX_BALLS:
            raise WorldError(f"n_balls must be between 1 and {MAX_BALLS}, got {n_balls}")
        names = list(PALETTE["balls"])[:n_balls]
        self.balls = []
        for name in names:
            position = np.array([rng.uniform(12, FRAME_SIZE - 12), rng.uniform(10, 30)])
            speed_x = rng.uniform(0.6, 1.6) * rng.choice([-1.0, 1.0])
            velocity = np.array([speed_x, rng.uniform(-1.0, 1.0)])
            self.balls.append(Ball(name, position, velocity, tuple(PALETTE["balls"][name])))
        self.occluder_x = float(options.get("occluder_x", rng.uniform(*c.occluder_range)))
        self.contacts = []
        self._background = self._draw_background()

    def _draw_background(self) -> np.ndarray:
        c = self.config
        frame = blank(c.colors["background"])
        fill_rect(frame, 0, 0, FRAME_SIZE, c.wall, c.colors["wall"])
        fill_rect(frame, 0, 0, c.wall, FRAME_SIZE, c.colors["wall"])
        fill_rect(frame, FRAME_SIZE - c.wall, 0, FRAME_SIZE, FRAME_SIZE, c.colors["wall"])
        fill_rect(frame, 0, c.floor_y, FRAME_SIZE, FRAME_SIZE, c.colors["floor"])
        return frame

    def _advance(self, action: np.ndarray) -> None:
        self.contacts = []
        dt = 1.0 / self.config.substeps
        for _ in range(self.config.substeps):
            for ball in self.balls:
                ball.velocity[1] += self.config.gravity * dt
                ball.position += ball.velocity * dt
                if not ball.escaped:
                    self._collide(ball)

    def _collide(self, ball: Ball) -> None:
        """Reflect off walls, ceiling and floor, unless a pass-through was injected."""
        c, r = self.config, self.config.radius
        surfaces = (
            ("left wall", 0, c.wall + r, 1.0),
            ("right wall", 0, FRAME_SIZE - c.wall - r, -1.0),
            ("ceiling", 1, c.wall + r, 1.0),
            ("floor", 1, c.floor_y - r, -1.0),
        )
        for surface, axis, limit, inward in surfaces:
            overshoot = (limit - ball.position[axis]) * inward
            if overshoot <= 0:
                continue
            self.contacts.append((ball.name, surface))
            if ball.passes_next_contact:
                ball.escaped = True
                ball.passes_next_contact = False
                return
            ball.position[axis] = limit + overshoot * inward
            ball.velocity[axis] = abs(ball.velocity[axis]) * inward * c.restitution

    def occluder_span(self) -> tuple[float, float]:
        half = self.config.occluder_width / 2
        return self.occluder_x - half, self.occluder_x + half

    def is_hidden(self, ball: Ball) -> bool:
        """Fully behind the occluder (so a vanish there is only caught by object permanence)."""
        x0, x1 = self.occluder_span()
        r = self.config.radius
        x, y = ball.position
        # One pixel of slack on each side absorbs the rounding of the drawn disc.
        return bool(x0 + 1 <= x - r and x + r <= x1 - 1 and y - r >= self.config.occluder_top + 1)

    def _render_frame(self) -> np.ndarray:
        c = self.config
        frame = self._background.copy()
        disc = shape_mask("disc", c.radius)
        for ball in self.balls:
            if ball.present:
                stamp(frame, disc, ball.position, ball.color)
        # Walls, ceiling and floor are solid: a ball passing through them is drawn over by them.
        fill_rect(frame, 0, c.floor_y, FRAME_SIZE, FRAME_SIZE, c.colors["floor"])
        fill_rect(frame, 0, 0, FRAME_SIZE, c.wall, c.colors["wall"])
        fill_rect(frame, 0, 0, c.wall, FRAME_SIZE, c.colors["wall"])
        fill_rect(frame, FRAME_SIZE - c.wall, 0, FRAME_SIZE, FRAME_SIZE, c.colors["wall"])
        x0, x1 = self.occluder_span()
        fill_rect(frame, x0, c.occluder_top, x1, c.floor_y, c.colors["occluder"])
        return frame

    def _facts(self) -> dict[str, Any]:
        x0, x1 = self.occluder_span()
        return {
            "world": self.world_name,
            "balls": {
                b.name: {
                    "position": [round(float(v), 3) for v in b.position],
                    "velocity": [round(float(v), 3) for v in b.velocity],
                    "present": b.present,
                    "hidden": self.is_hidden(b),
                    "color": list(b.color),
                }
                for b in self.balls
            },
            "occluder": {
                "x0": x0,
                "x1": x1,
                "y0": self.config.occluder_top,
                "y1": self.config.floor_y,
            },
            "contacts": [f"{ball} hit the {surface}" for ball, surface in self.contacts],
        }

    def state_arrays(self) -> dict[str, np.ndarray]:
        pos = np.full((MAX_BALLS, 2), np.nan, dtype=np.float32)
        vel = np.full((MAX_BALLS, 2), np.nan, dtype=np.float32)
        for i, ball in enumerate(self.balls):
            if ball.present:
                pos[i], vel[i] = ball.position, ball.velocity
        return {"ball_pos": pos, "ball_vel": vel}

    def restore(self, facts: dict[str, Any]) -> np.ndarray:
        self.step_count = int(facts.get("step", 0))
        for ball in self.balls:
            state = facts["balls"][ball.name]
            ball.position = np.asarray(state["position"], dtype=np.float64)
            ball.velocity = np.asarray(state["velocity"], dtype=np.float64)
            ball.present = bool(state["present"])
            ball.color = tuple(state["color"])
        return self._render_frame()

    def ball(self, name: str | None) -> Ball:
        """The ball called `name`, or the first ball when None."""
        if name is None:
            return self.balls[0]
        for ball in self.balls:
            if ball.name == name.strip().lower():
                return ball
        raise WorldError(f"unknown ball {name!r}; this clip has {', '.join(b.name for b in self.balls)}")

    def _apply_event(self, event: Event, target: str | None) -> EventRecord:
        ball = self.ball(target)
        if not ball.present:
            raise WorldError(f"the {ball.name} has already vanished")
        details: dict[str, Any] = {"position": ball.position.round(3).tolist()}
        if event is Event.VANISH:
            ball.present = False
        elif event is Event.TELEPORT:
            old = ball.position.copy()
            while np.linalg.norm(ball.position - old) < 20:
                ball.position = np.array(
                    [
                        self.np_random.uniform(10, FRAME_SIZE - 10),
                        self.np_random.uniform(10, self.config.floor_y - 10),
                    ]
                )
            details = {"from": old.round(3).tolist(), "to": ball.position.round(3).tolist()}
        elif event is Event.PASS_THROUGH:
            ball.passes_next_contact = True
        elif event is Event.REVERSE:
            ball.velocity = -ball.velocity
        elif event is Event.COLOR_CHANGE:
            details["from"] = list(ball.color)
            ball.color = tuple(PALETTE["color_change_to"])
        return EventRecord(event, self.step_count, ball.name, details)
