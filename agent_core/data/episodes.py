"""Rolling out one episode of a world under a policy into plain arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agent_core.errors import WorldError
from agent_core.worlds import GymWorld, make_world
from agent_core.worlds.gym_world import stack_states
from agent_core.worlds.policies import make_policy

DEFAULT_POLICY = {"tworooms": "noisy-expert", "bounce": "random"}


@dataclass(frozen=True)
class Episode:
    seed: int
    frames: np.ndarray  # [T+1, 64, 64, 3] uint8
    actions: np.ndarray  # [T, A] float32
    states: dict[str, np.ndarray]  # each [T+1, ...] float32
    facts: list[dict[str, Any]]  # T+1 facts dicts (events included)


def run_episode(world: str, policy: str, seed: int, steps: int, noise: float = 0.3) -> Episode:
    """Reset `world` with `seed` and take `steps` actions chosen by `policy`."""
    if steps < 1:
        raise WorldError(f"an episode needs at least one step, got {steps}")
    env = make_world(world)
    try:
        frame, facts = env.reset(seed=seed)
        options = {"noise": noise} if policy == "noisy-expert" else {}
        act = make_policy(policy, env, seed=seed + 1_000_003, **options)
        frames, actions, states, all_facts = [frame], [], [env.state_arrays()], [facts]
        for _ in range(steps):
            action = act(facts)
            if isinstance(env, GymWorld):  # what the world executes: a clipped box or a one-hot vector
                action = env.action_vector(action)
            frame, _, _, _, facts = env.step(action)
            frames.append(frame)
            actions.append(np.asarray(action, dtype=np.float32))
            states.append(env.state_arrays())
            all_facts.append(facts)
    finally:
        env.close()
    return Episode(
        seed=seed,
        frames=np.stack(frames),
        actions=np.stack(actions).reshape(steps, -1),
        states=stack_states(states),
        facts=all_facts,
    )


def common_states(parts: list[dict[str, np.ndarray]], leading: int = 1) -> list[str]:
    """The state quantities every part has (arrays with `leading` axes of steps or episodes
    and steps), with one shape: episodes of a gymnasium world may differ in their `info`."""
    first = parts[0]
    return [
        key for key in first if all(key in s and s[key].shape[leading:] == first[key].shape[leading:] for s in parts)
    ]
