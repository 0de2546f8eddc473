"""Many rows through one statement at the driver's own speed: the dispatcher's hot writes.

SQLAlchemy's ``executemany`` builds and type-processes a parameter dictionary for
every row, about 10 µs a row once a timestamp is among them. At 10,000 nudges a pass
that was a third of everything the dispatcher added to the sends themselves. The
statements are still written with SQLAlchemy Core and compiled by it, once per
dialect; only the rows skip the per-row processing. So callers pass values the driver
takes as they are: integers, strings, ``None``, and timestamps through :func:`driver_time`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Dialect, literal_column
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

_WORD = re.compile(r"[a-z][a-z_ ]*")


def constant(value: str | int) -> ColumnElement[Any]:
    """A constant written into a bulk statement's SQL (``status = 'sent'``) rather than bound.

    Only words and integers, so nothing here can need quoting.
    """
    if isinstance(value, int):
        return literal_column(str(int(value)))
    if not _WORD.fullmatch(value):
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'")


def driver_time(dialect: Dialect, moment: datetime) -> datetime | str:
    """``moment`` as the driver stores it: SQLite text exactly as SQLAlchemy writes it
    (naive UTC, microseconds always), so it sorts and compares with the other rows;
    PostgreSQL an aware UTC datetime for ``timestamptz``."""
    moment = moment.astimezone(UTC)
    if dialect.name == "sqlite":
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment


class BulkStatement:
    """A Core statement run with positional rows straight through the driver's ``executemany``.

    ``build`` makes the statement for a dialect (an ``INSERT ... ON CONFLICT`` is each
    dialect's own construct); ``columns`` are an ``INSERT``'s columns given by each row,
    as in SQLAlchemy's own executemany. Every bound parameter comes from the rows;
    constants are written with :func:`constant` or ``null()``.
    """

    def __init__(self, build: Callable[[Dialect], ClauseElement], *, columns: Sequence[str] = ()) -> None:
        self._build = build
        self._columns = list(columns)
        self._compiled: dict[str, tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]]] = {}

    def _compile(self, dialect: Dialect) -> tuple[str, Callable[[Mapping[str, Any]], tuple[Any, ...]]]:
        compiled = self._build(dialect).compile(dialect=dialect, column_keys=self._columns or None)
        if not isinstance(compiled, SQLCompiler) or not compiled.positional:
            raise NotImplementedError(f"{dialect.name}: not a positional SQL statement")
        if fixed := {n: b.value for n, b in compiled.binds.items() if not b.required and b.value is not None}:
            raise ValueError(f"bound values {fixed!r}: write constants with constant() instead")
        order = tuple(compiled.positiontup or ())
        if len(order) < 2:
            raise ValueError("a bulk statement takes two or more values a row")
        return compiled.string, itemgetter(*order)

    async def execute(self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        sql, in_order = compiled
        await connection.exec_driver_sql(sql, [in_order(row) for row in rows])
