"""Sampling-based trajectory optimisers: the cross-entropy method and MPPI.

Both evaluate all candidate sequences in one batched call of `evaluate` ([N, T, A] -> [N]
costs), warm-start from the previous plan shifted by one step, clip actions into bounds
(and optionally into a norm ball per primitive action), and stop early when their time
budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

Evaluate = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class SearchConfig:
    horizon: int = 8
    samples: int = 200
    elites: int = 20
    iterations: int = 4
    temperature: float = 0.5  # MPPI
    init_std: float = 0.7
    min_std: float = 0.05
    low: float = -1.0
    high: float = 1.0
    primitive_dim: int = 0  # >0: each block of this many dims is projected into the unit ball
    time_budget_s: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("horizon", "samples", "elites", "iterations"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.elites > self.samples:
            raise ValueError("elites cannot exceed samples")


def project(actions: torch.Tensor, config: SearchConfig) -> torch.Tensor:
    """Clip into [low, high]; with primitive_dim, also scale each primitive into the unit ball."""
    actions = actions.clamp(config.low, config.high)
    if config.primitive_dim:
        shape = actions.shape
        blocks = actions.reshape(*shape[:-1], -1, config.primitive_dim)
        norms = torch.linalg.vector_norm(blocks, dim=-1, keepdim=True).clamp_min(1.0)
        actions = (blocks / norms).reshape(shape)
    return actions


class _Search:
    def __init__(self, config: SearchConfig, action_dim: int) -> None:
        self.config = config
        self.action_dim = action_dim
        self.generator = torch.Generator().manual_seed(config.seed)
        self.previous: torch.Tensor | None = None
        self.last_iterations = 0

    def reset(self) -> None:
        self.previous = None

    def _initial_mean(self) -> torch.Tensor:
        c = self.config
        mean = torch.zeros(c.horizon, self.action_dim)
        if self.previous is not None:  # warm start: shift the last plan by one step
            mean[:-1] = self.previous[1:]
        return mean

    def _sample(self, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
        noise = torch.randn(self.config.samples, *mean.shape, generator=self.generator)
        candidates = mean + std * noise
        candidates[0] = mean  # always re-evaluate the current best guess
        return project(candidates, self.config)

    def _update(self, candidates: torch.Tensor, costs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def optimise(self, evaluate: Evaluate) -> tuple[torch.Tensor, float]:
        """Return the best action sequence [T, A] and its cost."""
        c = self.config
        started = time.perf_counter()
        mean = self._initial_mean()
        std = torch.full_like(mean, c.init_std)
        best, best_cost = mean, float("inf")
        self.last_iterations = 0
        for _ in range(c.iterations):
            candidates = self._sample(mean, std)
            costs = evaluate(candidates)
            index = int(torch.argmin(costs))
            if float(costs[index]) < best_cost:
                best, best_cost = candidates[index], float(costs[index])
            mean, std = self._update(candidates, costs)
            std = std.clamp_min(c.min_std)
            self.last_iterations += 1
            if c.time_budget_s is not None and time.perf_counter() - started > c.time_budget_s:
                break
        self.previous = best
        return best, best_cost


class CEM(_Search):
    """Refit a Gaussian to the elite candidates each iteration."""

    def _update(self, candidates: torch.Tensor, costs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        elite = candidates[torch.topk(costs, self.config.elites, largest=False).indices]
        return elite.mean(0), elite.std(0)


def mppi_weights(costs: torch.Tensor, temperature: float) -> torch.Tensor:
    """Softmax of -cost / temperature (shifted by the minimum for numerical safety)."""
    return torch.softmax(-(costs - costs.min()) / temperature, dim=0)


class MPPI(_Search):
    """Move the mean to the cost-weighted average of all candidates."""

    def _update(self, candidates: torch.Tensor, costs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = mppi_weights(costs, self.config.temperature)[:, None, None]
        mean = (weights * candidates).sum(0)
        std = torch.sqrt((weights * (candidates - mean) ** 2).sum(0))
        return mean, std
