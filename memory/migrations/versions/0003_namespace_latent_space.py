"""Record which world model's latent space a namespace's memories live in.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("namespaces") as batch:
        batch.add_column(sa.Column("latent_space", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("namespaces") as batch:
        batch.drop_column("latent_space")
