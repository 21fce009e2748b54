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

WORLDMIND_RECIPE = {
    "collections": [
        {"policy": "examples.gym.swm_tworoom:expert", "episodes": 300, "steps": 64, "seed": 0},
        {"policy": "random", "episodes": 100, "steps": 64, "seed": 10_000},
    ],
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
