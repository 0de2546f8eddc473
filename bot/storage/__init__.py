"""Storage: SQLAlchemy models, the owner-scoped repository and Alembic migrations."""

from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade_database
from bot.storage.outbox import ClaimedNudge, NudgeKind, Outbox
from bot.storage.schedules import ScheduleSpec
from bot.storage.store import Store, TurnSnapshot

__all__ = [
    "ClaimedNudge",
    "NudgeKind",
    "Outbox",
    "ScheduleSpec",
    "Store",
    "TurnSnapshot",
    "make_engine",
    "upgrade_database",
]
