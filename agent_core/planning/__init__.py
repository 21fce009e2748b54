"""Planning as search: sample action sequences, imagine their futures, keep the cheapest."""

from agent_core.planning.costs import ActionMagnitudeCost, Cost, LatentGoalCost, PositionGoalCost, WeightedSum
from agent_core.planning.planner import LatentPlanner
from agent_core.planning.search import CEM, MPPI, SearchConfig

__all__ = [
    "CEM",
    "MPPI",
    "ActionMagnitudeCost",
    "Cost",
    "LatentGoalCost",
    "LatentPlanner",
    "PositionGoalCost",
    "SearchConfig",
    "WeightedSum",
]
