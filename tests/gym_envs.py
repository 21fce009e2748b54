"""Tiny gymnasium envs for the adapter's tests, registered on import (`tests.gym_envs:ID`).

Dot: a 3x3 white dot on a 40x24 black canvas (not square: the adapter pads it), moved by a
Box action in [-2, 2]^2 (not [-1, 1]: the adapter rescales), seen only through its rgb_array
render; `info["pos"]` is where it is and `info["success"]` whether it sits on the goal cell
given by `reset(options={"goal": (x, y)})`. DotDiscrete: the same dot moved by Discrete(5)
(stay, left, right, up, down), observed as an image. Blind: no image and no render.
Multi: a MultiDiscrete action space. Short: ends after 3 steps.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

WIDTH, HEIGHT = 40, 24
MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.float64)


class DotEnv(gym.Env[np.ndarray, np.ndarray]):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}  # noqa: RUF012 (gymnasium API)

    def __init__(
        self, render_mode: str | None = None, speed: float = 1.0, limit: int | None = None, flag: bool = True
    ) -> None:
        self.render_mode = render_mode
        self.flag = flag
        self.speed = speed
        self.limit = limit
        self.observation_space = gym.spaces.Box(-100.0, 100.0, (2,), np.float32)
        self.action_space = gym.spaces.Box(-2.0, 2.0, (2,), np.float32)
        self.pos = np.zeros(2)
        self.goal: np.ndarray | None = None
        self.steps = 0

    def _info(self) -> dict[str, Any]:
        success = self.goal is not None and bool(np.abs(self.pos - self.goal).max() <= 1.5)
        info = {"pos": self.pos.copy(), "success": success, "label": "not a number"}
        if not self.flag:
            del info["success"]
        return info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.pos = self.np_random.uniform([2, 2], [WIDTH - 3, HEIGHT - 3])
        goal = (options or {}).get("goal")
        self.goal = None if goal is None else np.asarray(goal, dtype=np.float64)
        self.steps = 0
        return self.pos.astype(np.float32), self._info()

    def _move(self, delta: np.ndarray) -> None:
        self.pos = np.clip(self.pos + self.speed * delta, [1, 1], [WIDTH - 2, HEIGHT - 2])

    def step(self, action: np.ndarray):
        self._move(np.clip(np.asarray(action, dtype=np.float64), -2, 2))
        self.steps += 1
        truncated = self.limit is not None and self.steps >= self.limit
        return self.pos.astype(np.float32), 0.0, False, truncated, self._info()

    def render(self) -> np.ndarray:
        canvas = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
        x, y = np.round(self.pos).astype(int)
        canvas[y - 1 : y + 2, x - 1 : x + 2] = 255
        return canvas


class DotDiscreteEnv(DotEnv):
    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode)
        self.observation_space = gym.spaces.Box(0, 255, (HEIGHT, WIDTH, 3), np.uint8)
        self.action_space = gym.spaces.Discrete(5)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        _, info = super().reset(seed=seed, options=options)
        return self.render(), info

    def step(self, action: int):
        self._move(2 * MOVES[int(action)])
        return self.render(), 0.0, False, False, self._info()


class JitterEnv(DotEnv):
    """Moves with noise that no seed controls: it cannot be replayed to a start state."""

    def step(self, action: np.ndarray):
        return super().step(np.asarray(action) + np.random.default_rng().normal(0, 0.5, 2))


class BlindEnv(DotEnv):
    metadata = {"render_modes": [], "render_fps": 10}  # noqa: RUF012 (gymnasium API)


class MultiEnv(DotEnv):
    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(render_mode)
        self.action_space = gym.spaces.MultiDiscrete([3, 3])


def greedy_expert(env: gym.Env[Any, Any], seed: int):
    """An expert in the env's own action space: heads for a random point, redrawn on arrival."""
    rng = np.random.default_rng(seed)
    target = rng.uniform([3, 3], [WIDTH - 4, HEIGHT - 4])

    def act(obs: Any, info: dict[str, Any]) -> np.ndarray:
        nonlocal target
        pos = np.asarray(info["pos"], dtype=np.float64)
        if np.abs(target - pos).max() < 1.0:
            target = rng.uniform([3, 3], [WIDTH - 4, HEIGHT - 4])
        return np.clip(target - pos, -2, 2).astype(np.float32)

    return act


def reached(goal_info: dict[str, Any], info: dict[str, Any]) -> bool:
    """Success test for the goal-frame protocol: the dot within 1.5 px of the goal frame's."""
    return bool(np.abs(np.asarray(info["pos"]) - np.asarray(goal_info["pos"])).max() <= 1.5)


def broken_policy(env: gym.Env[Any, Any], seed: int):
    return "not callable"


for _id, _cls in (
    ("Dot-v0", DotEnv),
    ("DotDiscrete-v0", DotDiscreteEnv),
    ("Blind-v0", BlindEnv),
    ("Multi-v0", MultiEnv),
    ("Jitter-v0", JitterEnv),
):
    if f"worldmind-test/{_id}" not in gym.registry:
        gym.register(f"worldmind-test/{_id}", entry_point=f"{__name__}:{_cls.__name__}")
if "worldmind-test/Short-v0" not in gym.registry:
    gym.register("worldmind-test/Short-v0", entry_point=f"{__name__}:DotEnv", kwargs={"limit": 3})


def greedy_to_goal_frame(env: gym.Env[Any, Any], seed: int, goal_frame: np.ndarray):
    """The greedy goal-frame baseline: heads straight for where the dot is in the goal frame
    (64x64, the 40x24 canvas padded to 40x40), with no model."""
    ys, xs = np.nonzero(goal_frame.max(axis=2) > 128)
    scale = WIDTH / goal_frame.shape[1]
    target = np.array([xs.mean() * scale - 0.5, ys.mean() * scale - 0.5 - (WIDTH - HEIGHT) / 2])

    def act(obs: Any, info: dict[str, Any]) -> np.ndarray:
        return np.clip(target - np.asarray(info["pos"], dtype=np.float64), -2, 2).astype(np.float32)

    return act
