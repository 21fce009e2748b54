"""Planning errors the user can fix (bad goal, unknown object, bad planner settings)."""

from agent_core.errors import AgentInputError


class PlanningError(AgentInputError):
    """A goal outside the world, an unknown object, a non-positive horizon, a wrong checkpoint."""
