"""Model-predictive control: plan, execute the first k actions, observe, re-encode, replan.

The episode ends when the agent is within the success radius of the goal position (measured
in the world's true state, which the planner never sees) or when the step budget is spent; an
unreachable goal is a normal "not reached" result with the closest distance, never an error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from agent_core.planning.costs import Cost
from agent_core.planning.errors import PlanningError
from agent_core.planning.experience_map import ExperienceMap
from agent_core.planning.optimizers import SamplingPlanner, SearchResult
from agent_core.planning.world_model_protocol import LatentWorldModel, model_timing, probe_tensor
from agent_core.worlds import WorldEnv

SUCCESS_RADIUS = 4.0  # pixels: two full steps of the tworooms agent
BUMP_MIN_PX = 2.0  # imagined first moves shorter than this are too small to call a shortfall


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


def _note_bump(
    experience: ExperienceMap,
    model: LatentWorldModel,
    latent: torch.Tensor,
    plan: SearchResult,
    before: np.ndarray,
    after: np.ndarray,
) -> None:
    """Where the real agent made less than half the progress the model imagined for the first
    step (of at least BUMP_MIN_PX), something the model does not know about stopped it: a
    wall's corner the model cut. The map records a bump just ahead of where the agent stands."""
    if "agent_pos" not in plan.positions:
        return
    with torch.inference_mode():
        start = probe_tensor(model, latent[None], "agent_pos")[0].numpy()
    imagined = plan.positions["agent_pos"][0] - start
    length = float(np.linalg.norm(imagined))
    if length >= BUMP_MIN_PX and float(np.dot(after - before, imagined)) / length < 0.5 * length:
        experience.add_bump(after, imagined)


def run_episode(
    env: WorldEnv,
    model: LatentWorldModel,
    planner: SamplingPlanner,
    cost: Cost,
    goal_position: np.ndarray,
    budget: int,
    execute: int = 1,
    success_radius: float = SUCCESS_RADIUS,
    experience: ExperienceMap | None = None,
) -> EpisodeResult:
    """Drive `env` from its current state towards `goal_position` with MPC.

    `execute` counts model steps; each model step is `frameskip` env steps (see model_timing).
    With an experience map, a first model step that falls short of what the model imagined is
    recorded in it as a bump (see `_note_bump`), so costs that read the map learn the obstacle.
    """
    if budget < 1 or execute < 1:
        raise PlanningError(f"budget and actions per plan must be positive, got {budget}, {execute}")
    frameskip, history_length = model_timing(model)
    goal = np.asarray(goal_position, dtype=np.float64)
    frame, facts = env.render(), env.facts()
    position = np.asarray(facts["agent"], dtype=np.float64)
    result = EpisodeResult(False, 0, float(np.linalg.norm(position - goal)), 0.0)
    result.trace.append(position.tolist())
    result.reached = result.closest_distance <= success_radius
    history: deque[torch.Tensor] = deque(maxlen=history_length)
    warm: torch.Tensor | None = None
    while result.steps < budget and not result.reached:
        with torch.inference_mode():
            history.append(model.encode(frame[None])[0])
        plan = planner.plan(model, torch.stack(list(history)), cost, warm, origin={"agent_pos": position})
        result.plan_seconds.append(plan.seconds)
        if "agent_pos" in plan.positions:
            result.imagined.append(plan.positions["agent_pos"])
        blocks, planned_at = 0, len(result.trace) - 1
        for block in plan.actions[:execute]:
            for action in block.reshape(frameskip, -1):
                frame, _, _, _, facts = env.step(action)
                result.steps += 1
                position = np.asarray(facts["agent"], dtype=np.float64)
                result.trace.append(position.tolist())
                distance = float(np.linalg.norm(position - goal))
                result.closest_distance = min(result.closest_distance, distance)
                result.reached = distance <= success_radius
                if result.reached or result.steps >= budget:
                    break
            blocks += 1
            if result.reached or result.steps >= budget:
                break
            if blocks < execute:  # a block boundary: the model's history gets this frame
                with torch.inference_mode():
                    history.append(model.encode(frame[None])[0])
        if experience is not None and len(result.trace) > planned_at + frameskip:
            before, after = result.trace[planned_at], result.trace[planned_at + frameskip]
            _note_bump(experience, model, history[-1], plan, np.asarray(before), np.asarray(after))
        warm = plan.warm_start(blocks)
    result.final_distance = float(np.linalg.norm(position - goal))
    return result
