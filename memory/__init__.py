"""Episodic memory: SQL rows are the source of truth, a FAISS index over latents is a cache.

This package takes latents as numpy arrays; it never imports torch models or the LLM. Names are
imported on first use, so importing the error class does not load SQLAlchemy and FAISS.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from memory.database import sqlite_url
    from memory.errors import LatentSpaceError, MemoryInputError, NamespaceBusyError
    from memory.index_settings import INDEX_KINDS, IndexSettings
    from memory.store import MemoryStore, namespaces
    from memory.store_types import MemoryFilter, MemoryRecord, NewMemory, RetrievalWeights

_HOMES = {
    "sqlite_url": "memory.database",
    "MemoryInputError": "memory.errors",
    "LatentSpaceError": "memory.errors",
    "NamespaceBusyError": "memory.errors",
    "INDEX_KINDS": "memory.index_settings",
    "IndexSettings": "memory.index_settings",
    "MemoryFilter": "memory.store_types",
    "MemoryRecord": "memory.store_types",
    "NewMemory": "memory.store_types",
    "RetrievalWeights": "memory.store_types",
    "MemoryStore": "memory.store",
    "namespaces": "memory.store",
}

__all__ = [
    "INDEX_KINDS",
    "IndexSettings",
    "LatentSpaceError",
    "MemoryFilter",
    "MemoryInputError",
    "MemoryRecord",
    "MemoryStore",
    "NamespaceBusyError",
    "NewMemory",
    "RetrievalWeights",
    "namespaces",
    "sqlite_url",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'memory' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
