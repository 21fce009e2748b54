"""The value types the store takes and returns: new memories, filters, ranking weights, memories read back.

Not SQL rows (those are `memory.schema`): plain frozen dataclasses, so callers never hold a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Select

from memory.schema import Memory, Sighting


@dataclass(frozen=True)
class NewMemory:
    """One observation to remember. Importance defaults to surprise: memorable events are surprising ones."""

    episode: int
    step: int
    action: list[float]
    latent: np.ndarray
    caption: str
    facts: dict[str, Any]
    surprise: float | None = None
    seen: tuple[str, ...] = ()
    importance: float | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True)
class MemoryFilter:
    """Restrictions every retrieval accepts; empty fields do not restrict."""

    episode: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    seen: str | None = None
    min_surprise: float | None = None
    steps: tuple[int, int] | None = None  # first and last env step, both included

    def apply(self, query: Select) -> Select:
        if self.episode is not None:
            query = query.where(Memory.episode_id == self.episode)
        if self.steps is not None:
            query = query.where(Memory.step.between(*self.steps))
        if self.since is not None:
            query = query.where(Memory.timestamp >= self.since)
        if self.until is not None:
            query = query.where(Memory.timestamp <= self.until)
        if self.min_surprise is not None:
            query = query.where(Memory.surprise >= self.min_surprise)
        if self.seen is not None:
            query = query.where(
                Memory.id.in_(
                    Sighting.__table__.select()
                    .with_only_columns(Sighting.memory_id)
                    .where(Sighting.name == self.seen, Sighting.namespace_id == Memory.namespace_id)
                )
            )
        return query

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in vars(self).values())


@dataclass(frozen=True)
class RetrievalWeights:
    """How `recall` mixes relevance, recency and importance into one score (each term lies in [0, 1])."""

    relevance: float = 1.0
    recency: float = 0.3
    importance: float = 0.3
    recency_half_life_s: float = 3600.0


@dataclass(frozen=True)
class MemoryRecord:
    """A stored memory as read back, with what is needed to explain why it was retrieved."""

    id: int
    episode: int
    step: int
    timestamp: str
    action: list[float]
    caption: str
    facts: dict[str, Any]
    surprise: float | None
    importance: float
    seen: tuple[str, ...]
    latent: np.ndarray
    access_count: int = 0
    distance: float | None = None
    score: float | None = None
    why: dict[str, float] = field(default_factory=dict)

    def to_dict(self, with_latent: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "episode": self.episode,
            "step": self.step,
            "timestamp": self.timestamp,
            "caption": self.caption,
            "surprise": self.surprise,
            "importance": self.importance,
            "seen": list(self.seen),
            "access_count": self.access_count,
        }
        if self.distance is not None:
            data["distance"] = self.distance
        if self.score is not None:
            data["score"] = self.score
            data["why"] = self.why
        if with_latent:
            data["facts"] = self.facts
            data["action"] = self.action
            data["latent"] = [float(x) for x in self.latent]
        return data
