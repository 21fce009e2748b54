"""Composable costs over a batch of imagined futures.

A cost maps a `Rollout` (N candidate futures of T steps) to N numbers; lower is better.
Costs add and scale (`2.0 * GoalLatentCost(z) + ActionMagnitudeCost()`), so a goal can mix a
latent target, a probe-decoded position and an effort penalty without new planner code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import torch

from agent_core.planning.experience_map import ExperienceMap
from agent_core.planning.world_model_protocol import LatentWorldModel, probe_tensor


@dataclass
class Rollout:
    """Candidate action sequences [N,T,A], their predicted latents [N,T,D], probes on demand.

    `start` is the latent [D] the futures start from (the last observed one), if known;
    `origin` what the agent knows directly of that state (e.g. {"agent_pos": its own position}).
    """

    model: LatentWorldModel
    actions: torch.Tensor
    latents: torch.Tensor
    start: torch.Tensor | None = None
    origin: dict[str, np.ndarray] = field(default_factory=dict)
    _probes: dict[str, torch.Tensor] = field(default_factory=dict)

    def probe(self, key: str) -> torch.Tensor:
        """A probe over all candidates and steps, decoded once and shared by all costs."""
        if key not in self._probes:
            self._probes[key] = probe_tensor(self.model, self.latents, key)
        return self._probes[key]

    def path(self, key: str) -> torch.Tensor:
        """The probe [N,T+1,...] with the start prepended (when known): the whole imagined path.

        With a known origin the path is the imagined motion laid from there: the model's
        changes are trusted, the probe's absolute error at the start is not.
        """
        future = self.probe(key)
        if self.start is None:
            return future
        start = probe_tensor(self.model, self.start.reshape(1, -1), key)
        if key in self.origin:
            origin = torch.as_tensor(self.origin[key], dtype=torch.float32).reshape(start.shape)
            future, start = future - start + origin, origin
        return torch.cat([start.expand(len(future), 1, *future.shape[2:]), future], dim=1)


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


class TravelFieldCost(Cost):
    """Travel distance to a goal over experienced ground, along the probe-decoded imagined path.

    The experience map gives the travel distance to the goal from the centre of each cell and
    which cells are ground (see experience_map); positions between centres are interpolated
    bilinearly, those outside clamp to the border. Both are recomputed when the map learns
    something new (a bump during the episode). One model step can move the agent further than
    a wall is thick, so each move is checked at `substeps` points. Once a path has crossed more
    than `blocked_after` pixels of unwalked ground, experience overrules imagination: the agent
    is taken to stop where that began (a wall the model walks through, a corner it cuts), so the
    rest of the path gains nothing from the far side. Each step costs the field where the agent
    is (or stopped) plus `unwalked_weight` times the unwalked length crossed so far.
    """

    def __init__(
        self,
        experience: ExperienceMap,
        goal: np.ndarray,
        unwalked_weight: float = 20.0,
        blocked_after: float = 1.0,
        key: str = "agent_pos",
        last_only: bool = False,
        substeps: int = 8,
        unwalked_cost: float = 100.0,
    ):
        self.experience = experience
        self.unwalked_cost = unwalked_cost  # the field's weight of unwalked ground (experience_map)
        self.goal = np.asarray(goal, dtype=np.float64)
        self.unwalked_weight = unwalked_weight
        self.blocked_after = blocked_after
        self.key = key
        self.last_only = last_only
        self.fractions = torch.arange(1, substeps + 1, dtype=torch.float32)[:, None] / substeps
        self._version = -1
        self.field = self.unwalked = torch.zeros(0)

    def _refresh(self) -> None:
        """Field and unwalked mask for what the experience map knows now."""
        if self._version != self.experience.version:
            field = self.experience.travel_field(self.goal, self.unwalked_cost)
            self.field = torch.as_tensor(field, dtype=torch.float32)
            self.unwalked = torch.as_tensor(~self.experience.ground(self.goal), dtype=torch.float32)
            self._version = self.experience.version

    def __call__(self, rollout: Rollout) -> torch.Tensor:
        self._refresh()
        resolution = self.experience.resolution
        path = rollout.path(self.key)
        if path.shape[1] == rollout.latents.shape[1]:  # start unknown: the first move is not checked
            path = torch.cat([path[:, :1], path], dim=1)
        start, end = path[:, :-1, None], path[:, 1:, None]  # [N,T,1,2]
        n, steps, substeps = len(path), path.shape[1] - 1, len(self.fractions)
        points = (start + self.fractions * (end - start)).reshape(n, steps * substeps, 2)
        unwalked = _bilinear(self.unwalked, points / resolution)
        lengths = (end - start)[:, :, 0].norm(dim=-1).repeat_interleave(substeps, dim=1) / substeps
        crossed = (unwalked * lengths).cumsum(dim=1)
        blocked = crossed > self.blocked_after
        # field at the start and every point; a blocked point takes the value just before the first one
        field = _bilinear(self.field, torch.cat([path[:, :1], points], dim=1) / resolution)
        first_blocked = torch.where(blocked.any(dim=1), blocked.int().argmax(dim=1), 0)
        stopped = field.gather(1, first_blocked[:, None])
        field = torch.where(blocked, stopped, field[:, 1:])
        per_point = field + self.unwalked_weight * crossed
        return _over_horizon(per_point[:, substeps - 1 :: substeps], self.last_only)


def _bilinear(grid: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
    """`grid` [rows, columns] read at continuous cell coordinates [...,2] = (x, y), bilinearly
    between cell centres; coordinates outside the grid clamp to its border."""
    rows, columns = grid.shape
    x = (cells[..., 0] - 0.5).clamp(0, columns - 1)
    y = (cells[..., 1] - 0.5).clamp(0, rows - 1)
    x0 = x.floor().long().clamp(max=columns - 2)
    y0 = y.floor().long().clamp(max=rows - 2)
    fx, fy = x - x0, y - y0
    return (
        grid[y0, x0] * (1 - fx) * (1 - fy)
        + grid[y0, x0 + 1] * fx * (1 - fy)
        + grid[y0 + 1, x0] * (1 - fx) * fy
        + grid[y0 + 1, x0 + 1] * fx * fy
    )
