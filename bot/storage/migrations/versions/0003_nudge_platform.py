"""The owner's platform on each nudge, so a claim reads the outbox alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Claiming "due nudges of the platforms this process can send" through a join with
``owners`` led both SQLite and PostgreSQL to walk every owner of the platform on each
claim: cost grew with the number of plans, not the number of nudges.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLAIMABLE = "status IN ('due', 'claimed')"


def upgrade() -> None:
    op.add_column("nudges", sa.Column("platform", sa.String(32), nullable=True))
    op.execute("UPDATE nudges SET platform = (SELECT platform FROM owners WHERE owners.id = nudges.owner_id)")
    # SQLite cannot add NOT NULL to a column in place: the batch rebuilds the table. The
    # partial index is dropped and made again around it, so its WHERE clause survives.
    op.drop_index("ix_nudges_claimable", table_name="nudges")
    with op.batch_alter_table("nudges") as batch:
        batch.alter_column("platform", existing_type=sa.String(32), nullable=False)
    op.create_index(
        "ix_nudges_claimable",
        "nudges",
        ["next_attempt_at"],
        sqlite_where=sa.text(_CLAIMABLE),
        postgresql_where=sa.text(_CLAIMABLE),
    )


def downgrade() -> None:
    op.drop_index("ix_nudges_claimable", table_name="nudges")
    with op.batch_alter_table("nudges") as batch:
        batch.drop_column("platform")
    op.create_index(
        "ix_nudges_claimable",
        "nudges",
        ["next_attempt_at"],
        sqlite_where=sa.text(_CLAIMABLE),
        postgresql_where=sa.text(_CLAIMABLE),
    )
