"""Scheduling: weekly schedules, the nudge outbox, check-in answers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Written by hand, like 0001; a test checks that the models still match.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLAIMABLE = "status IN ('due', 'claimed')"


def _stamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _owner_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["owner_id"], ["owners.id"], name=f"fk_{table}_owner_id_owners", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.String(16), nullable=False),
        sa.Column("time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_due_at", _stamp(), nullable=True),
        sa.Column("unreachable_at", _stamp(), nullable=True),
        sa.Column("unreachable_reason", sa.Text(), nullable=True),
        sa.Column("updated_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", name="pk_schedules"),
        _owner_fk("schedules"),
    )
    op.create_index("ix_schedules_next_due_at", "schedules", ["next_due_at"])
    op.create_table(
        "nudges",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("slot", _stamp(), nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", _stamp(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _stamp(), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claim_expires_at", _stamp(), nullable=True),
        sa.Column("sent_at", _stamp(), nullable=True),
        sa.Column("message_ref", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_nudges"),
        _owner_fk("nudges"),
        sa.UniqueConstraint("owner_id", "kind", "slot", name="uq_nudges_owner_id_kind_slot"),
    )
    op.create_index(
        "ix_nudges_claimable",
        "nudges",
        ["next_attempt_at"],
        sqlite_where=sa.text(_CLAIMABLE),
        postgresql_where=sa.text(_CLAIMABLE),
    )
    op.create_index("ix_nudges_kind_sent_at", "nudges", ["kind", "sent_at"])
    op.create_table(
        "checkin_entries",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(255), nullable=True),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_checkin_entries"),
        _owner_fk("checkin_entries"),
        sa.UniqueConstraint(
            "owner_id", "week", "kind", "subject", name="uq_checkin_entries_owner_id_week_kind_subject"
        ),
    )


def downgrade() -> None:
    op.drop_table("checkin_entries")
    op.drop_index("ix_nudges_kind_sent_at", table_name="nudges")
    op.drop_index("ix_nudges_claimable", table_name="nudges")
    op.drop_table("nudges")
    op.drop_index("ix_schedules_next_due_at", table_name="schedules")
    op.drop_table("schedules")
