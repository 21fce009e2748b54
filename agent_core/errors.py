"""Errors caused by the user's input to the agent side (worlds, datasets, scripts).

The CLI turns these into one line on stderr and exit code 2; anything else is a bug.
"""


class AgentInputError(Exception):
    """Base class for bad input the user can fix: unknown world, bad seed, corrupt dataset."""


class WorldError(AgentInputError):
    """Unknown world, unsupported event, invalid seed or world configuration."""


class DatasetError(AgentInputError):
    """A dataset folder that is missing, corrupt, truncated or for another world."""
