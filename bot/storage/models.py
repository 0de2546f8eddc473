"""Tables of the coach, as typed SQLAlchemy 2 models.

Every row hangs off ``owners`` (the platform, tenant, subject triple of DESIGN.md),
so deleting an owner, or asking for one tenant's rows, is a matter of one key.
The migration in ``migrations/versions`` is the authority on the schema; these models
must describe the same tables (a test compares them) so queries stay honest.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: Constraint names are fixed so migrations and reflection agree on every backend.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON everywhere, JSONB on PostgreSQL (binary, indexable, compared by value).
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL keeps ``timestamptz`` and hands back aware values; SQLite stores text and
    hands back naive values. Converting to UTC on the way in (and dropping the offset for
    SQLite, so stored strings sort chronologically) and tagging UTC on the way out gives
    callers one behaviour on both backends.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base sharing one metadata (with the naming convention)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OwnerRow(Base):
    """Who a plan belongs to: a person or a channel on one platform and tenant."""

    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("platform", "tenant", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    tenant: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationRow(Base):
    """The engine's conversation state, one row per owner, versioned for optimistic locking."""

    __tablename__ = "conversations"

    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanVersionRow(Base):
    """A full snapshot of a plan; never updated, so any past plan can be shown again."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("owner_id", "version"),
        Index(None, "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedEventRow(Base):
    """A platform event already handled, so a platform retry is not acted on twice.

    ``owner_id`` (nullable) records whose turn the event was, so forgetting an owner
    also forgets which platform events they sent.
    """

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), nullable=True, index=True
    )
    #: Indexed for the retention prune (``bot.storage.retention``), which deletes by age.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


#: Rows a dispatch pass may claim: due ones, and claimed ones whose lease may have run out.
CLAIMABLE = "status IN ('due', 'claimed')"

#: Nudges the reminder query can want: sent ones (it asks for a window of ``sent_at``).
SENT = "sent_at IS NOT NULL"


class ScheduleRow(Base):
    """When an owner's weekly check-in falls, and whether they can be reached at all.

    ``next_due_at`` is the next slot to enqueue (NULL while paused or inactive); the
    dispatcher moves it forward as it enqueues. ``unreachable_at`` is set when a send
    failed for good (DMs closed, user gone, app removed) and cleared by their next turn.
    """

    __tablename__ = "schedules"

    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[str] = mapped_column(String(16))
    time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(Boolean)
    paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unreachable_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NudgeRow(Base):
    """The outbox: one message the bot owes an owner, keyed by (owner, kind, slot).

    The unique key is the idempotency key: enqueueing the same slot twice, from two
    replicas or after a restart, inserts nothing. ``status`` moves due → claimed →
    sent (or skipped, failed; a transient failure goes back to due). ``next_attempt_at``
    is when the row may next be claimed: its due time, the end of a retry's backoff, or,
    while claimed, the end of the claim's lease (so a crashed worker's rows come back).
    ``attempts`` counts claims, so a row claimed before is reconciled with the platform
    before it is sent again. ``platform`` is the owner's, copied so that a worker can
    claim its platforms' rows from this table alone (filtering through ``owners`` made
    the planners walk every owner of the platform).
    """

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("owner_id", "kind", "slot"),
        Index(
            "ix_nudges_claimable",
            "next_attempt_at",
            sqlite_where=sql_text(CLAIMABLE),
            postgresql_where=sql_text(CLAIMABLE),
        ),
        Index(
            "ix_nudges_kind_sent_at",
            "kind",
            "sent_at",
            sqlite_where=sql_text(SENT),
            postgresql_where=sql_text(SENT),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    slot: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # retention prunes by slot
    week: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class CheckinEntryRow(Base):
    """One answer of a weekly check-in; answering again the same week replaces it."""

    __tablename__ = "checkin_entries"
    __table_args__ = (UniqueConstraint("owner_id", "week", "kind", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255))
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)
    value: Mapped[float | None] = mapped_column(Double, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # retention prunes by age
