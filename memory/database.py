"""Opening a memory database from a SQLAlchemy URL, with SQLite tuned for one writer and many readers."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from memory.errors import MemoryInputError

_USERINFO_SECRET = re.compile(r"(//[^/@:]*):[^/]*@")  # //user:secret@host
_QUERY_SECRET = re.compile(r"(?i)((?:^|[?&;\s])password=)[^&;\s]*")  # ?password=secret


def masked_url(url: str) -> str:
    """A database URL fit to print or log: its password, if any, replaced by ***, even when the URL
    cannot be parsed."""
    if url.startswith("sqlite"):
        return url  # no credentials, and rendering would escape a `file:` URI
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # any unparsable URL: masked by pattern instead
        shown = _USERINFO_SECRET.sub(r"\1:***@", url)
    return _QUERY_SECRET.sub(r"\1***", shown)


def cannot_open(url: str, exc: DBAPIError) -> MemoryInputError:
    """The one-line error for a database that refused a connection or a statement (password masked)."""
    reason = " ".join(str(exc.orig).split())
    return MemoryInputError(f"cannot open the memory database {masked_url(url)!r}: {reason}")


_SQLITE_CORRUPT = 11

# SQLite result codes (the low byte of `sqlite_errorcode`) that report the file or the disk, not
# a bug in a query, with what the user can do about each; anything else stays an exception.
_SQLITE_FAULTS = {
    3: "check the permissions of the file and its folder",  # SQLITE_PERM
    5: "another process holds it: try again when it is done",  # SQLITE_BUSY
    8: "the file or its folder is read-only: make them writable or use another --db",  # SQLITE_READONLY
    10: "check the disk and the file",  # SQLITE_IOERR
    _SQLITE_CORRUPT: "the file is damaged: restore it from a backup (`worldmind memory export` may save what still reads)",
    13: "free some disk space",  # SQLITE_FULL
    14: "check that its folder exists and is writable",  # SQLITE_CANTOPEN
    26: "the file is not a SQLite database",  # SQLITE_NOTADB
}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (a `file:` URI too), None for other databases or in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.query.get("uri") == "true" and parsed.database.startswith("file:"):
        if parsed.query.get("mode") == "memory":
            return None
        return Path(urlsplit(parsed.database).path)
    return Path(parsed.database)


def open_engine(url: str) -> Engine:
    try:
        path = sqlite_path(url)
        engine = create_engine(url)
    except (ArgumentError, ImportError, ValueError) as exc:
        reason = " ".join(str(exc).split()).replace(url, masked_url(url))
        raise MemoryInputError(f"bad database URL {masked_url(url)!r}: {reason}") from None
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = "it is a file, not a folder" if path.parent.is_file() else exc.strerror
            raise MemoryInputError(f"cannot create the folder of the memory database {path.parent}: {why}") from None
    event.listen(engine, "handle_error", _user_faults(masked_url(url)))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
            cursor.close()

    return engine


def _user_faults(where: str) -> Any:
    """A `handle_error` hook: a database that is read-only, full, damaged or unreachable becomes one
    MemoryInputError naming it, instead of a traceback; errors in queries themselves stay as they are."""

    def translate(context: ExceptionContext) -> MemoryInputError | None:
        original = context.original_exception
        if isinstance(original, sqlite3.Error) and getattr(original, "sqlite_errorcode", None) is not None:
            hint = _SQLITE_FAULTS.get(original.sqlite_errorcode & 0xFF)
        elif isinstance(original, sqlite3.OperationalError) and str(original).startswith("Could not decode"):
            hint = _SQLITE_FAULTS[_SQLITE_CORRUPT]  # text that was never written as UTF-8: a damaged page
        elif not isinstance(original, sqlite3.Error) and isinstance(context.sqlalchemy_exception, OperationalError):
            hint = "check that the server is reachable and can write"
        else:
            hint = None
        if hint is None:
            return None
        reason = " ".join(str(original).split())  # one line, whatever the driver wrote
        return MemoryInputError(f"memory database {where}: {reason}; {hint}")

    return translate
