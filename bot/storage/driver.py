"""Statements run at the driver's own speed: the dispatcher's hot reads and writes.

SQLAlchemy builds and type-processes a parameter dictionary for every row it sends and
a row object for every row it reads, 5 to 10 µs each once timestamps are among them.
At 10,000 nudges a pass that was most of what the dispatcher added to the sends. The
statements here are still written with SQLAlchemy Core and compiled by it, once per
dialect, but executed with ``exec_driver_sql``: callers pass values the driver takes as
they are (integers, strings, ``None``, timestamps through :func:`driver_time`) and read
back what the driver returns (timestamps through :func:`from_driver_time`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Dialect,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.type_api import TypeEngine

from bot.storage.models import UTCDateTime

_WORD = re.compile(r"[a-z][a-z_ -]*")


def constant(value: str | int) -> ColumnElement[Any]:
    """A constant written into a bulk statement's SQL (``status = 'sent'``) rather than bound.

    Only lower-case words (spaces, hyphens) and integers, so nothing here can need quoting.
    """
    if isinstance(value, int):
        return literal_column(str(int(value)))
    if not _WORD.fullmatch(value):
        raise ValueError(f"not a plain word: {value!r}")
    return literal_column(f"'{value}'")


_TIMESTAMP = UTCDateTime()


def driver_time(dialect: Dialect, moment: datetime) -> datetime | str:
    """``moment`` as the driver stores it, through :class:`UTCDateTime`'s own conversion:
    SQLite text exactly as SQLAlchemy writes it (naive UTC, microseconds always), so it
    sorts and compares with the other rows; PostgreSQL an aware UTC datetime."""
    process = _TIMESTAMP.dialect_impl(dialect).bind_processor(dialect)
    assert process is not None  # a TypeDecorator always processes (process_bind_param)
    value: datetime | str = process(moment)
    return value


def json_time(dialect: Dialect, moment: datetime) -> str:
    """``moment`` as text inside a :class:`JsonTable` row: the form SQLite stores (see
    :func:`driver_time`), or ISO 8601 with its offset for PostgreSQL to cast."""
    value = driver_time(dialect, moment)
    return value if isinstance(value, str) else value.isoformat()


class JsonTable:
    """A batch of rows passed as one JSON array of arrays and read in SQL as a table.

    One bound parameter however many rows: the statement is compiled once, and building
    its values is one ``json.dumps``, where a parameter per value made SQLAlchemy compile
    a statement of thousands of parameters for each batch size (a second, for the first
    pass after start-up) and the caller fill a dictionary entry per value.
    """

    def __init__(self, dialect: Dialect, name: str) -> None:
        param = bindparam(name, type_=Text())
        self._postgresql = dialect.name == "postgresql"
        elements = func.json_array_elements(cast(param, JSON)) if self._postgresql else func.json_each(param)
        self.table = elements.table_valued("value")

    @staticmethod
    def encode(rows: Sequence[Sequence[Any]]) -> str:
        """The parameter's value: ``rows`` as compact JSON (timestamps through :func:`json_time`)."""
        return json.dumps(rows, separators=(",", ":"))

    def item(self, index: int, type_: TypeEngine[Any]) -> ColumnElement[Any]:
        """Element ``index`` of each row, as ``type_`` (SQLite takes JSON's own types as
        they come: casting its timestamp text to a date type would turn it into a number)."""
        value = self.table.c.value.op("->>")(constant(index))
        return cast(value, type_) if self._postgresql else value

    def column(self, index: int, type_: TypeEngine[Any]) -> Select[Any]:
        """Element ``index`` of every row, for ``IN``: SQLite then looks each value up in an
        index, where a join may walk the other table and, for each of its rows, these."""
        return select(self.item(index, type_)).select_from(self.table)


def from_driver_time(value: datetime | str) -> datetime:
    """A timestamp as the driver returned it, in UTC: SQLite's naive UTC text, PostgreSQL's
    datetime, or either inside JSON (PostgreSQL's then carries its offset)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_driver_json(value: Any) -> Any:
    """A JSON value as the driver returned it: SQLite gives the text, asyncpg decodes it."""
    return json.loads(value) if isinstance(value, str) else value


def from_driver_date(value: date | str | None) -> date | None:
    """A date as the driver returned it (SQLite text, PostgreSQL a date)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


Getter = Callable[[Mapping[str, Any]], tuple[Any, ...]]


def _getter(names: tuple[str, ...]) -> Getter:
    if len(names) == 1:
        (name,) = names
        return lambda values: (values[name],)
    if not names:
        return lambda values: ()
    return itemgetter(*names)


class DriverStatement:
    """A Core statement executed through the driver directly.

    ``build`` makes the statement for a dialect (an ``INSERT ... ON CONFLICT`` is each
    dialect's own construct). Every bound parameter is passed by the caller; constants
    are written with :func:`constant` or ``null()``.
    """

    def __init__(self, build: Callable[[Dialect], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, Getter]] = {}

    def _compile(self, dialect: Dialect) -> tuple[str, Getter]:
        compiled = self._build(dialect).compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or not compiled.positional:
            raise NotImplementedError(f"{dialect.name}: not a positional SQL statement")
        if fixed := {n: b.value for n, b in compiled.binds.items() if not b.required and b.value is not None}:
            raise ValueError(f"bound values {fixed!r}: write constants with constant() instead")
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("an expanding IN cannot be run through the driver; bind each value")
        return compiled.string, _getter(tuple(compiled.positiontup or ()))

    def _for(self, dialect: Dialect) -> tuple[str, Getter]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    async def fetch(self, connection: AsyncConnection, values: Mapping[str, Any]) -> Sequence[Any]:
        """Run once with ``values``; the rows it returns, as the driver gave them."""
        sql, in_order = self._for(connection.dialect)
        if sqlite := await _aiosqlite(connection):
            rows: Sequence[Any] = await sqlite.execute_fetchall(sql, in_order(values))
            return rows
        return (await connection.exec_driver_sql(sql, in_order(values))).all()

    async def execute(self, connection: AsyncConnection, values: Mapping[str, Any]) -> None:
        sql, in_order = self._for(connection.dialect)
        if sqlite := await _aiosqlite(connection):
            await sqlite.execute(sql, in_order(values))
        else:
            await connection.exec_driver_sql(sql, in_order(values))


async def _aiosqlite(connection: AsyncConnection) -> Any:
    """The aiosqlite connection under ``connection``, if that is what it is.

    Each call on it is one hop to its thread, where SQLAlchemy's cursor adapter takes
    three or four (cursor, execute, fetch, close). A hop waits for the event loop's next
    turn, which in a busy fan-out is milliseconds, so hops, not rows, set a claim's
    latency. The statement runs in the transaction SQLAlchemy began on that connection.
    PostgreSQL (asyncpg) goes through SQLAlchemy, which starts its transaction lazily.
    """
    if connection.dialect.name != "sqlite":
        return None
    return (await connection.get_raw_connection()).driver_connection
