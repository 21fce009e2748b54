"""The first memory schema: namespaces, episodes, memories, sightings, chat turns.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _namespace_fk() -> sa.ForeignKey:
    return sa.ForeignKey("namespaces.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "namespaces",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace_id", sa.Integer, _namespace_fk(), nullable=False, index=True),
        sa.Column("world", sa.String(100), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON, nullable=True),
    )
    op.create_table(
        "memories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace_id", sa.Integer, _namespace_fk(), nullable=False, index=True),
        sa.Column(
            "episode_id",
            sa.Integer,
            sa.ForeignKey("episodes.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("action", sa.JSON, nullable=False),
        sa.Column("latent", sa.LargeBinary, nullable=False),
        sa.Column("caption", sa.Text, nullable=False),
        sa.Column("facts", sa.JSON, nullable=False),
        sa.Column("surprise", sa.Float, nullable=True, index=True),
        sa.Column("importance", sa.Float, nullable=False),
        sa.Column("access_count", sa.Integer, nullable=False),
        sa.Column("last_access", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "sightings",
        sa.Column("memory_id", sa.Integer, sa.ForeignKey("memories.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("namespace_id", sa.Integer, _namespace_fk(), nullable=False),
    )
    op.create_index("ix_sightings_lookup", "sightings", ["namespace_id", "name", "memory_id"])
    op.create_table(
        "chat_turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace_id", sa.Integer, _namespace_fk(), nullable=False, index=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("chat_turns", "sightings", "memories", "episodes", "namespaces"):
        op.drop_table(table)
