"""One writing process per namespace, enforced by a lock that the OS or the server drops if it dies.

Why: SQL serialises rows, but every writer keeps its own FAISS index in memory and saves it to
one file on close, so two writing processes leave the file with only the last one's vectors (each
searches without the other's memories meanwhile), and two agents on one seed write into one
episode. So a second writer is refused (`NamespaceBusyError`, one line) before it changes anything.

How, by database:
- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) held on a connection of its own for
  as long as the namespace is open for writing. It excludes writers on every host that shares the
  server (each host keeps its own index files, but they share the SQL that records them), and the
  server drops it when that connection ends, the holder's death included.
- SQLite (and any other database): `fcntl.flock` on `namespace-<id>.lock` in the database's index
  folder (beside the SQLite file). The kernel drops a flock when its holder exits or is killed, so
  a crash never leaves a stale lock; the pid written into the file only serves the message. The
  file is never deleted: unlinking a lock file races with the next process locking it.

The lock belongs to the process: stores of one namespace opened in the same process share it
(counted), so re-opening a namespace in-process (re-encoding on open, tests) is not refused.
Readers take no lock; `held_elsewhere` tells them whether another process writes, without taking
the lock in a way that could refuse a writer (a writer retries for `PATIENCE_S` to cover the probe).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from memory.errors import MemoryInputError, NamespaceBusyError

PATIENCE_S = 0.5  # how long a writer retries a held lock: a reader's probe holds it for microseconds
_ADVISORY_CLASS = 0x574D  # "WM": the first key of worldmind's advisory locks; the second is the namespace id

_GUARD = threading.Lock()
_HELD: dict[str, tuple[Callable[[], None], int]] = {}  # lock key -> (release, stores sharing it)


class NamespaceLock:
    """The writer lock of one namespace of one database; `acquire` and `release` are counted per process."""

    def __init__(self, engine: Engine, lock_dir: Path, namespace_id: int, namespace: str) -> None:
        self.engine = engine
        self.namespace_id = namespace_id
        self.namespace = namespace
        self.path = lock_dir / f"namespace-{namespace_id}.lock"
        self.advisory = engine.dialect.name == "postgresql"
        self.key = (
            f"{engine.url.render_as_string(hide_password=True)}#{namespace_id}" if self.advisory else str(self.path)
        )
        self.held = False

    def acquire(self) -> None:
        """Become (or join this process as) the namespace's writer; NamespaceBusyError if another process is."""
        with _GUARD:
            if self.key in _HELD:
                release, holders = _HELD[self.key]
                _HELD[self.key] = (release, holders + 1)
            else:
                _HELD[self.key] = (self._take_advisory() if self.advisory else self._take_file(), 1)
        self.held = True

    def release(self) -> None:
        """Idempotent; the last store of the process to release it lets another process write."""
        with _GUARD:
            if not self.held:
                return
            self.held = False
            release, holders = _HELD.pop(self.key)
            if holders > 1:
                _HELD[self.key] = (release, holders - 1)
            else:
                release()

    def held_elsewhere(self) -> str | None:
        """Who else writes ("pid 123", "another process"), or None when no other process holds the lock."""
        with _GUARD:
            if self.key in _HELD:
                return None  # this process is the writer
            return self._probe_advisory() if self.advisory else self._probe_file()

    # -- files ---------------------------------------------------------------------------
    def _take_file(self) -> Callable[[], None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise MemoryInputError(f"cannot create the writer lock {self.path}: {exc.strerror}") from None
        if not _retry(lambda: _try_flock(fd, fcntl.LOCK_EX)):
            holder = _pid_in(fd)
            os.close(fd)
            raise self._busy(holder)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return lambda: os.close(fd)  # closing the only descriptor drops the flock

    def _probe_file(self) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None  # never written: no writer ever held it
        try:
            if _try_flock(fd, fcntl.LOCK_SH):
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None
            return _pid_in(fd)
        finally:
            os.close(fd)

    # -- PostgreSQL ----------------------------------------------------------------------
    def _take_advisory(self) -> Callable[[], None]:
        engine = create_engine(self.engine.url, poolclass=NullPool)
        connection = engine.connect()
        statement = text("SELECT pg_try_advisory_lock(:class, :namespace)")
        keys = {"class": _ADVISORY_CLASS, "namespace": self.namespace_id}

        def attempt() -> bool:
            taken = bool(connection.scalar(statement, keys))
            connection.commit()  # a session lock outlives the transaction; do not hold one open
            return taken

        if not _retry(attempt):
            connection.close()
            engine.dispose()
            raise self._busy("another process")

        def release() -> None:
            connection.close()  # ending the session drops the advisory lock
            engine.dispose()

        return release

    def _probe_advisory(self) -> str | None:
        query = text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :class "
            "AND objid = :namespace AND objsubid = 2 AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        with self.engine.connect() as connection:
            backend = connection.scalar(query, {"class": _ADVISORY_CLASS, "namespace": self.namespace_id})
        return None if backend is None else "another process"

    def _busy(self, holder: str) -> NamespaceBusyError:
        return NamespaceBusyError(
            f"namespace {self.namespace!r} is being written by {holder}; one writer at a time: wait for it to "
            "finish or use another namespace (reading commands work meanwhile)"
        )


def _try_flock(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _retry(attempt: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + PATIENCE_S
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _pid_in(fd: int) -> str:
    written = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f"pid {written}" if written.isdigit() else "another process"
