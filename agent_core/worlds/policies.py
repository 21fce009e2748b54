"""Behaviour policies for data collection and baselines: uniform random and a noisy expert.

A policy is called with the world's facts and returns an action. The noisy expert is what the
planning protocols draw starts and goals from, so its paths must be plausible: it walks
straight to its target, detouring through the door when the target is in the other room.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from agent_core.errors import WorldError
from agent_core.worlds.base import WorldEnv
from agent_core.worlds.gym_world import GymWorld
from agent_core.worlds.tworooms import TwoRoomsEnv


class Policy(Protocol):
    def __call__(self, facts: dict[str, Any]) -> np.ndarray: ...


class RandomPolicy:
    """Uniform random actions from the world's action space (empty for action-free worlds); in
    a gymnasium world with discrete actions, a uniformly drawn one-hot action."""

    def __init__(self, env: WorldEnv, seed: int | None = None) -> None:
        self.shape = env.action_space.shape or ()
        self.choices = env.choices if isinstance(env, GymWorld) else None
        self.rng = np.random.default_rng(seed)

    def __call__(self, facts: dict[str, Any]) -> np.ndarray:
        if self.choices is not None:
            return np.eye(self.choices, dtype=np.float32)[self.rng.integers(self.choices)]
        return self.rng.uniform(-1.0, 1.0, self.shape).astype(np.float32)


def load_callable(text: str, what: str = "policy") -> Callable[..., Any]:
    """The callable `module:name` names (the module imported first); one line if it cannot be."""
    module_name, _, name = text.partition(":")
    if not module_name or not name:
        raise WorldError(f"a {what} is 'module:callable', got {text!r}")
    try:
        found: Any = importlib.import_module(module_name)
        for part in name.split("."):
            found = getattr(found, part)
    except Exception as exc:  # the user's module may fail to import in any way
        raise WorldError(
            f"cannot load {what} {text!r}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
        ) from None
    if not callable(found):
        raise WorldError(f"{what} {text!r} is not callable")
    return found


class ExternalPolicy:
    """A policy written for the env itself: `module:factory`, called once per episode as
    `factory(env, seed)` with the gymnasium env, returning `act(obs, info) -> action` in the
    env's own action space; its actions are handed to the world as canonical vectors."""

    def __init__(self, env: WorldEnv, name: str, seed: int | None = None) -> None:
        if not isinstance(env, GymWorld):
            raise WorldError(f"a module:callable policy drives a gymnasium world, not {env.world_name}")
        self.world = env
        self.name = name
        act = load_callable(name)(env.env, seed)
        if not callable(act):
            raise WorldError(f"policy {name!r} returned {type(act).__name__}, not act(obs, info)")
        self.act = act

    def __call__(self, facts: dict[str, Any]) -> np.ndarray:
        native = self.act(self.world.last_observation, self.world.last_info)
        try:
            return self.world.canonical(native)
        except (TypeError, ValueError) as exc:
            raise WorldError(f"policy {self.name!r} gave an action the env does not take: {exc}") from None


def next_waypoint(env: TwoRoomsEnv, agent: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where to head next: the target itself, or the near side / far side of the door."""
    if env.room_of(agent) == env.room_of(target):
        return target
    c = env.config
    y0, y1 = env.door
    clearance = c.wall_width / 2 + c.agent_radius + 2.0
    side = -1.0 if agent[0] < env.wall_center_x else 1.0
    in_door_band = y0 + c.agent_radius + 0.5 <= agent[1] <= y1 - c.agent_radius - 0.5
    if in_door_band and abs(agent[0] - env.wall_center_x) <= clearance + 0.5:
        through_y = float(np.clip(agent[1], y0 + c.agent_radius + 1, y1 - c.agent_radius - 1))
        return np.array([env.wall_center_x - side * (clearance + 0.5), through_y])
    return np.array([env.wall_center_x + side * clearance, (y0 + y1) / 2])


class NoisyExpertPolicy:
    """Walks to a target (a random free point, redrawn on arrival) with Gaussian action noise."""

    def __init__(
        self,
        env: WorldEnv,
        noise: float = 0.3,
        seed: int | None = None,
        target: np.ndarray | None = None,
    ) -> None:
        if not isinstance(env, TwoRoomsEnv):
            raise WorldError(f"the noisy expert walks in tworooms, not in {env.world_name}")
        if noise < 0:
            raise WorldError(f"noise must be >= 0, got {noise}")
        self.env = env
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.fixed_target = target is not None
        self.target = None if target is None else np.asarray(target, dtype=np.float64)

    def __call__(self, facts: dict[str, Any]) -> np.ndarray:
        agent = np.asarray(facts["agent"], dtype=np.float64)
        if self.target is None or (not self.fixed_target and np.linalg.norm(self.target - agent) < 1.0):
            self.target = self.env.random_free_point(margin=1.0, rng=self.rng)
        heading = (next_waypoint(self.env, agent, self.target) - agent) / self.env.config.max_step
        norm = float(np.linalg.norm(heading))
        if norm > 1.0:
            heading /= norm
        action = heading + self.rng.normal(0.0, self.noise, 2)
        norm = float(np.linalg.norm(action))
        return (action / max(norm, 1.0)).astype(np.float32)


POLICIES = {"random": RandomPolicy, "noisy-expert": NoisyExpertPolicy}


def is_external(name: str) -> bool:
    """Whether a policy name is a `module:callable` rather than a built-in one."""
    return ":" in name


def make_policy(name: str, env: WorldEnv, seed: int | None = None, **kwargs: Any) -> Policy:
    """Build a policy by name or `module:callable`; the noisy expert takes `noise=`."""
    if is_external(name):
        return ExternalPolicy(env, name, seed)
    if name not in POLICIES:
        raise WorldError(f"unknown policy {name!r}; known policies: {', '.join(POLICIES)}")
    if name == "noisy-expert":
        return NoisyExpertPolicy(env, seed=seed, **kwargs)
    return RandomPolicy(env, seed=seed)
