"""Memory errors caused by the user's input (bad URL, wrong vector size, unknown id)."""


class MemoryInputError(Exception):
    """Bad database URL, a vector of the wrong dimension, an unknown namespace or memory id."""


class LatentSpaceError(MemoryInputError):
    """The namespace's latents were made by another world model's encoder: re-encode them first."""


class NamespaceBusyError(MemoryInputError):
    """Another process writes to this namespace; a namespace has one writer at a time (see `memory.writer_lock`)."""
