"""Episodic memory: SQL rows are the source of truth, a FAISS index over latents is a cache.

This package takes latents as numpy arrays; it never imports torch models or the LLM.
"""

from memory.errors import MemoryInputError
from memory.store import MemoryRecord, MemoryStore

__all__ = ["MemoryInputError", "MemoryRecord", "MemoryStore"]
