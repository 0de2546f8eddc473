"""The nudges' (kind, sent_at) index keeps only sent nudges.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

The index serves the reminder query, which asks for check-ins sent within a window, so
it never needs the rows not sent yet. Leaving them out means enqueueing a nudge writes
one index entry fewer, and marking it sent inserts its entry instead of moving one:
about 2 µs of the database's time per nudge in a large pass on SQLite. Queries that
compare ``sent_at`` imply ``sent_at IS NOT NULL``, so both PostgreSQL and SQLite still
use it. No data changes here.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SENT = sa.text("sent_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_nudges_kind_sent_at", table_name="nudges")
    op.create_index(
        "ix_nudges_kind_sent_at", "nudges", ["kind", "sent_at"], sqlite_where=_SENT, postgresql_where=_SENT
    )


def downgrade() -> None:
    op.drop_index("ix_nudges_kind_sent_at", table_name="nudges")
    op.create_index("ix_nudges_kind_sent_at", "nudges", ["kind", "sent_at"])
