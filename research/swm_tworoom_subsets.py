"""Score a swm/TwoRoom-v1 goal-frame report (`bench plan ... --json`) on subsets of its episodes.

    PYTHONPATH=. python research/swm_tworoom_subsets.py report.json

The episodes are drawn again from the report's settings (the draw is deterministic) to read
where the agent is at the start and at the goal: cross-wall (start and goal on opposite sides
of the wall, x = 112 in the env's 224 px coordinates), same room, and pairs that do not start
already within the success distance (any policy that stays put wins those).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from agent_core.benchmarks.goal_frame import make_goal_episodes
from examples.gym.swm_tworoom import SUCCESS_DISTANCE

WALL_X = 112.0
POLICIES = ("planner", "random", "greedy", "expert")


def subsets(report: dict) -> dict[str, dict[str, float | int]]:
    where: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for seed in range(report["first_seed"], report["first_seed"] + report["seeds"]):
        drawn, _ = make_goal_episodes(
            report["world"], report["expert"], seed, report["episodes_per_seed"], report["goal_offset"],
            report.get("goals_past_end", True),
        )  # fmt: skip
        for episode in drawn:
            where[episode.world_seed] = (
                np.asarray(episode.start_info["state"]),
                np.asarray(episode.goal_info["state"]),
            )
    groups = {
        "all": lambda s, g: True,
        "cross_wall": lambda s, g: (s[0] - WALL_X) * (g[0] - WALL_X) < 0,
        "same_room": lambda s, g: (s[0] - WALL_X) * (g[0] - WALL_X) >= 0,
        "not_already_there": lambda s, g: np.linalg.norm(s - g) >= SUCCESS_DISTANCE,
    }
    scored: dict[str, dict[str, float | int]] = {}
    for name, keep in groups.items():
        kept = [e for e in report["episodes"] if keep(*where[e["world_seed"]])]
        scored[name] = {"episodes": len(kept)}
        for policy in POLICIES:
            if kept and policy in kept[0]:
                scored[name][policy] = round(float(np.mean([bool(e[policy]) for e in kept])), 3)
    return scored


if __name__ == "__main__":
    print(json.dumps(subsets(json.loads(Path(sys.argv[1]).read_text())), indent=1))
