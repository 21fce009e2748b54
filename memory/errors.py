"""Memory errors caused by the user's input (bad URL, wrong vector size, unknown id)."""


class MemoryInputError(Exception):
    """Bad database URL, a vector of the wrong dimension, an unknown namespace or memory id."""
