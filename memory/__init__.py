"""Episodic memory: SQL rows are the source of truth, a FAISS index over latents is a cache.

This package takes latents as numpy arrays; it never imports torch models or the LLM.
"""

from memory.database import sqlite_url
from memory.errors import MemoryInputError
from memory.index import INDEX_KINDS, IndexSettings
from memory.records import MemoryFilter, MemoryRecord, NewMemory, RetrievalWeights
from memory.store import MemoryStore, namespaces

__all__ = [
    "INDEX_KINDS",
    "IndexSettings",
    "MemoryFilter",
    "MemoryInputError",
    "MemoryRecord",
    "MemoryStore",
    "NewMemory",
    "RetrievalWeights",
    "namespaces",
    "sqlite_url",
]
