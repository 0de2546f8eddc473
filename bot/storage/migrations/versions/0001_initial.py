"""Initial schema: owners, conversations, plan versions, processed events.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written by hand rather than from the models, so that later model edits can never
change what this revision creates; a test checks that the models still match.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _stamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "owners",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("tenant", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_owners"),
        sa.UniqueConstraint("platform", "tenant", "subject", name="uq_owners_platform_tenant_subject"),
    )
    op.create_table(
        "conversations",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("state", _json, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name="pk_conversations"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["owners.id"],
            name="fk_conversations_owner_id_owners",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", _json, nullable=False),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plan_versions"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["owners.id"],
            name="fk_plan_versions_owner_id_owners",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("owner_id", "version", name="uq_plan_versions_owner_id_version"),
    )
    op.create_index("ix_plan_versions_owner_id_created_at", "plan_versions", ["owner_id", "created_at"])
    op.create_table(
        "processed_events",
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("tenant", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "tenant", "event_id", name="pk_processed_events"),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["owners.id"],
            name="fk_processed_events_owner_id_owners",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_processed_events_owner_id", "processed_events", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_processed_events_owner_id", table_name="processed_events")
    op.drop_table("processed_events")
    op.drop_index("ix_plan_versions_owner_id_created_at", table_name="plan_versions")
    op.drop_table("plan_versions")
    op.drop_table("conversations")
    op.drop_table("owners")
