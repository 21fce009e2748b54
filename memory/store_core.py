"""What every part of `MemoryStore` shares: the namespace's state and the SQL helpers scoped to it.

`MemoryStore` is assembled from parts with one job each (index synchronisation, retrieval,
episodes and chat, writing); they are mixins over this core rather than separate objects so that
the store keeps one flat public API and one set of attributes (`index`, `dim`, ...) that callers
and tests already use. Every query here is scoped to `namespace_id`: no part builds its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from memory.captions import CaptionIndex
from memory.database import masked_url
from memory.errors import LatentSpaceError, MemoryInputError
from memory.index import VectorIndex
from memory.index_settings import IndexSettings
from memory.schema import Episode, Memory, Namespace
from memory.store_types import MemoryFilter, MemoryRecord
from memory.writer_lock import NamespaceLock

BATCH = 5000  # rows per SQL statement when reading or deleting many ids


class StoreCore:
    """The state `MemoryStore.__init__` sets up, and the scoped reads that several parts need."""

    engine: Engine
    sessions: sessionmaker[Session]
    namespace: str
    namespace_id: int
    dim: int
    latent_space: str | None
    writer: bool  # holds the namespace's writer lock; False: read-only, never writes the index file
    writer_lock: NamespaceLock
    warn: Callable[[str], None]
    index: VectorIndex
    index_settings: IndexSettings
    index_path: Path
    captions: CaptionIndex | None
    _index_unsaved: bool  # vectors added or removed since the index file was written

    def _require_writer(self) -> None:
        """A read-only store holds no writer lock, so it must not change anything (access counts aside)."""
        if not self.writer:
            raise MemoryInputError(f"namespace {self.namespace!r} was opened read-only; it cannot be changed here")

    def _select(self, where: MemoryFilter | None = None) -> Select:
        query = select(Memory).where(Memory.namespace_id == self.namespace_id)
        return where.apply(query) if where is not None else query

    def _records(self, query: Select) -> list[MemoryRecord]:
        with self.sessions() as session:
            return [record_of(m) for m in session.scalars(query).all()]

    def count(self, where: MemoryFilter | None = None) -> int:
        with self.sessions() as session:
            return self._count(session, where)

    def _adopt_latent_space(self, session: Session, latent_space: str | None) -> None:
        found = session.get_one(Namespace, self.namespace_id)
        held = self._count(session)
        if held and found.latent_space != latent_space:
            made_by = found.latent_space or "an unrecorded world model"
            raise LatentSpaceError(
                f"namespace {self.namespace!r} holds {held} memories encoded by {made_by}, not by "
                f"{latent_space or 'an unrecorded world model'}; re-encode them first (worldmind chat, ask "
                "and replay do it on open)"
            )
        found.latent_space = latent_space

    def _count(self, session: Session, where: MemoryFilter | None = None) -> int:
        return session.scalar(self._select(where).with_only_columns(func.count())) or 0

    def ids(self) -> np.ndarray:
        """Every memory id of the namespace, ascending (as SQL has them)."""
        with self.sessions() as session:
            ids = session.scalars(
                select(Memory.id).where(Memory.namespace_id == self.namespace_id).order_by(Memory.id)
            ).all()
        return np.asarray(ids, dtype=np.int64)

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        rows: dict[int, bytes] = {}
        with self.sessions() as session:
            for start in range(0, len(ids), BATCH):
                chunk = [int(i) for i in ids[start : start + BATCH]]
                rows.update(
                    (i, v) for i, v in session.execute(select(Memory.id, Memory.latent).where(Memory.id.in_(chunk)))
                )
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        unread = len(ids) - len(rows)
        if unread:  # listed by one query, absent from the next: a damaged table or index
            raise MemoryInputError(
                f"memory database {masked_url(str(self.engine.url))}: {unread} memories of {self.namespace!r} are "
                "listed but cannot be read; the file is damaged: run `worldmind memory check`"
            )
        return np.stack([np.frombuffer(rows[int(i)], dtype=np.float32) for i in ids])

    def _vector(self, latent: np.ndarray) -> np.ndarray:
        vector = np.asarray(latent, dtype=np.float32).reshape(-1)
        if vector.shape != (self.dim,):
            raise MemoryInputError(f"latent has {vector.size} values; this memory stores {self.dim}")
        if not np.all(np.isfinite(vector)):
            raise MemoryInputError("latent contains NaN or infinite values")
        return vector

    def _own_episode(self, session: Any, episode: int) -> Episode:
        record = session.get(Episode, episode)
        if record is None or record.namespace_id != self.namespace_id:
            raise MemoryInputError(f"no episode {episode} in namespace {self.namespace!r}")
        return record


def record_of(memory: Memory, distance: float | None = None) -> MemoryRecord:
    return MemoryRecord(
        id=memory.id,
        episode=memory.episode_id,
        step=memory.step,
        timestamp=as_utc(memory.timestamp).isoformat(),
        action=list(memory.action),
        caption=memory.caption,
        facts=memory.facts,
        surprise=memory.surprise,
        importance=memory.importance,
        seen=tuple(s.name for s in memory.sightings),
        latent=np.frombuffer(memory.latent, dtype=np.float32).copy(),
        access_count=memory.access_count,
        distance=distance,
    )


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this store writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
