"""The agent's planner: goal positions in, action blocks out, searched with the learned model.

This adapts the general search (optimizers.py) to the agent's `Planner` protocol
(agent_core.exchange): the cost is the probe-decoded agent position's distance to the goal,
summed over the imagined horizon, plus a small action penalty, and each call warm-starts
from the previous plan shifted by one block.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from agent_core import exchange
from agent_core.planning.costs import ActionMagnitudeCost, ProbePositionCost
from agent_core.planning.optimizers import PlannerConfig, SearchResult, make_planner
from world_model import WorldModel


class LatentPlanner:
    def __init__(
        self,
        model: WorldModel,
        kind: str = "cem",
        config: PlannerConfig | None = None,
        action_weight: float = 0.01,
        primitive_dim: int = 2,
    ) -> None:
        base = config or PlannerConfig(horizon=8, samples=200, elites=20)
        self.config = replace(base, bounds=replace(base.bounds, env_action_dim=primitive_dim))
        self.model = model
        self.search = make_planner(kind, self.config, model.config.action_dim)
        self.action_weight = action_weight
        self.previous: SearchResult | None = None

    def reset(self) -> None:
        self.previous = None

    def plan(self, latents: np.ndarray, actions: np.ndarray, goal: np.ndarray) -> exchange.Plan:
        cost = ProbePositionCost(torch.as_tensor(goal, dtype=torch.float32)) + (
            self.action_weight * ActionMagnitudeCost()
        )
        warm = self.previous.warm_start(1) if self.previous is not None else None
        history = torch.as_tensor(latents, dtype=torch.float32)
        self.previous = self.search.plan(self.model, history, cost, warm)
        positions = self.previous.positions["agent_pos"]
        return exchange.Plan(self.previous.actions, [(float(x), float(y)) for x, y in positions], self.previous.cost)
