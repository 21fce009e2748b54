"""Keeping the FAISS index in step with SQL: open, reconcile, rebuild, save and check it.

SQL is the truth and the index a cache. Every write commits SQL before its vectors enter the
index, so a crash can only leave the index file behind SQL, never ahead of it; on open the file is
verified against the checksum SQL recorded when it was saved, then reconciled with SQL's ids
(missing vectors added, deleted ones removed), and rebuilt from SQL when it cannot be trusted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from memory.index import IndexFileError, VectorIndex
from memory.index_settings import IndexSettings
from memory.schema import IndexState
from memory.store_core import StoreCore

LATENT_INDEX = "latent"


class IndexSync(StoreCore):
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
        """Load the index file, or repair it from SQL: on disk too for a writer, in memory only for a
        reader, which must leave the file to the process that holds the writer lock."""
        state = self._index_state()
        kept = "" if self.writer else " in memory only (opened read-only, the file is left to its writer)"
        try:
            index = self._load_index_file(state)
        except IndexFileError as exc:
            index = VectorIndex(self.dim, self.index_settings)
            if self.count() > 0:
                self.warn(f"{exc}; rebuilding the {self.namespace!r} index from SQL{kept}")
                self._rebuild(index)
            return index
        assert state is not None  # a file loaded, so SQL recorded it
        if state.kind != self.index_settings.kind:
            self._rebuild(index)  # the configured kind changed: build the new one
            return index
        missing, extra = self._reconcile(index)
        if missing or extra:
            done = "repaired" if self.writer else f"completed from SQL{kept}"
            self.warn(
                f"index of {self.namespace!r} was behind SQL ({missing} missing, {extra} deleted vectors); {done}"
            )
            self._save_index(index)
        return index

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

    def _rebuild_if_due(self) -> None:
        """After a write: HNSW with too many tombstones, or IVF outgrown, is rebuilt from SQL."""
        if self.index.needs_rebuild:
            self._rebuild(self.index)

    def rebuild_index(self, settings: IndexSettings | None = None) -> int:
        """Build the index again from SQL (as another kind, if given) and persist it; returns its size."""
        self._require_writer()
        if settings is not None:
            self.index_settings = settings
            self.index = VectorIndex(self.dim, settings)
        self._rebuild(self.index)
        return len(self.index)

    def save_index(self) -> None:
        self._require_writer()
        self._save_index(self.index)

    def _save_index(self, index: VectorIndex) -> None:
        if not self.writer:
            return  # a reader's repairs stay in memory: the writer lock's holder owns the file
        checksum = index.save(self.index_path)
        with self.sessions.begin() as session:
            state = session.get(IndexState, (self.namespace_id, LATENT_INDEX))
            if state is None:
                state = IndexState(namespace_id=self.namespace_id, name=LATENT_INDEX)
                session.add(state)
            state.kind, state.vector_count, state.checksum = self.index_settings.kind, len(index), checksum
        self._index_unsaved = False

    def _database_integrity(self) -> str | None:
        """`ok`, or the first problems SQLite's integrity check finds in the file; None (not
        checked) for a database server, which checks its own storage."""
        if self.engine.dialect.name != "sqlite":
            return None
        with self.engine.connect() as connection:
            problems = list(connection.exec_driver_sql("PRAGMA integrity_check(3)").scalars())
        if problems == ["ok"]:
            return "ok"
        found = " ".join(" ".join(str(problem).split()) for problem in problems)
        return found if len(found) <= 200 else found[:197] + "..."

    def check(self) -> dict[str, Any]:
        """Compare the index file on disk with SQL and report what a repair would do.

        While another process holds the writer lock its index file lags SQL until it closes, and
        only it may write that file: the report then says so instead of offering a repair. A SQLite
        file is checked too (`PRAGMA integrity_check`): a damaged one is never reported consistent."""
        integrity = self._database_integrity()
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
        other_writer = None if self.writer else self.writer_lock.held_elsewhere()
        if repairs and other_writer is not None:
            repairs = [
                f"cannot repair while another process ({other_writer}) writes to {self.namespace!r}; it saves "
                "the index file when it closes: check again then"
            ]
        if integrity not in (None, "ok"):
            repairs.insert(0, f"restore the database from a backup: it is damaged ({integrity})")
        return {
            "namespace": self.namespace,
            "database_integrity": integrity,
            "memories": len(in_sql),
            "index_kind": self.index_settings.kind,
            "index_file": str(self.index_path),
            "index_file_status": file_status,
            "index_file_vectors": len(file_ids),
            "missing_from_index_file": missing,
            "deleted_but_in_index_file": deleted,
            "other_writer": other_writer,
            "consistent": not repairs,
            "repairs": repairs,
        }
