"""Planning as search in latent space: CEM / MPPI over action sequences, costs, goals, MPC.

The planner only needs a world model that can encode frames, roll latents forward under
actions and decode physical quantities with probes (`LatentWorldModel`); it never looks at
the world's geometry, so what it achieves is what the learned model makes possible.
"""

from agent_core.planning.bounds import ActionBounds
from agent_core.planning.costs import (
    ActionMagnitudeCost,
    Cost,
    GoalLatentCost,
    ProbePositionCost,
    Rollout,
    TravelFieldCost,
)
from agent_core.planning.errors import PlanningError
from agent_core.planning.goals import Goal, goal_from_frame, goal_from_latent, goal_from_object
from agent_core.planning.mpc import EpisodeResult, run_episode
from agent_core.planning.optimizers import (
    CategoricalCEMPlanner,
    CEMPlanner,
    MPPIPlanner,
    PlannerConfig,
    SearchResult,
    make_planner,
    mppi_weights,
)
from agent_core.planning.planner import LatentPlanner
from agent_core.planning.world_model_protocol import LatentWorldModel

__all__ = [
    "ActionBounds",
    "ActionMagnitudeCost",
    "CEMPlanner",
    "CategoricalCEMPlanner",
    "Cost",
    "EpisodeResult",
    "Goal",
    "GoalLatentCost",
    "LatentPlanner",
    "LatentWorldModel",
    "MPPIPlanner",
    "PlannerConfig",
    "PlanningError",
    "ProbePositionCost",
    "Rollout",
    "SearchResult",
    "TravelFieldCost",
    "goal_from_frame",
    "goal_from_latent",
    "goal_from_object",
    "make_planner",
    "mppi_weights",
    "run_episode",
]
