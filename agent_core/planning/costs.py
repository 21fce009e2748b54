"""Composable costs over a batch of imagined futures.

A cost maps a `Rollout` (N candidate futures of T steps) to N numbers; lower is better.
Costs add and scale (`2.0 * GoalLatentCost(z) + ActionMagnitudeCost()`), so a goal can mix a
latent target, a probe-decoded position and an effort penalty without new planner code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch

from agent_core.planning.model import LatentWorldModel, probe_tensor


@dataclass
class Rollout:
    """Candidate action sequences [N,T,A], their predicted latents [N,T,D], probes on demand."""

    model: LatentWorldModel
    actions: torch.Tensor
    latents: torch.Tensor
    _probes: dict[str, torch.Tensor] = field(default_factory=dict)

    def probe(self, key: str) -> torch.Tensor:
        """A probe over all candidates and steps, decoded once and shared by all costs."""
        if key not in self._probes:
            self._probes[key] = probe_tensor(self.model, self.latents, key)
        return self._probes[key]


def _over_horizon(per_step: torch.Tensor, last_only: bool) -> torch.Tensor:
    """[N,T] step costs -> [N]: the last step only, or the sum over the horizon."""
    return per_step[:, -1] if last_only else per_step.sum(dim=1)


class Cost(ABC):
    @abstractmethod
    def __call__(self, rollout: Rollout) -> torch.Tensor:
        """[N] cost of each candidate."""

    def __add__(self, other: Cost) -> Cost:
        return WeightedSum([(1.0, self), (1.0, other)])

    def __rmul__(self, weight: float) -> Cost:
        return WeightedSum([(float(weight), self)])


class WeightedSum(Cost):
    def __init__(self, terms: list[tuple[float, Cost]]) -> None:
        self.terms: list[tuple[float, Cost]] = []
        for weight, cost in terms:  # flatten nested sums so each term is evaluated once
            if isinstance(cost, WeightedSum):
                self.terms += [(weight * w, c) for w, c in cost.terms]
            else:
                self.terms.append((weight, cost))

    def __call__(self, rollout: Rollout) -> torch.Tensor:
        return torch.stack([w * cost(rollout) for w, cost in self.terms]).sum(dim=0)


class GoalLatentCost(Cost):
    """Squared distance of predicted latents to a goal latent (the JEPA planning objective)."""

    def __init__(self, goal: torch.Tensor, last_only: bool = False) -> None:
        self.goal = goal.reshape(-1).float()
        self.last_only = last_only

    def __call__(self, rollout: Rollout) -> torch.Tensor:
        per_step = (rollout.latents - self.goal).pow(2).sum(dim=-1)
        return _over_horizon(per_step, self.last_only)


class ProbePositionCost(Cost):
    """Distance between a probe-decoded position and a target position (pixels).

    `index` picks one row of a multi-object probe (e.g. object k of "object_pos" [...,K,2]).
    """

    def __init__(
        self,
        target: torch.Tensor,
        key: str = "agent_pos",
        index: int | None = None,
        last_only: bool = False,
    ) -> None:
        self.target = torch.as_tensor(target, dtype=torch.float32).reshape(2)
        self.key = key
        self.index = index
        self.last_only = last_only

    def __call__(self, rollout: Rollout) -> torch.Tensor:
        positions = rollout.probe(self.key)
        if self.index is not None:
            positions = positions[..., self.index, :]
        per_step = (positions - self.target).norm(dim=-1)
        return _over_horizon(per_step, self.last_only)


class ActionMagnitudeCost(Cost):
    """Sum of squared action norms: prefers the least effort among equally good plans."""

    def __call__(self, rollout: Rollout) -> torch.Tensor:
        return rollout.actions.pow(2).sum(dim=(1, 2))
