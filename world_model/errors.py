"""Errors the user can fix: a bad checkpoint, data that does not fit, a diverging run."""


class ModelInputError(Exception):
    """Base class for world-model errors caused by the user's files or settings."""


class CheckpointError(ModelInputError):
    """A checkpoint that is missing, corrupt, or for another world or architecture."""


class TrainingError(ModelInputError):
    """Training cannot go on (e.g. the loss became NaN); the last good checkpoint is kept."""
