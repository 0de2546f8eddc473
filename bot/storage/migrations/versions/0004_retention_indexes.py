"""Indexes for the retention prune: check-in answers, processed events and nudges by age.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

``bot.storage.retention.prune`` deletes rows older than a cutoff once a day. Without
these, each of its batches would scan the whole table: processed events grow with every
message a platform sends us, nudges and answers with every owner every week.
Every timestamp the prune reads already existed (``created_at`` since 0001/0002, the
nudge's ``slot`` since 0002), so no data changes here.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_processed_events_created_at", "processed_events", ["created_at"])
    op.create_index("ix_checkin_entries_created_at", "checkin_entries", ["created_at"])
    op.create_index("ix_nudges_slot", "nudges", ["slot"])


def downgrade() -> None:
    op.drop_index("ix_nudges_slot", table_name="nudges")
    op.drop_index("ix_checkin_entries_created_at", table_name="checkin_entries")
    op.drop_index("ix_processed_events_created_at", table_name="processed_events")
