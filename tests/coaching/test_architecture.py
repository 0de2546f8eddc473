"""The engine stays pure: no platform, storage or scheduler imports, no I/O modules."""

from __future__ import annotations

import ast
from pathlib import Path

import coaching

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "discord",
    "sqlalchemy",
    "alembic",
    "apscheduler",
    "asyncpg",
    "aiosqlite",
    "bot",
    "adapters",
    "socket",
    "requests",
    "httpx",
    "aiohttp",
)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_coaching_imports_nothing_from_platforms_storage_or_network() -> None:
    root = Path(coaching.__file__).parent
    offenders = {
        str(path.relative_to(root)): sorted(imported_modules(path) & set(FORBIDDEN))
        for path in root.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
