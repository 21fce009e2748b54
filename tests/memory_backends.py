"""Fresh memory databases for tests: a SQLite file, and a PostgreSQL database when a server is configured.

`WORLDMIND_TEST_PG_URL` names a server login that may create databases (`.ci/run` starts one);
each test gets its own database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL_VARIABLE = "WORLDMIND_TEST_PG_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not os.environ.get(PG_URL_VARIABLE), reason=f"{PG_URL_VARIABLE} is not set"),
        ],
    ),
]


@contextmanager
def fresh_database(backend: str, tmp_path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'memory.sqlite'}"
        return
    server = make_url(os.environ[PG_URL_VARIABLE])
    name = f"worldmind_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
