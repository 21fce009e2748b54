"""MemoryStore: write and read one namespace's memories; SQL first, FAISS as a rebuildable cache.

Every write commits its SQL transaction before the vector enters the index, so a crash can
only lose index entries, never committed memories; the index is rebuilt from SQL on open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from sqlalchemy import create_engine, delete, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from memory.errors import MemoryInputError
from memory.schema import Base, ChatTurn, Episode, Memory, Namespace, Sighting


@dataclass(frozen=True)
class MemoryRecord:
    """A stored memory as read back, with what is needed to explain why it was retrieved."""

    id: int
    episode: int
    step: int
    timestamp: str
    caption: str
    facts: dict[str, Any]
    surprise: float | None
    latent: np.ndarray
    distance: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "episode": self.episode,
            "step": self.step,
            "timestamp": self.timestamp,
            "caption": self.caption,
            "surprise": self.surprise,
            "distance": self.distance,
        }


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _engine(url: str) -> Engine:
    try:
        engine = create_engine(url)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise MemoryInputError(f"bad database URL {url!r}: {exc}") from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


class MemoryStore:
    def __init__(self, url: str, namespace: str, dim: int) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = _engine(url)
        try:
            Base.metadata.create_all(self.engine)
        except OperationalError as exc:
            raise MemoryInputError(f"cannot open the memory database {url!r}: {exc.orig}") from None
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.dim = dim
        with self.sessions.begin() as session:
            found = session.scalar(select(Namespace).where(Namespace.name == namespace))
            if found is None:
                found = Namespace(name=namespace)
                session.add(found)
                session.flush()
            self.namespace_id = found.id
        self.namespace = namespace
        self.index = faiss.IndexIDMap2(faiss.IndexFlatL2(dim))
        self.rebuild_index()

    # -- index ---------------------------------------------------------------------------
    def rebuild_index(self) -> int:
        """Reload every vector of the namespace from SQL (the source of truth)."""
        self.index.reset()
        with self.sessions() as session:
            rows = session.execute(
                select(Memory.id, Memory.latent).where(Memory.namespace_id == self.namespace_id)
            ).all()
        if rows:
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            vectors = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
            self.index.add_with_ids(vectors, ids)
        return len(rows)

    # -- episodes ------------------------------------------------------------------------
    def begin_episode(self, world: str, seed: int) -> int:
        with self.sessions.begin() as session:
            episode = Episode(namespace_id=self.namespace_id, world=world, seed=seed)
            session.add(episode)
            session.flush()
            return episode.id

    def last_episode(self) -> tuple[int, str, int] | None:
        with self.sessions() as session:
            row = session.execute(
                select(Episode.id, Episode.world, Episode.seed)
                .where(Episode.namespace_id == self.namespace_id)
                .order_by(Episode.id.desc())
                .limit(1)
            ).first()
        return None if row is None else (row[0], row[1], row[2])

    def end_episode(self, episode: int) -> None:
        """Close an episode with a summary: memory count, objects seen, the most surprising moment."""
        with self.sessions.begin() as session:
            record = session.get(Episode, episode)
            if record is None or record.namespace_id != self.namespace_id:
                raise MemoryInputError(f"unknown episode {episode} in namespace {self.namespace!r}")
            count = session.scalar(select(func.count()).where(Memory.episode_id == episode)) or 0
            seen = session.scalars(
                select(Sighting.name)
                .join(Memory, Memory.id == Sighting.memory_id)
                .where(Memory.episode_id == episode)
                .distinct()
            ).all()
            peak = session.execute(
                select(Memory.step, Memory.surprise)
                .where(Memory.episode_id == episode, Memory.surprise.is_not(None))
                .order_by(Memory.surprise.desc())
                .limit(1)
            ).first()
            record.ended_at = datetime.now(UTC)
            record.summary = {
                "memories": count,
                "objects_seen": sorted(seen),
                "most_surprising": None if peak is None else {"step": peak[0], "surprise": peak[1]},
            }

    # -- writing -------------------------------------------------------------------------
    def remember(
        self,
        episode: int,
        step: int,
        action: list[float],
        latent: np.ndarray,
        caption: str,
        facts: dict[str, Any],
        surprise: float | None,
        seen: list[str] | None = None,
    ) -> int:
        vector = np.asarray(latent, dtype=np.float32).reshape(-1)
        if vector.shape != (self.dim,):
            raise MemoryInputError(f"latent has {vector.size} values; this memory stores {self.dim}")
        with self.sessions.begin() as session:
            memory = Memory(
                namespace_id=self.namespace_id,
                episode_id=episode,
                step=step,
                action=action,
                latent=vector.tobytes(),
                caption=caption,
                facts=facts,
                surprise=surprise,
                importance=surprise or 0.0,
            )
            session.add(memory)
            session.flush()
            for name in sorted(set(seen or [])):
                session.add(Sighting(memory_id=memory.id, name=name, namespace_id=self.namespace_id))
            memory_id = memory.id
        self.index.add_with_ids(vector[None], np.array([memory_id], dtype=np.int64))
        return memory_id

    def add_chat_turn(self, role: str, text: str) -> None:
        with self.sessions.begin() as session:
            session.add(ChatTurn(namespace_id=self.namespace_id, role=role, text=text))

    # -- reading -------------------------------------------------------------------------
    @staticmethod
    def _record(memory: Memory, distance: float | None = None) -> MemoryRecord:
        return MemoryRecord(
            memory.id,
            memory.episode_id,
            memory.step,
            memory.timestamp.isoformat(),
            memory.caption,
            memory.facts,
            memory.surprise,
            np.frombuffer(memory.latent, dtype=np.float32).copy(),
            distance,
        )

    def _select(self, session: Session):
        return select(Memory).where(Memory.namespace_id == self.namespace_id)

    def get(self, memory_id: int) -> MemoryRecord:
        with self.sessions() as session:
            memory = session.scalar(self._select(session).where(Memory.id == memory_id))
            if memory is None:
                raise MemoryInputError(f"no memory #{memory_id} in namespace {self.namespace!r}")
            return self._record(memory)

    def recent(self, limit: int = 10) -> list[MemoryRecord]:
        with self.sessions() as session:
            rows = session.scalars(self._select(session).order_by(Memory.id.desc()).limit(limit)).all()
            return [self._record(m) for m in rows]

    def most_surprising(self, limit: int = 5) -> list[MemoryRecord]:
        with self.sessions() as session:
            rows = session.scalars(
                self._select(session).where(Memory.surprise.is_not(None)).order_by(Memory.surprise.desc()).limit(limit)
            ).all()
            return [self._record(m) for m in rows]

    def last_seen(self, name: str) -> MemoryRecord | None:
        with self.sessions() as session:
            memory = session.scalar(
                self._select(session)
                .join(Sighting, Sighting.memory_id == Memory.id)
                .where(Sighting.name == name)
                .order_by(Memory.id.desc())
                .limit(1)
            )
            return None if memory is None else self._record(memory)

    def search_text(self, text: str, limit: int = 10) -> list[MemoryRecord]:
        """Memories whose caption contains every word of `text` (case-insensitive), newest first."""
        query = self._select_words(text)
        with self.sessions() as session:
            return [self._record(m) for m in session.scalars(query.order_by(Memory.id.desc()).limit(limit)).all()]

    def _select_words(self, text: str):
        query = select(Memory).where(Memory.namespace_id == self.namespace_id)
        for word in text.lower().split():
            query = query.where(func.lower(Memory.caption).contains(word))
        return query

    def search_vector(self, latent: np.ndarray, k: int = 10) -> list[MemoryRecord]:
        """The k nearest memories to a latent (exact L2 search in the namespace's index)."""
        vector = np.asarray(latent, dtype=np.float32).reshape(1, -1)
        if vector.shape[1] != self.dim:
            raise MemoryInputError(f"query has {vector.shape[1]} values; this memory stores {self.dim}")
        if self.index.ntotal == 0:
            return []
        distances, ids = self.index.search(vector, min(k, self.index.ntotal))
        found = {int(i): float(d) for i, d in zip(ids[0], distances[0], strict=True) if i >= 0}
        with self.sessions() as session:
            rows = session.scalars(self._select(session).where(Memory.id.in_(found))).all()
            records = [self._record(m, found[m.id]) for m in rows]
        return sorted(records, key=lambda r: r.distance or 0.0)

    def chat_history(self, limit: int = 20) -> list[dict[str, str]]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ChatTurn)
                .where(ChatTurn.namespace_id == self.namespace_id)
                .order_by(ChatTurn.id.desc())
                .limit(limit)
            ).all()
        return [{"role": t.role, "text": t.text, "timestamp": t.timestamp.isoformat()} for t in reversed(rows)]

    def count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).where(Memory.namespace_id == self.namespace_id)) or 0

    # -- forgetting ----------------------------------------------------------------------
    def forget_all(self) -> int:
        """Delete every memory, episode and chat turn of this namespace (vectors too)."""
        with self.sessions.begin() as session:
            count = self.count()
            for table in (Sighting, Memory, ChatTurn, Episode):
                session.execute(delete(table).where(table.namespace_id == self.namespace_id))
        self.index.reset()
        return count

    def close(self) -> None:
        self.engine.dispose()
