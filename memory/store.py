"""MemoryStore: write and read one namespace's memories; SQL is the truth, FAISS a rebuildable cache.

Every write commits its SQL transaction before its vectors enter the index, so a crash can only
leave the index behind SQL, never the reverse; on open the persisted index file is verified
against the checksum recorded in SQL and reconciled with the ids in SQL (missing vectors added,
deleted ones removed), with a warning, and rebuilt from SQL when the file cannot be trusted.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
from sqlalchemy import Select, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from memory.captions import CaptionIndex, TextEmbedder
from memory.database import cannot_open, open_engine, sqlite_path
from memory.errors import LatentSpaceError, MemoryInputError
from memory.index import IndexFileError, VectorIndex
from memory.index_settings import IndexSettings
from memory.migrate import upgrade
from memory.records import MemoryFilter, MemoryRecord, NewMemory, RetrievalWeights
from memory.schema import Base, CaptionEmbedding, ChatTurn, Episode, IndexState, Memory, Namespace, Sighting

LATENT_INDEX = "latent"
MEMORIES, SIGHTINGS = Base.metadata.tables["memories"], Base.metadata.tables["sightings"]
_BATCH = 5000  # rows per SQL statement when reading or deleting many ids
_REENCODE_BATCH = 256  # memories per call of a re-encoding function (frames rendered and encoded at once)


def namespaces(url: str) -> list[str]:
    """Names of every namespace in a database (the one query that is not scoped to a namespace)."""
    engine = open_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            return list(connection.scalars(select(Namespace.name).order_by(Namespace.name)))
    except DBAPIError as exc:
        raise cannot_open(url, exc) from None
    finally:
        engine.dispose()


def default_index_dir(url: str) -> Path:
    """Index files live beside a SQLite file, or in the user cache for server databases."""
    path = sqlite_path(url)
    if path is not None:
        return path.with_name(path.name + ".index")
    return Path(platformdirs.user_cache_dir("worldmind")) / "index" / hashlib.sha256(url.encode()).hexdigest()[:16]


class MemoryStore:
    def __init__(
        self,
        url: str,
        namespace: str,
        dim: int | None = None,
        *,
        index: IndexSettings | None = None,
        index_dir: Path | None = None,
        text_embedder: TextEmbedder | None = None,
        create: bool = True,
        write_index: bool = True,
        warn: Callable[[str], None] | None = None,
        latent_space: str | None = None,
    ) -> None:
        """`latent_space` names the encoder of the caller's latents (`WorldModel.latent_space`): an
        empty namespace records it, and one whose memories came from another encoder is refused
        (LatentSpaceError) until `reencode` has moved them, since their distances would be meaningless."""
        self.engine = open_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.namespace = namespace
        self.write_index = write_index
        self._index_unsaved = False  # vectors added or removed since the index file was written
        self.warn = warn or (lambda message: warnings.warn(message, stacklevel=3))
        try:
            upgrade(self.engine)
            self.namespace_id = self._namespace_id(namespace, create)
            self.latent_space = self._claim_latent_space(latent_space)
        except DBAPIError as exc:
            self.engine.dispose()
            raise cannot_open(url, exc) from None
        except MemoryInputError:
            self.engine.dispose()
            raise
        self.dim = self._resolve_dimension(dim)
        self.index_settings = index or IndexSettings(kind=self._recorded_kind() or "flat")
        self.index_path = (index_dir or default_index_dir(url)) / f"namespace-{self.namespace_id}.faiss"
        self.index = self._open_index()
        self.captions = None if text_embedder is None else CaptionIndex(self.sessions, self.namespace_id, text_embedder)

    def _namespace_id(self, name: str, create: bool) -> int:
        with self.sessions.begin() as session:
            found = session.scalar(select(Namespace).where(Namespace.name == name))
            if found is None:
                if not create:
                    known = ", ".join(session.scalars(select(Namespace.name).order_by(Namespace.name))) or "none"
                    raise MemoryInputError(f"no namespace {name!r} in this database (known: {known})")
                found = Namespace(name=name)
                session.add(found)
                session.flush()
            return found.id

    def _claim_latent_space(self, wanted: str | None) -> str | None:
        """The namespace's recorded latent space; `wanted` is recorded when it holds no memory yet."""
        with self.sessions() as session:
            recorded = session.get_one(Namespace, self.namespace_id).latent_space
        if wanted is None or wanted == recorded:
            return recorded
        self.adopt_latent_space(wanted)
        return wanted

    def adopt_latent_space(self, latent_space: str | None) -> None:
        """Record whose encoder made the latents about to be written; only an empty namespace may
        change it (LatentSpaceError otherwise: re-encode its memories instead)."""
        with self.sessions.begin() as session:
            self._adopt_latent_space(session, latent_space)
        self.latent_space = latent_space

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

    def _resolve_dimension(self, dim: int | None) -> int:
        """The latent size: the caller's, checked against what is stored, or (if None) what is stored.

        An empty namespace opened without a size gets 0: it can be read and searched, not written.
        """
        with self.sessions() as session:
            size = session.scalar(
                select(func.length(Memory.latent)).where(Memory.namespace_id == self.namespace_id).limit(1)
            )
        stored = None if size is None else size // 4
        if dim is not None and stored is not None and stored != dim:
            self.engine.dispose()
            raise MemoryInputError(
                f"namespace {self.namespace!r} stores {stored}-d latents; this model makes {dim}-d ones"
            )
        return dim if dim is not None else (stored or 0)

    # -- index ---------------------------------------------------------------------------
    def _index_state(self) -> IndexState | None:
        """What SQL records about the namespace's index file (kind, vector count, checksum)."""
        with self.sessions() as session:
            return session.get(IndexState, (self.namespace_id, LATENT_INDEX))

    def _recorded_kind(self) -> str | None:
        state = self._index_state()
        return None if state is None else state.kind

    def _load_index_file(self, state: IndexState | None) -> VectorIndex:
        if state is None:
            raise IndexFileError("no index file was recorded")
        return VectorIndex.load(self.index_path, self.dim, self.index_settings, state.checksum)

    def _open_index(self) -> VectorIndex:
        state = self._index_state()
        try:
            index = self._load_index_file(state)
        except IndexFileError as exc:
            index = VectorIndex(self.dim, self.index_settings)
            if self.count() > 0:
                self.warn(f"{exc}; rebuilding the {self.namespace!r} index from SQL")
                self._rebuild(index)
            return index
        assert state is not None  # a file loaded, so SQL recorded it
        if state.kind != self.index_settings.kind:
            self._rebuild(index)  # the configured kind changed: build the new one
            return index
        missing, extra = self._reconcile(index)
        if missing or extra:
            self.warn(
                f"index of {self.namespace!r} was behind SQL ({missing} missing, {extra} deleted vectors); repaired"
            )
            self._save_index(index)
        return index

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
            for start in range(0, len(ids), _BATCH):
                chunk = [int(i) for i in ids[start : start + _BATCH]]
                rows.update(
                    (i, v) for i, v in session.execute(select(Memory.id, Memory.latent).where(Memory.id.in_(chunk)))
                )
        if not rows:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([np.frombuffer(rows[int(i)], dtype=np.float32) for i in ids])

    def _reconcile(self, index: VectorIndex) -> tuple[int, int]:
        """Add vectors SQL has and the index lacks; drop vectors of deleted memories. Returns the counts."""
        in_sql, in_index = self.ids(), index.ids()
        missing = np.setdiff1d(in_sql, in_index)
        extra = np.setdiff1d(in_index, in_sql)
        index.remove(int(i) for i in extra)
        index.add(missing, self._vectors_of(missing))
        return len(missing), len(extra)

    def _rebuild(self, index: VectorIndex) -> None:
        ids = self.ids()
        index.rebuild(ids, self._vectors_of(ids))
        self._save_index(index)

    def rebuild_index(self, settings: IndexSettings | None = None) -> int:
        """Build the index again from SQL (as another kind, if given) and persist it; returns its size."""
        if settings is not None:
            self.index_settings = settings
            self.index = VectorIndex(self.dim, settings)
        self._rebuild(self.index)
        return len(self.index)

    def save_index(self) -> None:
        self._save_index(self.index)

    def _save_index(self, index: VectorIndex) -> None:
        if not self.write_index:
            return
        checksum = index.save(self.index_path)
        with self.sessions.begin() as session:
            state = session.get(IndexState, (self.namespace_id, LATENT_INDEX))
            if state is None:
                state = IndexState(namespace_id=self.namespace_id, name=LATENT_INDEX)
                session.add(state)
            state.kind, state.vector_count, state.checksum = self.index_settings.kind, len(index), checksum
        self._index_unsaved = False

    def check(self) -> dict[str, Any]:
        """Compare the index file on disk with SQL and report what a repair would do."""
        in_sql = self.ids()
        try:
            file_ids, file_status = self._load_index_file(self._index_state()).ids(), "ok"
        except IndexFileError as exc:
            file_ids, file_status = np.zeros(0, np.int64), str(exc)
        missing = len(np.setdiff1d(in_sql, file_ids))
        deleted = len(np.setdiff1d(file_ids, in_sql))
        repairs = []
        if file_status != "ok" and len(in_sql):
            repairs.append(f"rebuild the index from SQL ({file_status})")
        elif missing or deleted:
            repairs.append(f"add {missing} missing vectors and drop {deleted} deleted ones, then save the index")
        return {
            "namespace": self.namespace,
            "memories": len(in_sql),
            "index_kind": self.index_settings.kind,
            "index_file": str(self.index_path),
            "index_file_status": file_status,
            "index_file_vectors": len(file_ids),
            "missing_from_index_file": missing,
            "deleted_but_in_index_file": deleted,
            "consistent": not repairs,
            "repairs": repairs,
        }

    # -- episodes ------------------------------------------------------------------------
    def begin_episode(
        self,
        world: str,
        seed: int,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
        summary: dict[str, Any] | None = None,
    ) -> int:
        """Open an episode (an imported one arrives with its times and summary already known)."""
        with self.sessions.begin() as session:
            episode = Episode(
                namespace_id=self.namespace_id,
                world=world,
                seed=seed,
                started_at=started_at or datetime.now(UTC),
                ended_at=ended_at,
                summary=summary,
            )
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

    def episodes(self) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.scalars(
                select(Episode).where(Episode.namespace_id == self.namespace_id).order_by(Episode.id)
            ).all()
        return [
            {
                "id": e.id,
                "world": e.world,
                "seed": e.seed,
                "started_at": as_utc(e.started_at).isoformat(),
                "ended_at": None if e.ended_at is None else as_utc(e.ended_at).isoformat(),
                "summary": e.summary,
            }
            for e in rows
        ]

    def _own_episode(self, session: Any, episode: int) -> Episode:
        record = session.get(Episode, episode)
        if record is None or record.namespace_id != self.namespace_id:
            raise MemoryInputError(f"no episode {episode} in namespace {self.namespace!r}")
        return record

    def end_episode(self, episode: int) -> None:
        """Close an episode with a summary: memory count, objects seen, the most surprising moments."""
        with self.sessions.begin() as session:
            record = self._own_episode(session, episode)
            count = session.scalar(select(func.count()).where(Memory.episode_id == episode)) or 0
            seen = session.scalars(
                select(Sighting.name)
                .join(Memory, Memory.id == Sighting.memory_id)
                .where(Memory.episode_id == episode)
                .distinct()
            ).all()
            peaks = session.execute(
                select(Memory.step, Memory.surprise)
                .where(Memory.episode_id == episode, Memory.surprise.is_not(None))
                .order_by(Memory.surprise.desc())
                .limit(3)
            ).all()
            record.ended_at = datetime.now(UTC)
            record.summary = {
                "memories": count,
                "objects_seen": sorted(seen),
                "most_surprising": [{"step": s, "surprise": v} for s, v in peaks],
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
        seen: Sequence[str] | None = None,
    ) -> int:
        memory = NewMemory(episode, step, action, latent, caption, facts, surprise, tuple(seen or ()))
        return self.remember_many([memory])[0]

    def remember_many(self, memories: Sequence[NewMemory]) -> list[int]:
        """Store a batch in one transaction, then index it; returns the new ids in order."""
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
        batches = []
        with self.sessions.begin() as session:
            self._adopt_latent_space(session, latent_space)
            added = [Episode(namespace_id=self.namespace_id, **episode) for episode in episodes]
            session.add_all(added)
            session.flush()
            for start in range(0, len(memories), _BATCH):
                batch = [replace(m, episode=added[m.episode].id) for m in memories[start : start + _BATCH]]
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

    def reencode(
        self,
        encode: Callable[[list[MemoryRecord]], np.ndarray],
        latent_space: str,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Replace every latent by `encode(records)` (one row per record) and record `latent_space`.

        All new latents are computed before one transaction writes them, so a failure part-way
        leaves the old ones; the index is then rebuilt from SQL. Returns the count re-encoded."""
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

    def _allocate_ids(self, session: Session, count: int) -> list[int]:
        """Ids for a batch: PostgreSQL draws them from the sequence; elsewhere the batch takes the
        write lock first (by touching its namespace row), so continuing after the largest id is safe."""
        if self.engine.dialect.name == "postgresql":
            draw = text("SELECT nextval(pg_get_serial_sequence('memories', 'id')) FROM generate_series(1, :n)")
            return [int(i) for i in session.scalars(draw, {"n": count})]
        session.execute(update(Namespace).where(Namespace.id == self.namespace_id).values(name=Namespace.name))
        start = (session.scalar(select(func.max(Memory.id))) or 0) + 1
        return list(range(start, start + count))

    def _vector(self, latent: np.ndarray) -> np.ndarray:
        vector = np.asarray(latent, dtype=np.float32).reshape(-1)
        if vector.shape != (self.dim,):
            raise MemoryInputError(f"latent has {vector.size} values; this memory stores {self.dim}")
        if not np.all(np.isfinite(vector)):
            raise MemoryInputError("latent contains NaN or infinite values")
        return vector

    def add_chat_turn(self, role: str, text: str, timestamp: datetime | None = None) -> None:
        with self.sessions.begin() as session:
            session.add(
                ChatTurn(namespace_id=self.namespace_id, role=role, text=text, timestamp=timestamp or datetime.now(UTC))
            )

    # -- reading -------------------------------------------------------------------------
    @staticmethod
    def _record(memory: Memory, distance: float | None = None) -> MemoryRecord:
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

    def _select(self, where: MemoryFilter | None = None) -> Select:
        query = select(Memory).where(Memory.namespace_id == self.namespace_id)
        return where.apply(query) if where is not None else query

    def _records(self, query: Select) -> list[MemoryRecord]:
        with self.sessions() as session:
            return [self._record(m) for m in session.scalars(query).all()]

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

    def scan(self, batch: int = _BATCH) -> Iterator[MemoryRecord]:
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
                records = [self._record(m, hits[m.id]) for m in rows]
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

    def chat_history(self, limit: int | None = 20) -> list[dict[str, str]]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ChatTurn)
                .where(ChatTurn.namespace_id == self.namespace_id)
                .order_by(ChatTurn.id.desc())
                .limit(limit)
            ).all()
        return [{"role": t.role, "text": t.text, "timestamp": as_utc(t.timestamp).isoformat()} for t in reversed(rows)]

    def count(self, where: MemoryFilter | None = None) -> int:
        with self.sessions() as session:
            return self._count(session, where)

    def _count(self, session: Session, where: MemoryFilter | None = None) -> int:
        return session.scalar(self._select(where).with_only_columns(func.count())) or 0

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

    # -- forgetting ----------------------------------------------------------------------
    def forget(self, ids: Iterable[int]) -> int:
        """Delete these memories (SQL rows and vectors); unknown ids are an error, nothing is deleted then."""
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
        if where.is_empty:
            raise MemoryInputError("refusing to forget with an empty filter; use forget_all for everything")
        with self.sessions() as session:
            ids = list(session.scalars(self._select(where).with_only_columns(Memory.id)).all())
        return self._delete_memories(ids)

    def forget_episode(self, episode: int) -> int:
        with self.sessions() as session:
            self._own_episode(session, episode)
        count = self.forget_matching(MemoryFilter(episode=episode))
        with self.sessions.begin() as session:
            session.execute(delete(Episode).where(Episode.id == episode))
        return count

    def _delete_memories(self, ids: list[int]) -> int:
        with self.sessions.begin() as session:
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start : start + _BATCH]
                session.execute(delete(Sighting).where(Sighting.memory_id.in_(chunk)))
                session.execute(delete(Memory).where(Memory.id.in_(chunk)))
        self.index.remove(ids)
        self._index_unsaved = True
        self._rebuild_if_due()
        return len(ids)

    def _rebuild_if_due(self) -> None:
        if self.index.needs_rebuild:
            self._rebuild(self.index)

    def forget_all(self) -> int:
        """Delete every memory, episode and chat turn of this namespace, and its index file."""
        count = self.count()
        with self.sessions.begin() as session:
            for table in (Sighting, Memory, ChatTurn, Episode, CaptionEmbedding, IndexState):
                session.execute(delete(table).where(table.namespace_id == self.namespace_id))
        self.index = VectorIndex(self.dim, self.index_settings)
        self.index_path.unlink(missing_ok=True)
        return count

    def close(self) -> None:
        """Persist the index, if it changed, so the next open loads it instead of repairing it.

        Read-only use (the `memory` commands, `ask`) never rewrites a large index file."""
        try:
            if self._index_unsaved:
                self.save_index()
        finally:
            self.engine.dispose()


def _batches(items: Iterable[MemoryRecord], size: int) -> Iterator[list[MemoryRecord]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this store writes is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _score(record: MemoryRecord, weights: RetrievalWeights, now: datetime) -> MemoryRecord:
    relevance = 1.0 if record.distance is None else 1.0 / (1.0 + record.distance)
    age = max(0.0, (now - datetime.fromisoformat(record.timestamp)).total_seconds())
    recency = 0.5 ** (age / weights.recency_half_life_s)
    importance = 1.0 - math.exp(-max(record.importance, 0.0))
    why = {"relevance": relevance, "recency": recency, "importance": importance}
    score = weights.relevance * relevance + weights.recency * recency + weights.importance * importance
    return replace(record, score=score, why=why)
