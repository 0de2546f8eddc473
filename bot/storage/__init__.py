"""Storage: SQLAlchemy models, the owner-scoped repository and Alembic migrations."""

from bot.storage.engine import make_engine
from bot.storage.export import export_owner
from bot.storage.migrate import upgrade_database
from bot.storage.outbox import Claimant, ClaimedNudge, NudgeKind, Outbox
from bot.storage.retention import PruneReport, prune
from bot.storage.schedules import ScheduleSpec
from bot.storage.store import Store, TurnSnapshot

__all__ = [
    "Claimant",
    "ClaimedNudge",
    "NudgeKind",
    "Outbox",
    "PruneReport",
    "ScheduleSpec",
    "Store",
    "TurnSnapshot",
    "export_owner",
    "make_engine",
    "prune",
    "upgrade_database",
]
