"""Opening a memory database from a SQLAlchemy URL, with SQLite tuned for one writer and many readers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from memory.errors import MemoryInputError

_USERINFO_SECRET = re.compile(r"(//[^/@:]*):[^/]*@")  # //user:secret@host
_QUERY_SECRET = re.compile(r"(?i)((?:^|[?&;\s])password=)[^&;\s]*")  # ?password=secret


def masked_url(url: str) -> str:
    """A database URL fit to print or log: its password, if any, replaced by ***, even when the URL
    cannot be parsed."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # any unparsable URL: masked by pattern instead
        shown = _USERINFO_SECRET.sub(r"\1:***@", url)
    return _QUERY_SECRET.sub(r"\1***", shown)


def cannot_open(url: str, exc: DBAPIError) -> MemoryInputError:
    """The one-line error for a database that refused a connection or a statement (password masked)."""
    reason = " ".join(str(exc.orig).split())
    return MemoryInputError(f"cannot open the memory database {masked_url(url)!r}: {reason}")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL, None for other databases or in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def open_engine(url: str) -> Engine:
    try:
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
    except (ArgumentError, ImportError, ValueError) as exc:
        reason = " ".join(str(exc).split()).replace(url, masked_url(url))
        raise MemoryInputError(f"bad database URL {masked_url(url)!r}: {reason}") from None
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
