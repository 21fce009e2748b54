"""Reading memories back: by id, newest first, nearest latents (kNN), caption text, and recall scoring.

Every retrieval takes the same `MemoryFilter`; `recall` ranks a candidate pool by a weighted mix
of relevance, recency and importance and records the access, so what was recalled can be seen.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select, update

from memory.errors import MemoryInputError
from memory.schema import ChatTurn, Episode, Memory, Sighting
from memory.store_core import BATCH, StoreCore, as_utc, record_of
from memory.store_types import MemoryFilter, MemoryRecord, RetrievalWeights


class Retrieval(StoreCore):
    def get(self, memory_id: int) -> MemoryRecord:
        found = self._records(self._select().where(Memory.id == memory_id))
        if not found:
            raise MemoryInputError(f"no memory #{memory_id} in namespace {self.namespace!r}")
        return found[0]

    def browse(self, where: MemoryFilter | None = None, limit: int = 20, offset: int = 0) -> list[MemoryRecord]:
        """Newest first."""
        return self._records(self._select(where).order_by(Memory.id.desc()).offset(offset).limit(limit))

    def recent(self, limit: int = 10) -> list[MemoryRecord]:
        return self.browse(limit=limit)

    def scan(self, batch: int = BATCH) -> Iterator[MemoryRecord]:
        """Every memory, oldest first, read in batches (keyset pagination keeps each batch cheap)."""
        after = 0
        while True:
            records = self._records(self._select().where(Memory.id > after).order_by(Memory.id).limit(batch))
            yield from records
            if len(records) < batch:
                return
            after = records[-1].id

    def most_surprising(self, limit: int = 5, where: MemoryFilter | None = None) -> list[MemoryRecord]:
        query = self._select(where).where(Memory.surprise.is_not(None))
        return self._records(query.order_by(Memory.surprise.desc()).limit(limit))

    def last_seen(self, name: str) -> MemoryRecord | None:
        found = self.browse(MemoryFilter(seen=name), limit=1)
        return found[0] if found else None

    def search_text(self, text: str, limit: int = 10, where: MemoryFilter | None = None) -> list[MemoryRecord]:
        """Captions closest in meaning when a sentence embedder is configured, else containing every word."""
        if self.captions is not None:
            similar = self.captions.search(text, limit)
            query = self._select(where).where(Memory.caption.in_(list(similar)))
            records = self._records(query.order_by(Memory.id.desc()).limit(limit * 4))
            ranked = sorted(records, key=lambda r: -similar[r.caption])[:limit]
            return [replace(r, distance=1.0 - similar[r.caption]) for r in ranked]
        query = self._select(where)
        for word in text.lower().split():
            query = query.where(func.lower(Memory.caption).contains(word))
        return self._records(query.order_by(Memory.id.desc()).limit(limit))

    def search_vector(self, latent: np.ndarray, k: int = 10, where: MemoryFilter | None = None) -> list[MemoryRecord]:
        """The k nearest memories to a latent that pass the filter (squared L2 distance)."""
        vector = self._vector(latent)
        fetch = k
        while True:  # widen the search until k neighbours pass the filter or the index is exhausted
            hits = dict(self.index.search(vector, fetch))
            with self.sessions() as session:
                rows = session.scalars(self._select(where).where(Memory.id.in_(list(hits)))).all()
                records = [record_of(m, hits[m.id]) for m in rows]
            if len(records) >= k or fetch >= len(self.index) or (where is None or where.is_empty):
                return sorted(records, key=lambda r: (r.distance or 0.0, r.id))[:k]
            fetch *= 4

    def search_similar(self, memory_id: int, k: int = 10, where: MemoryFilter | None = None) -> list[MemoryRecord]:
        """Memories nearest to a stored memory's latent, itself excluded."""
        anchor = self.get(memory_id)
        return [r for r in self.search_vector(anchor.latent, k + 1, where) if r.id != memory_id][:k]

    def recall(
        self,
        latent: np.ndarray | None = None,
        text: str | None = None,
        k: int = 10,
        where: MemoryFilter | None = None,
        weights: RetrievalWeights | None = None,
    ) -> list[MemoryRecord]:
        """Rank candidates by weighted relevance, recency and importance, and count the access."""
        weights = weights or RetrievalWeights()
        pool = max(k * 5, 50)
        if latent is not None:
            candidates = self.search_vector(latent, pool, where)
        elif text:
            candidates = self.search_text(text, pool, where)
        else:
            candidates = self.browse(where, limit=pool)
        now = datetime.now(UTC)
        scored = [_score(record, weights, now) for record in candidates]
        ranked = sorted(scored, key=lambda r: -(r.score or 0.0))[:k]
        self._touch([r.id for r in ranked])
        return ranked

    def _touch(self, ids: list[int]) -> None:
        if not ids:
            return
        with self.sessions.begin() as session:
            session.execute(
                update(Memory)
                .where(Memory.id.in_(ids))
                .values(access_count=Memory.access_count + 1, last_access=datetime.now(UTC))
            )

    def stats(self) -> dict[str, Any]:
        with self.sessions() as session:
            first, last, peak = session.execute(
                select(func.min(Memory.timestamp), func.max(Memory.timestamp), func.max(Memory.surprise)).where(
                    Memory.namespace_id == self.namespace_id
                )
            ).one()
            chat = session.scalar(select(func.count()).where(ChatTurn.namespace_id == self.namespace_id)) or 0
            episodes = session.scalar(select(func.count()).where(Episode.namespace_id == self.namespace_id)) or 0
            objects = session.scalar(
                select(func.count(func.distinct(Sighting.name))).where(Sighting.namespace_id == self.namespace_id)
            )
        return {
            "namespace": self.namespace,
            "memories": self.count(),
            "episodes": episodes,
            "chat_turns": chat,
            "objects_seen": objects or 0,
            "first": None if first is None else as_utc(first).isoformat(),
            "last": None if last is None else as_utc(last).isoformat(),
            "max_surprise": peak,
            "latent_dim": self.dim,
            "latent_space": self.latent_space,
            "index_kind": self.index.kind,
            "index_vectors": len(self.index),
        }


def _score(record: MemoryRecord, weights: RetrievalWeights, now: datetime) -> MemoryRecord:
    relevance = 1.0 if record.distance is None else 1.0 / (1.0 + record.distance)
    age = max(0.0, (now - datetime.fromisoformat(record.timestamp)).total_seconds())
    recency = 0.5 ** (age / weights.recency_half_life_s)
    importance = 1.0 - math.exp(-max(record.importance, 0.0))
    why = {"relevance": relevance, "recency": recency, "importance": importance}
    score = weights.relevance * relevance + weights.recency * recency + weights.importance * importance
    return replace(record, score=score, why=why)
