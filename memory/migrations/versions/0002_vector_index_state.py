"""Record each persisted vector index (kind, vector count, checksum) and cache caption embeddings.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_states",
        sa.Column("namespace_id", sa.Integer, sa.ForeignKey("namespaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("vector_count", sa.Integer, nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "caption_embeddings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("namespace_id", sa.Integer, sa.ForeignKey("namespaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("caption", sa.Text, nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("namespace_id", "model", "caption", name="uq_caption_embedding"),
    )


def downgrade() -> None:
    op.drop_table("caption_embeddings")
    op.drop_table("index_states")
