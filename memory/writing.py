"""Changing memories: remembering batches, re-encoding every latent, and forgetting.

Each change commits its SQL transaction first and only then touches the in-memory index (which
is saved on close), so a crash leaves the index file behind SQL, and `IndexSync` repairs that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from memory.errors import MemoryInputError
from memory.index import VectorIndex
from memory.index_sync import IndexSync
from memory.retrieval import Retrieval
from memory.schema import Base, CaptionEmbedding, ChatTurn, Episode, IndexState, Memory, Namespace, Sighting
from memory.store_core import BATCH
from memory.store_types import MemoryFilter, MemoryRecord, NewMemory

MEMORIES, SIGHTINGS = Base.metadata.tables["memories"], Base.metadata.tables["sightings"]
_REENCODE_BATCH = 256  # memories per call of a re-encoding function (frames rendered and encoded at once)


class Writing(IndexSync, Retrieval):
    def remember(
        self,
        episode: int,
        step: int,
        action: list[float],
        latent: np.ndarray,
        caption: str,
        facts: dict[str, Any],
        surprise: float | None,
        seen: Sequence[str] | None = None,
    ) -> int:
        memory = NewMemory(episode, step, action, latent, caption, facts, surprise, tuple(seen or ()))
        return self.remember_many([memory])[0]

    def remember_many(self, memories: Sequence[NewMemory]) -> list[int]:
        """Store a batch in one transaction, then index it; returns the new ids in order."""
        self._require_writer()
        if not memories:
            return []
        with self.sessions.begin() as session:
            ids, vectors = self._insert_memories(session, memories)
        self._index_added(ids, vectors)
        return ids

    def _insert_memories(self, session: Session, memories: Sequence[NewMemory]) -> tuple[list[int], np.ndarray]:
        """Insert a batch (rows and sightings) in the caller's transaction; returns its ids and vectors."""
        vectors = np.stack([self._vector(m.latent) for m in memories])
        now = datetime.now(UTC)
        rows = [
            {
                "namespace_id": self.namespace_id,
                "episode_id": m.episode,
                "step": m.step,
                "timestamp": m.timestamp or now,
                "action": m.action,
                "latent": vector.tobytes(),
                "caption": m.caption,
                "facts": m.facts,
                "surprise": m.surprise,
                "importance": m.importance if m.importance is not None else (m.surprise or 0.0),
                "access_count": 0,
            }
            for m, vector in zip(memories, vectors, strict=True)
        ]
        for episode in {m.episode for m in memories}:
            self._own_episode(session, episode)
        ids = self._allocate_ids(session, len(rows))
        for row, memory_id in zip(rows, ids, strict=True):
            row["id"] = memory_id
        # Core executemany with known ids: an ordered RETURNING makes SQLite insert row by row.
        session.execute(insert(MEMORIES), rows)
        sightings = [
            {"memory_id": memory_id, "name": name, "namespace_id": self.namespace_id}
            for memory_id, m in zip(ids, memories, strict=True)
            for name in sorted(set(m.seen))
        ]
        if sightings:
            session.execute(insert(SIGHTINGS), sightings)
        return ids, vectors

    def _index_added(self, ids: list[int], vectors: np.ndarray) -> None:
        self.index.add(np.asarray(ids, np.int64), vectors)
        self._index_unsaved = True
        self._rebuild_if_due()

    def import_records(
        self,
        episodes: Sequence[dict[str, Any]],
        memories: Sequence[NewMemory],
        chat: Sequence[tuple[str, str, datetime | None]],
        latent_space: str | None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Write checked records (an archive's) in one transaction, all or nothing, then index them.

        Episodes are `begin_episode`'s arguments by name; a memory's `episode` is its episode's
        position in `episodes`. The namespace takes `latent_space` (LatentSpaceError if it holds
        memories of another)."""
        self._require_writer()
        batches = []
        with self.sessions.begin() as session:
            self._adopt_latent_space(session, latent_space)
            added = [Episode(namespace_id=self.namespace_id, **episode) for episode in episodes]
            session.add_all(added)
            session.flush()
            for start in range(0, len(memories), BATCH):
                batch = [replace(m, episode=added[m.episode].id) for m in memories[start : start + BATCH]]
                batches.append(self._insert_memories(session, batch))
                if on_progress is not None:
                    on_progress(start + len(batch), len(memories))
            session.add_all(
                ChatTurn(namespace_id=self.namespace_id, role=role, text=text, timestamp=moment or datetime.now(UTC))
                for role, text, moment in chat
            )
        self.latent_space = latent_space
        for ids, vectors in batches:
            self._index_added(ids, vectors)

    def _allocate_ids(self, session: Session, count: int) -> list[int]:
        """Ids for a batch: PostgreSQL draws them from the sequence; elsewhere the batch takes the
        write lock first (by touching its namespace row), so continuing after the largest id is safe."""
        if self.engine.dialect.name == "postgresql":
            draw = text("SELECT nextval(pg_get_serial_sequence('memories', 'id')) FROM generate_series(1, :n)")
            return [int(i) for i in session.scalars(draw, {"n": count})]
        session.execute(update(Namespace).where(Namespace.id == self.namespace_id).values(name=Namespace.name))
        start = (session.scalar(select(func.max(Memory.id))) or 0) + 1
        return list(range(start, start + count))

    def reencode(
        self,
        encode: Callable[[list[MemoryRecord]], np.ndarray],
        latent_space: str,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Replace every latent by `encode(records)` (one row per record) and record `latent_space`.

        All new latents are computed before one transaction writes them, so a failure part-way
        leaves the old ones; the index is then rebuilt from SQL. Returns the count re-encoded."""
        self._require_writer()
        total = self.count()
        rows: list[dict[str, Any]] = []
        dim = self.dim
        for batch in _batches(self.scan(), _REENCODE_BATCH):
            latents = np.asarray(encode(batch), dtype=np.float32)
            if not rows and latents.ndim == 2:
                dim = latents.shape[1]  # the new encoder may make another size
            if latents.shape != (len(batch), dim) or not np.all(np.isfinite(latents)):
                raise MemoryInputError(f"re-encoding gave latents of shape {latents.shape} for {len(batch)} memories")
            rows += [{"id": r.id, "latent": z.tobytes()} for r, z in zip(batch, latents, strict=True)]
            if on_progress is not None:
                on_progress(len(rows), total)
        with self.sessions.begin() as session:
            if self._count(session) != len(rows):
                raise MemoryInputError(f"memories of {self.namespace!r} changed while re-encoding; nothing was changed")
            if rows:
                session.execute(update(Memory), rows)
            session.get_one(Namespace, self.namespace_id).latent_space = latent_space
            session.execute(delete(IndexState).where(IndexState.namespace_id == self.namespace_id))
        self.latent_space, self.dim = latent_space, dim
        self.index = VectorIndex(self.dim, self.index_settings)
        self._rebuild(self.index)
        return len(rows)

    def recaption(
        self,
        stale: Callable[[str], bool],
        describe: Callable[[list[MemoryRecord]], list[tuple[str, Sequence[str]]]],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Rewrite the caption and sightings of every memory whose caption is `stale`, with
        `describe(records)` (a caption and the names seen, one per record); latents and facts stay.

        All new captions are computed before one transaction writes them, so a failure part-way
        leaves the old ones. Returns the count rewritten."""
        self._require_writer()
        with self.sessions() as session:
            rows = session.execute(select(Memory.id, Memory.caption).where(Memory.namespace_id == self.namespace_id))
            ids = [memory_id for memory_id, caption in rows if stale(caption)]
        captions: list[dict[str, Any]] = []
        sightings: list[dict[str, Any]] = []
        for start in range(0, len(ids), _REENCODE_BATCH):
            batch = self._records(self._select().where(Memory.id.in_(ids[start : start + _REENCODE_BATCH])))
            described = describe(batch)
            if len(described) != len(batch):
                raise MemoryInputError(f"recaptioning gave {len(described)} captions for {len(batch)} memories")
            for record, (caption, seen) in zip(batch, described, strict=True):
                captions.append({"id": record.id, "caption": caption})
                sightings += [
                    {"memory_id": record.id, "name": name, "namespace_id": self.namespace_id}
                    for name in sorted(set(seen))
                ]
            if on_progress is not None:
                on_progress(len(captions), len(ids))
        if not captions:
            return 0
        with self.sessions.begin() as session:
            session.execute(update(Memory), captions)
            for start in range(0, len(ids), BATCH):
                session.execute(delete(Sighting).where(Sighting.memory_id.in_(ids[start : start + BATCH])))
            if sightings:
                session.execute(insert(SIGHTINGS), sightings)
        return len(captions)

    # -- forgetting ----------------------------------------------------------------------
    def forget(self, ids: Iterable[int]) -> int:
        """Delete these memories (SQL rows and vectors); unknown ids are an error, nothing is deleted then."""
        self._require_writer()
        wanted = sorted({int(i) for i in ids})
        with self.sessions() as session:
            owned = set(
                session.scalars(
                    select(Memory.id).where(Memory.namespace_id == self.namespace_id, Memory.id.in_(wanted))
                ).all()
            )
        unknown = [i for i in wanted if i not in owned]
        if unknown:
            raise MemoryInputError(f"no memory {', '.join(f'#{i}' for i in unknown[:5])} in {self.namespace!r}")
        return self._delete_memories(wanted)

    def forget_matching(self, where: MemoryFilter) -> int:
        """Delete every memory the filter selects (an episode, everything before a time, ...)."""
        self._require_writer()
        if where.is_empty:
            raise MemoryInputError("refusing to forget with an empty filter; use forget_all for everything")
        with self.sessions() as session:
            ids = list(session.scalars(self._select(where).with_only_columns(Memory.id)).all())
        return self._delete_memories(ids)

    def forget_episode(self, episode: int) -> int:
        self._require_writer()
        with self.sessions() as session:
            self._own_episode(session, episode)
        count = self.forget_matching(MemoryFilter(episode=episode))
        with self.sessions.begin() as session:
            session.execute(delete(Episode).where(Episode.id == episode))
        return count

    def _delete_memories(self, ids: list[int]) -> int:
        with self.sessions.begin() as session:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                session.execute(delete(Sighting).where(Sighting.memory_id.in_(chunk)))
                session.execute(delete(Memory).where(Memory.id.in_(chunk)))
        self.index.remove(ids)
        self._index_unsaved = True
        self._rebuild_if_due()
        return len(ids)

    def forget_all(self) -> int:
        """Delete every memory, episode and chat turn of this namespace, and its index file."""
        self._require_writer()
        count = self.count()
        with self.sessions.begin() as session:
            for table in (Sighting, Memory, ChatTurn, Episode, CaptionEmbedding, IndexState):
                session.execute(delete(table).where(table.namespace_id == self.namespace_id))
        self.index = VectorIndex(self.dim, self.index_settings)
        self.index_path.unlink(missing_ok=True)
        return count


def _batches(items: Iterable[MemoryRecord], size: int) -> Iterator[list[MemoryRecord]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
