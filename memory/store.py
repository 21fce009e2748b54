"""MemoryStore: write and read one namespace's memories; SQL is the truth, FAISS a rebuildable cache.

This module opens a namespace (its row, latent space, latent size and index) and closes it; the
store's other jobs live in their own modules, assembled here into one class with one public API:
- `memory.index_sync`: open, reconcile, rebuild, save and check the index against SQL;
- `memory.retrieval`: get, browse, kNN and text search, recall scoring, stats;
- `memory.episodes`: episodes and chat turns;
- `memory.writing`: remember, re-encode and forget;
- `memory.store_core`: the state and namespace-scoped SQL helpers they share.
"""

from __future__ import annotations

import hashlib
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path

import platformdirs
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from memory.captions import CaptionIndex, TextEmbedder
from memory.database import display_url, open_engine, sqlite_path
from memory.episodes import Episodes
from memory.errors import LatentSpaceError, MemoryInputError
from memory.index_settings import IndexSettings
from memory.migrate import upgrade
from memory.schema import Memory, Namespace
from memory.writer_lock import NamespaceLock
from memory.writing import Writing


def namespaces(url: str) -> list[str]:
    """Names of every namespace in a database (the one query that is not scoped to a namespace)."""
    engine = open_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            return list(connection.scalars(select(Namespace.name).order_by(Namespace.name)))
    finally:
        engine.dispose()


def default_index_dir(url: str) -> Path:
    """Index files live beside a SQLite file, or in the user cache for server databases."""
    path = sqlite_path(url)
    if path is not None:
        return path.with_name(path.name + ".index")
    return Path(platformdirs.user_cache_dir("worldmind")) / "index" / hashlib.sha256(url.encode()).hexdigest()[:16]


class MemoryStore(Writing, Episodes):
    """One namespace's memories: every read and write is scoped to it (see the module docstring for the parts)."""

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
        writer: bool = True,
        warn: Callable[[str], None] | None = None,
        latent_space: str | None = None,
    ) -> None:
        """`latent_space` names the encoder of the caller's latents (`WorldModel.latent_space`): an
        empty namespace records it, and one whose memories came from another encoder is refused
        (LatentSpaceError) until `reencode` has moved them, since their distances would be meaningless.

        A writer (the default) takes the namespace's writer lock before anything can change, and a
        second writing process is refused with NamespaceBusyError (`memory.writer_lock`); a reader
        (`writer=False`) takes none, never writes the index file and refuses to change memories."""
        self.engine = open_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.namespace = namespace
        self.writer = writer
        self._index_unsaved = False  # vectors added or removed since the index file was written
        self.warn = warn or (lambda message: warnings.warn(message, stacklevel=3))
        self._release_lock = lambda: None
        try:
            upgrade(self.engine)
            self.namespace_id = self._namespace_id(namespace, create)
            self.writer_lock = NamespaceLock(self.engine, default_index_dir(url), self.namespace_id, namespace)
            if writer:
                self.writer_lock.acquire()
                # also when the store is dropped unclosed; the OS or the server releases it if the process dies
                self._release_lock = weakref.finalize(self, self.writer_lock.release)
            self.latent_space = self._claim_latent_space(latent_space)
            self.dim = self._resolve_dimension(dim)
            self.index_settings = index or IndexSettings(kind=self._recorded_kind() or "flat")
            self.index_path = (index_dir or default_index_dir(url)) / f"namespace-{self.namespace_id}.faiss"
            self.index = self._open_index()
        except DBAPIError as exc:
            self._abandon()
            raise MemoryInputError(f"cannot open the memory database {display_url(url)!r}: {exc.orig}") from None
        except BaseException:
            self._abandon()
            raise
        self.captions = None if text_embedder is None else CaptionIndex(self.sessions, self.namespace_id, text_embedder)

    def _abandon(self) -> None:
        """An open that failed leaves no lock held and no connection open."""
        self._release_lock()
        self.engine.dispose()

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
        self._require_writer()
        with self.sessions.begin() as session:
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
        self.latent_space = latent_space

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
            raise MemoryInputError(
                f"namespace {self.namespace!r} stores {stored}-d latents; this model makes {dim}-d ones"
            )
        return dim if dim is not None else (stored or 0)

    def close(self) -> None:
        """Persist the index, if it changed, so the next open loads it instead of repairing it, then
        let another process write. Read-only use never rewrites a large index file."""
        try:
            if self._index_unsaved:
                self.save_index()
        finally:
            self._release_lock()
            self.engine.dispose()
