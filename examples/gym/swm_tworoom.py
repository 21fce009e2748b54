"""stable-worldmodel's swm/TwoRoom-v1 as a worldmind world (install the `swm` extra).

    worldmind collect --world examples.gym.swm_tworoom:swm/TwoRoom-v1 --policy examples.gym.swm_tworoom:expert ...

Importing this module imports stable_worldmodel, which registers its envs with gymnasium.
`expert` wraps swm's own ExpertPolicy (it walks to the env's target through a door);
`success` is the env's own test (it terminates within 16 px of its target), applied to the
goal frame's agent position.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import stable_worldmodel  # noqa: F401 - registers swm/* with gymnasium
from stable_worldmodel.envs.two_room import ExpertPolicy

SUCCESS_DISTANCE = 16.0  # swm TwoRoomEnv.step: terminated = dist < 16.0

# LeWM's settings where they carry over to a 64 px CPU model: one model step is 5 env steps
# (its action_block), and one latent of history (the env has no momentum: a frame is the whole
# state). Expert episodes stop at the env's target (about 30 steps), so windows are short:
# 1 latent + 2 rollout steps + 2 = 5 model steps, 21 frames.
WORLDMIND_RECIPE = {
    "collections": [
        {"policy": "examples.gym.swm_tworoom:expert", "episodes": 1500, "steps": 64, "seed": 0},
        {"policy": "random", "episodes": 300, "steps": 64, "seed": 10_000},
    ],
    "model": {"frameskip": 5, "history": 1, "latent_dim": 128},
    "train": {"steps": 2500, "rollout_steps": 2},
}


def expert(env: Any, seed: int):
    policy = ExpertPolicy(action_noise=0.3, seed=seed)
    policy.set_env(env)

    def act(obs: Any, info: dict[str, Any]) -> np.ndarray:
        return np.asarray(policy.get_action(info), dtype=np.float32)

    return act


def success(goal_info: dict[str, Any], info: dict[str, Any]) -> bool:
    distance = np.linalg.norm(np.asarray(info["state"]) - np.asarray(goal_info["state"]))
    return bool(distance < SUCCESS_DISTANCE)


IMG_SIZE = 224  # TwoRoomEnv renders 224x224; worldmind's frames are that, resized to 64x64


def agent_in_frame(frame: np.ndarray) -> np.ndarray:
    """Where the agent (the red dot on a white floor, black walls) is in a worldmind frame, in
    the env's 224 px coordinates: the redness-weighted centroid."""
    rgb = np.asarray(frame, dtype=np.float64)
    redness = np.clip(rgb[..., 0] - 0.5 * (rgb[..., 1] + rgb[..., 2]), 0.0, None)
    redness = np.where(redness > 0.5 * redness.max(), redness, 0.0)
    ys, xs = np.indices(redness.shape)
    total = redness.sum()
    scale = IMG_SIZE / frame.shape[1]
    return np.array([(xs * redness).sum() / total, (ys * redness).sum() / total]) * scale + 0.5 * scale - 0.5


def greedy_to_goal_frame(env: Any, seed: int, goal_frame: np.ndarray):
    """The greedy goal-frame baseline (no model): straight at where the agent is in the goal
    frame, ignoring the wall; the current position is the env's own `info["state"]`."""
    target = agent_in_frame(goal_frame)

    def act(obs: Any, info: dict[str, Any]) -> np.ndarray:
        step = (target - np.asarray(info["state"], dtype=np.float64)) / 5.0  # the env's default speed
        return np.clip(step, -1.0, 1.0).astype(np.float32)

    return act
