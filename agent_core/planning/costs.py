"""Composable costs over imagined futures: [N, T, D] latents and [N, T, A] actions -> [N]."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch


class Cost:
    def __call__(self, latents: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __add__(self, other: Cost) -> WeightedSum:
        return WeightedSum([(1.0, self), (1.0, other)])

    def __rmul__(self, weight: float) -> WeightedSum:
        return WeightedSum([(weight, self)])


def _over_horizon(distances: torch.Tensor, last_only: bool) -> torch.Tensor:
    """Sum a [N, T] distance over the horizon, or keep only the final step."""
    return distances[:, -1] if last_only else distances.sum(dim=1)


@dataclass
class LatentGoalCost(Cost):
    """Distance of imagined latents to a goal latent (e.g. a remembered frame)."""

    goal: torch.Tensor  # [D]
    last_only: bool = False

    def __call__(self, latents: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return _over_horizon(torch.linalg.vector_norm(latents - self.goal, dim=-1), self.last_only)


@dataclass
class PositionGoalCost(Cost):
    """Distance between a probe-decoded position (the agent's) and a goal position, in pixels."""

    decode: Callable[[torch.Tensor], torch.Tensor]  # [N, T, D] -> [N, T, 2]
    goal: torch.Tensor  # [2]
    last_only: bool = False

    def __call__(self, latents: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return _over_horizon(torch.linalg.vector_norm(self.decode(latents) - self.goal, dim=-1), self.last_only)


@dataclass
class ActionMagnitudeCost(Cost):
    """Penalises large actions (energy), summed over the horizon."""

    def __call__(self, latents: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return actions.pow(2).sum(dim=(1, 2))


@dataclass
class WeightedSum(Cost):
    terms: list[tuple[float, Cost]]

    def __call__(self, latents: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        total = torch.zeros(latents.shape[0])
        for weight, cost in self.terms:
            total = total + weight * cost(latents, actions)
        return total

    def __add__(self, other: Cost) -> WeightedSum:
        extra = other.terms if isinstance(other, WeightedSum) else [(1.0, other)]
        return WeightedSum([*self.terms, *extra])
