"""Bring a memory database to the newest schema with Alembic, and refuse one from a newer worldmind.

Databases made before migrations existed (tables but no version stamp) are stamped with the first
revision, whose tables they match, and then upgraded like any other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from memory.errors import MemoryInputError

FIRST_REVISION = "0001"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply every missing migration in one transaction; a no-op on an up-to-date database."""
    config = _config()
    script = ScriptDirectory.from_config(config)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        current = MigrationContext.configure(connection).get_current_revision()
        if current is not None:
            try:
                script.get_revision(current)
            except CommandError:
                raise MemoryInputError(
                    f"the memory database has schema revision {current!r}, newer than this worldmind "
                    f"knows (up to {script.get_current_head()!r}); upgrade worldmind to open it"
                ) from None
            if current == script.get_current_head():
                return
        elif inspect(connection).has_table("memories"):
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
