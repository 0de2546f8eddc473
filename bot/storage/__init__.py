"""Storage: SQLAlchemy models, the owner-scoped repository and Alembic migrations."""

from bot.storage.engine import make_engine
from bot.storage.migrate import upgrade_database
from bot.storage.store import Store, TurnSnapshot

__all__ = ["Store", "TurnSnapshot", "make_engine", "upgrade_database"]
