"""Goals: what the planner should reach, as a latent, a probe-decoded position, or both.

A goal frame gives a latent (and, through the agent probe, where the agent would be); a stored
memory gives its latent directly; an object name is resolved through the object probe on the
current latent, so the agent walks to where its own model believes the object is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from agent_core.planning.costs import Cost, GoalLatentCost, ProbePositionCost, TravelFieldCost
from agent_core.planning.errors import PlanningError
from agent_core.planning.experience_map import ExperienceMap
from agent_core.planning.world_model_protocol import LatentWorldModel, probe_tensor


@dataclass(frozen=True)
class Goal:
    latent: torch.Tensor | None  # [D]
    position: np.ndarray | None  # [2] pixels, as the probes decode it
    description: str

    def cost(
        self, last_only: bool = False, position_weight: float = 0.0, experience: ExperienceMap | None = None
    ) -> Cost:
        """Latent distance when the goal has a latent, else distance of the decoded position.

        With `position_weight` > 0 and a decoded goal position, the agent-probe distance is
        added: it keeps pulling where latent distances flatten out near the goal.
        """
        if self.latent is None:
            return self._position_cost(last_only, experience)
        cost: Cost = GoalLatentCost(self.latent, last_only=last_only)
        if position_weight > 0 and self.position is not None:
            cost = cost + position_weight * self._position_cost(last_only, experience)
        return cost

    def _position_cost(self, last_only: bool, experience: ExperienceMap | None) -> Cost:
        """How far the decoded agent is from the goal position: in a straight line, or, with
        experience, along the ground the agent has walked (around walls, through doors)."""
        assert self.position is not None
        if experience is None:
            return ProbePositionCost(torch.as_tensor(self.position), last_only=last_only)
        return TravelFieldCost(experience, self.position, last_only=last_only)


def goal_from_frame(model: LatentWorldModel, frame: np.ndarray) -> Goal:
    """Encode a goal image [64,64,3]; its decoded agent position (if probed) is kept for reports."""
    with torch.inference_mode():
        latent = model.encode(frame[None])[0].float()
        position = None
        if "agent_pos" in model.probe(latent[None]):
            position = probe_tensor(model, latent[None], "agent_pos")[0].numpy()
    return Goal(latent, position, "goal frame")


def goal_from_latent(latent: np.ndarray | torch.Tensor, description: str = "memory") -> Goal:
    """A latent stored in memory (a remembered observation) as the goal."""
    return Goal(torch.as_tensor(latent).float().reshape(-1), None, description)


def goal_from_object(model: LatentWorldModel, current: torch.Tensor, name: str, object_names: Sequence[str]) -> Goal:
    """Where the object probe, read on the current latent [D], places the object `name`."""
    wanted = name.strip().lower()
    if wanted not in object_names:
        raise PlanningError(f"unknown object {name!r}; this world has {', '.join(object_names)}")
    with torch.inference_mode():
        objects = probe_tensor(model, current.reshape(1, -1), "object_pos")[0]
    position = objects[list(object_names).index(wanted)].numpy()
    return Goal(None, position, f"the {wanted}")
