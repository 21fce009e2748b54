"""Model-predictive control: plan, execute the first k actions, observe, re-encode, replan.

The episode ends when the agent is within the success radius of the goal position (measured
in the world's true state, which the planner never sees) or when the step budget is spent; an
unreachable goal is a normal "not reached" result with the closest distance, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from agent_core.planning.costs import Cost
from agent_core.planning.errors import PlanningError
from agent_core.planning.model import LatentWorldModel
from agent_core.planning.optimizers import SamplingPlanner
from agent_core.worlds import WorldEnv

SUCCESS_RADIUS = 4.0  # pixels: two full steps of the tworooms agent


@dataclass
class EpisodeResult:
    reached: bool
    steps: int
    closest_distance: float
    final_distance: float
    plan_seconds: list[float] = field(default_factory=list)
    trace: list[list[float]] = field(default_factory=list)  # true agent positions, start first
    imagined: list[np.ndarray] = field(default_factory=list)  # per plan: decoded agent path

    @property
    def ms_per_plan(self) -> float:
        return 1000 * float(np.mean(self.plan_seconds)) if self.plan_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "result": "reached" if self.reached else "not reached",
            "steps": self.steps,
            "closest_distance": round(self.closest_distance, 3),
            "final_distance": round(self.final_distance, 3),
            "plans": len(self.plan_seconds),
            "ms_per_plan": round(self.ms_per_plan, 2),
        }


def run_episode(
    env: WorldEnv,
    model: LatentWorldModel,
    planner: SamplingPlanner,
    cost: Cost,
    goal_position: np.ndarray,
    budget: int,
    execute: int = 1,
    success_radius: float = SUCCESS_RADIUS,
) -> EpisodeResult:
    """Drive `env` from its current state towards `goal_position` with MPC."""
    if budget < 1 or execute < 1:
        raise PlanningError(
            f"budget and actions per plan must be positive, got {budget}, {execute}"
        )
    goal = np.asarray(goal_position, dtype=np.float64)
    frame, facts = env.render(), env.facts()
    position = np.asarray(facts["agent"], dtype=np.float64)
    result = EpisodeResult(False, 0, float(np.linalg.norm(position - goal)), 0.0)
    result.trace.append(position.tolist())
    result.reached = result.closest_distance <= success_radius
    warm: torch.Tensor | None = None
    while result.steps < budget and not result.reached:
        with torch.inference_mode():
            latent = model.encode(frame[None])[0]
        plan = planner.plan(model, latent[None], cost, warm)
        result.plan_seconds.append(plan.seconds)
        if "agent_pos" in plan.positions:
            result.imagined.append(plan.positions["agent_pos"])
        taken = 0
        for action in plan.actions[: min(execute, budget - result.steps)]:
            frame, _, _, _, facts = env.step(action)
            result.steps += 1
            taken += 1
            position = np.asarray(facts["agent"], dtype=np.float64)
            result.trace.append(position.tolist())
            distance = float(np.linalg.norm(position - goal))
            result.closest_distance = min(result.closest_distance, distance)
            if distance <= success_radius:
                result.reached = True
                break
        warm = plan.warm_start(taken)
    result.final_distance = float(np.linalg.norm(position - goal))
    result.reached = result.reached or result.final_distance <= success_radius
    return result
