"""Alembic migrations for the memory schema; applied by `memory.migrate.upgrade` on every open."""
