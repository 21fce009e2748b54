"""The agent's planner: search over action blocks, rolled out by the learned world model."""

from __future__ import annotations

import numpy as np
import torch

from agent_core.planning.costs import ActionMagnitudeCost, PositionGoalCost
from agent_core.planning.search import CEM, MPPI, SearchConfig
from agent_core.ports import Plan
from world_model import WorldModel

SEARCHES = {"cem": CEM, "mppi": MPPI}


class LatentPlanner:
    """Plans to a goal position: cost = probe-decoded agent position's distance to the goal,
    summed over the imagined horizon, plus a small action penalty."""

    def __init__(
        self,
        model: WorldModel,
        kind: str = "cem",
        config: SearchConfig | None = None,
        action_weight: float = 0.01,
        primitive_dim: int = 2,
    ) -> None:
        if kind not in SEARCHES:
            raise ValueError(f"unknown planner {kind!r}; known: {', '.join(SEARCHES)}")
        self.model = model
        base = config or SearchConfig()
        self.config = SearchConfig(**{**base.__dict__, "primitive_dim": primitive_dim})
        self.search = SEARCHES[kind](self.config, model.config.action_dim)
        self.action_weight = action_weight

    def reset(self) -> None:
        self.search.reset()

    @torch.inference_mode()
    def plan(self, latents: np.ndarray, actions: np.ndarray, goal: np.ndarray) -> Plan:
        history = torch.as_tensor(latents, dtype=torch.float32)[None]
        goal_tensor = torch.as_tensor(goal, dtype=torch.float32)
        cost = PositionGoalCost(lambda z: self.model.decode("agent_pos", z), goal_tensor) + (
            self.action_weight * ActionMagnitudeCost()
        )

        def evaluate(candidates: torch.Tensor) -> torch.Tensor:
            imagined = self.model.rollout(history.expand(len(candidates), -1, -1), candidates)
            return cost(imagined, candidates)

        best, best_cost = self.search.optimise(evaluate)
        imagined = self.model.rollout(history, best[None])[0]
        positions = self.model.decode("agent_pos", imagined).numpy()
        return Plan(best.numpy(), [(float(x), float(y)) for x, y in positions], best_cost)
