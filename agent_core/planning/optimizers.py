"""Sampling-based trajectory optimisers: CEM, MPPI, and CEM over discrete actions.

Each iteration draws `samples` action sequences, rolls all of them out in one batched call of
the world model under `torch.inference_mode`, scores them with a cost and refits the sampling
distribution. Iterations stop early when the time budget is spent, so a replanning call has a
bounded latency; the first iteration always runs so there is always a plan.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from agent_core.limits import MAX_HORIZON, MAX_ITERATIONS, MAX_SAMPLES
from agent_core.planning.bounds import ActionBounds
from agent_core.planning.costs import Cost, Rollout
from agent_core.planning.errors import PlanningError
from agent_core.planning.world_model_protocol import LatentWorldModel, probe_tensor


@dataclass(frozen=True)
class PlannerConfig:
    horizon: int = 8
    samples: int = 128
    elites: int = 12
    iterations: int = 4
    temperature: float = 0.05  # MPPI: softmax temperature on normalised costs
    init_std: float = 0.7
    min_std: float = 0.05
    bounds: ActionBounds = field(default_factory=ActionBounds)
    time_budget_s: float | None = None
    seed: int = 0
    # Gaussian planners: how many equal parts of a model step's action share one sampled value
    # (frameskip: one heading held for the step, a quarter of the numbers to search); 1: none.
    hold: int = 1

    def __post_init__(self) -> None:
        for name in ("horizon", "samples", "elites", "iterations", "hold"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
                raise PlanningError(f"{name} must be a positive integer, got {value!r}")
        for name, bound in (("horizon", MAX_HORIZON), ("samples", MAX_SAMPLES), ("iterations", MAX_ITERATIONS)):
            if getattr(self, name) > bound:
                raise PlanningError(f"{name} must be at most {bound:,}, got {getattr(self, name):,}")
        if self.elites > self.samples:
            raise PlanningError(f"elites ({self.elites}) cannot exceed samples ({self.samples})")
        if not self.temperature > 0:
            raise PlanningError(f"temperature must be > 0, got {self.temperature}")
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise PlanningError(f"time budget must be > 0 seconds, got {self.time_budget_s}")


@dataclass
class SearchResult:
    """The best action sequence found and what the model imagines will happen under it."""

    actions: np.ndarray  # [H, A]
    cost: float
    iterations: int
    seconds: float
    latents: np.ndarray  # [H, D] imagined future latents
    positions: dict[str, np.ndarray]  # probe-decoded quantities along the imagined future

    def warm_start(self, executed: int) -> torch.Tensor:
        """The plan shifted by the `executed` actions already taken, tail padded with zeros."""
        actions = torch.as_tensor(self.actions, dtype=torch.float32)
        shifted = torch.zeros_like(actions)
        keep = max(len(actions) - executed, 0)
        shifted[:keep] = actions[executed:]
        return shifted


def mppi_weights(costs: torch.Tensor, temperature: float) -> torch.Tensor:
    """Path-integral weights softmax(-(c - min c) / (temperature * spread of c)).

    Dividing by the cost spread makes the temperature independent of the cost's units.
    """
    shifted = costs - costs.min()
    spread = shifted.max().clamp_min(1e-12)
    return torch.softmax(-shifted / (temperature * spread), dim=0)


class SamplingPlanner(ABC):
    def __init__(self, config: PlannerConfig, action_dim: int) -> None:
        self.config = config
        self.action_dim = action_dim
        self.generator = torch.Generator().manual_seed(config.seed)

    def plan(
        self,
        model: LatentWorldModel,
        z_history: torch.Tensor,
        cost: Cost,
        warm_start: torch.Tensor | None = None,
        origin: dict[str, np.ndarray] | None = None,
    ) -> SearchResult:
        """Search action sequences from the latent history [H,D] (or [D]) for the lowest cost.

        `origin` is what the agent knows directly of its current state (see `Rollout`)."""
        start = time.perf_counter()
        c = self.config
        history = z_history.reshape(1, -1, z_history.shape[-1]).float()
        state = self._initial_state(warm_start)
        best_cost, best_actions = float("inf"), None
        iterations = 0
        with torch.inference_mode():
            batch = history.expand(c.samples, -1, -1)
            while iterations < c.iterations:
                spent = time.perf_counter() - start
                if iterations and c.time_budget_s is not None and spent >= c.time_budget_s:
                    break
                actions = self._sample(state)
                executed = self._to_model(actions)
                rollout = Rollout(model, executed, model.rollout(batch, executed), history[0, -1], origin or {})
                costs = cost(rollout)
                state = self._update(state, actions, costs)
                i = int(costs.argmin())
                if best_actions is None or float(costs[i]) < best_cost:
                    best_cost, best_actions = float(costs[i]), actions[i].clone()
                iterations += 1
            assert best_actions is not None  # the first iteration always runs
            latents = model.rollout(history, self._to_model(best_actions[None]))[0]
            positions = {key: probe_tensor(model, latents, key).numpy() for key in model.probe(latents[:1])}
        return SearchResult(
            actions=self._to_model(best_actions).numpy(),
            cost=best_cost,
            iterations=iterations,
            seconds=time.perf_counter() - start,
            latents=latents.numpy(),
            positions=positions,
        )

    def _to_model(self, actions: torch.Tensor) -> torch.Tensor:
        """Candidate representation -> the actions the model and the world receive."""
        return actions

    @abstractmethod
    def _initial_state(self, warm_start: torch.Tensor | None) -> dict[str, Any]: ...

    @abstractmethod
    def _sample(self, state: dict[str, Any]) -> torch.Tensor: ...

    @abstractmethod
    def _update(self, state: dict[str, Any], actions: torch.Tensor, costs: torch.Tensor) -> dict[str, Any]: ...


class GaussianPlanner(SamplingPlanner):
    """Samples candidates from a diagonal Gaussian over action sequences (CEM and MPPI); with
    `hold` > 1 a candidate is one part of each step's action, repeated `hold` times."""

    def __init__(self, config: PlannerConfig, action_dim: int) -> None:
        super().__init__(config, action_dim)
        if action_dim % config.hold:
            raise PlanningError(f"hold ({config.hold}) must divide the action size ({action_dim})")
        self.searched_dim = action_dim // config.hold

    def _to_model(self, actions: torch.Tensor) -> torch.Tensor:
        return actions.repeat(*[1] * (actions.dim() - 1), self.config.hold)

    def _initial_state(self, warm_start: torch.Tensor | None) -> dict[str, Any]:
        c = self.config
        mean = torch.zeros(c.horizon, self.searched_dim)
        if warm_start is not None:
            if warm_start.shape != (c.horizon, self.action_dim):
                expected = [c.horizon, self.action_dim]
                raise PlanningError(f"warm start has shape {list(warm_start.shape)}, expected {expected}")
            mean = warm_start.float().reshape(c.horizon, c.hold, self.searched_dim).mean(dim=1)
        return {"mean": mean, "std": torch.full_like(mean, c.init_std)}

    def _sample(self, state: dict[str, Any]) -> torch.Tensor:
        c = self.config
        noise = torch.randn(c.samples, c.horizon, self.searched_dim, generator=self.generator)
        actions = state["mean"] + state["std"] * noise
        actions[0] = state["mean"]  # the current mean competes too, so a good plan is never lost
        return c.bounds.project(actions)


class CEMPlanner(GaussianPlanner):
    """Cross-entropy method: refit a diagonal Gaussian to the `elites` cheapest candidates."""

    def _update(self, state: dict[str, Any], actions: torch.Tensor, costs: torch.Tensor) -> dict[str, Any]:
        elites = actions[torch.topk(costs, self.config.elites, largest=False).indices]
        std = elites.std(dim=0) if len(elites) > 1 else state["std"]
        return {"mean": elites.mean(dim=0), "std": std.clamp_min(self.config.min_std)}


class MPPIPlanner(GaussianPlanner):
    """MPPI: move the mean to the softmax(-cost / temperature)-weighted average of all samples."""

    def _update(self, state: dict[str, Any], actions: torch.Tensor, costs: torch.Tensor) -> dict[str, Any]:
        weights = mppi_weights(costs, self.config.temperature)[:, None, None]
        mean = (weights * actions).sum(dim=0)
        var = (weights * (actions - mean).pow(2)).sum(dim=0)
        return {"mean": mean, "std": var.sqrt().clamp_min(self.config.min_std)}


class CategoricalCEMPlanner(SamplingPlanner):
    """CEM over a discrete action set: one categorical per step, refit to elite frequencies.

    `choices` [K,A] are the action vectors the model receives for each discrete action.
    Candidates are one-hot [N,H,K]; the plan reports the chosen action vectors.
    """

    def __init__(self, config: PlannerConfig, choices: torch.Tensor, smoothing: float = 0.1):
        super().__init__(config, choices.shape[-1])
        self.choices = choices.float()
        self.smoothing = smoothing

    def _to_model(self, actions: torch.Tensor) -> torch.Tensor:
        return actions @ self.choices

    def _initial_state(self, warm_start: torch.Tensor | None) -> dict[str, Any]:
        k = len(self.choices)
        probs = torch.full((self.config.horizon, k), 1.0 / k)
        if warm_start is not None:  # warm start as action vectors: favour the nearest choice
            nearest = torch.cdist(warm_start.float(), self.choices).argmin(dim=-1)
            probs = (1 - self.smoothing) * torch.nn.functional.one_hot(nearest, k).float()
            probs += self.smoothing / k
        return {"probs": probs}

    def _sample(self, state: dict[str, Any]) -> torch.Tensor:
        c, probs = self.config, state["probs"]
        index = torch.multinomial(probs, c.samples, replacement=True, generator=self.generator)
        index = index.T  # [N, H]
        index[0] = probs.argmax(dim=-1)
        return torch.nn.functional.one_hot(index, len(self.choices)).float()

    def _update(self, state: dict[str, Any], actions: torch.Tensor, costs: torch.Tensor) -> dict[str, Any]:
        elites = actions[torch.topk(costs, self.config.elites, largest=False).indices]
        k = len(self.choices)
        return {"probs": (1 - self.smoothing) * elites.mean(dim=0) + self.smoothing / k}


PLANNERS: dict[str, type[SamplingPlanner]] = {"cem": CEMPlanner, "mppi": MPPIPlanner}


def make_planner(name: str, config: PlannerConfig, action_dim: int) -> SamplingPlanner:
    """A continuous planner by name ('cem' or 'mppi')."""
    if name not in PLANNERS:
        raise PlanningError(f"unknown planner {name!r}; known: {', '.join(PLANNERS)}")
    return PLANNERS[name](config, action_dim)
