"""The hot statements, run on the unit of work's own driver connection.

Why: measured on a claim, each statement cost 5-56 µs on the driver and 250-640 µs through the
session (execution context, result metadata, ORM loading), and SQLAlchemy's machinery was ~40 %
of the request. A ``Statement`` wraps a Core statement the services build once; it is compiled
once per dialect by SQLAlchemy's own compiler and keeps SQLAlchemy's type conversions (the bind
and result processors of each type), so a value goes in and comes out exactly as through the
session. It runs inside the same transaction as everything else of the unit of work.

What it leans on (covered by tests/database/test_statements.py on both backends, SQLAlchemy
pinned to a minor range in pyproject.toml): the compiled statement's ``positiontup`` and
``_bind_processors``, ``TypeEngine._cached_result_processor``, ``Session._is_clean``, and on
PostgreSQL the asyncpg adapter's ``_transaction``/``_start_transaction``/``_execute_mutex``/
``_handle_exception``. A constant list (``IN ('done', 'cancelled')``) is expanded once; a list
given per call is refused (it would be compiled per call, which is what this module avoids).
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import aiosqlite
import asyncpg
from sqlalchemy import event, exc, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ClauseElement, FromClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import Label

from crewboard.database.sqlite import InlineConnection

DRIVER_KEY = "crewboard.driver"
M = TypeVar("M")

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Compiled:
    """One statement compiled for one dialect: the SQL text, the parameters in the order the
    driver takes them with their converters, and the result columns with theirs."""

    sql: str
    order: tuple[str, ...]
    binds: tuple[Processor, ...]
    fixed: Mapping[str, Any]
    required: frozenset[str]
    record: type[tuple[Any, ...]] | None
    results: tuple[Processor, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments for ``params`` (literal values come from the statement)."""
        if self.required and not self.required.issubset(params):
            missing = ", ".join(sorted(self.required.difference(params)))
            raise exc.ArgumentError(f"no value for the statement's parameters: {missing}")
        values = {**self.fixed, **params} if params else self.fixed
        return [
            value if process is None or value is None else process(value)
            for value, process in (
                (values[name], p) for name, p in zip(self.order, self.binds, strict=True)
            )
        ]

    def convert(self, row: Sequence[Any]) -> Any:
        """A driver row as a named tuple of Python values."""
        record = cast(type[tuple[Any, ...]], self.record)
        return record._make(  # type: ignore[attr-defined]
            value if process is None or value is None else process(value)
            for value, process in zip(row, self.results, strict=True)
        )


def _record_type(names: list[str]) -> type[tuple[Any, ...]]:
    """A row class with a field per result column (attribute access, as SQLAlchemy's rows)."""
    return namedtuple("Record", names, rename=True)


def compile_for(statement: ClauseElement, dialect: Dialect) -> Compiled:
    """Compile ``statement`` for ``dialect`` with SQLAlchemy's compiler."""
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
    if compiled.insert_prefetch or compiled.update_prefetch:
        # Python-side column defaults are computed by SQLAlchemy's execution context, which
        # this module does not run: the column would be written NULL. Name every value.
        missing = ", ".join(c.name for c in (*compiled.insert_prefetch, *compiled.update_prefetch))
        raise exc.ArgumentError(
            f"give these columns a value (their defaults run in Python): {missing}"
        )
    sql = compiled.string
    order = tuple(compiled.positiontup or ())
    processors = dict(compiled._bind_processors)
    fixed: Mapping[str, Any] = compiled.construct_params(escape_names=False, _check=False)
    expanding = [*compiled.post_compile_params, *compiled.literal_execute_params]
    if expanding:
        # A constant list (``status IN ('done', 'cancelled')``) is expanded here, once; a list
        # given per call would need compiling per call, which is what this module avoids.
        if any(bind.required for bind in expanding):
            raise exc.ArgumentError("expanding parameters are compiled per call: use the session")
        expanded = compiled._process_parameters_for_postcompile(dict(fixed))
        sql, fixed = expanded.statement, expanded.parameters
        order = tuple(expanded.positiontup or ())
        processors.update(expanded.processors)
    binds = tuple(cast(Processor, processors.get(name)) for name in order)
    required = frozenset(
        bind.key for bind in compiled.binds.values() if bind.required and bind.key in order
    )
    record: type[tuple[Any, ...]] | None = None
    results: tuple[Processor, ...] = ()
    columns = compiled._result_columns
    if columns:
        names = [column.keyname for column in columns]
        record = _record_type(names)
        results = tuple(column.type._cached_result_processor(dialect, None) for column in columns)
    return Compiled(sql, order, binds, fixed, required, record, results)


class Statement:
    """A Core statement built once, compiled once per dialect, run on the driver."""

    __slots__ = ("_compiled", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        """The statement compiled for ``dialect`` (cached by the dialect's name and driver)."""
        key = f"{dialect.name}+{dialect.driver}"
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = compile_for(self.statement, dialect)
        return found


class Driver:
    """The unit of work's driver connection, and how to run a compiled statement on it."""

    __slots__ = ("adapter", "connection", "dialect", "driver", "inline")

    def __init__(self, connection: AsyncConnection, adapter: Any, driver: Any) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.adapter = adapter
        self.driver = driver
        self.inline: sqlite3.Connection | None = (
            driver.sqlite if isinstance(driver, InlineConnection) else None
        )

    async def run(self, compiled: Compiled, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        """The statement's rows as the driver returns them (SQLAlchemy's errors on failure)."""
        arguments = compiled.arguments(params)
        sync = self.connection.sync_connection
        if sync is not None and (sync._has_events or sync.engine._has_events):
            # What SQLAlchemy tells its listeners before a statement (the statement counters
            # of tests and benchmarks); there is no cursor nor execution context here.
            sync.dispatch.before_cursor_execute(sync, None, compiled.sql, arguments, None, False)
        try:
            if self.inline is not None:
                # The writer runs on the loop's thread anyway (database/sqlite.py).
                return self.inline.execute(compiled.sql, arguments).fetchall()
            if isinstance(self.driver, aiosqlite.Connection):
                return list(await self.driver.execute_fetchall(compiled.sql, arguments))
            return await self._postgresql(compiled.sql, arguments)
        except exc.DBAPIError:
            raise
        except Exception as error:
            raise await self._translated(error, compiled.sql, arguments) from error

    async def _postgresql(self, sql: str, arguments: list[Any]) -> list[Sequence[Any]]:
        adapter = self.adapter
        async with adapter._execute_mutex:
            # SQLAlchemy's asyncpg adapter opens the transaction with its first statement.
            if adapter._transaction is None:
                await adapter._start_transaction()
            rows: list[Sequence[Any]] = await self.driver.fetch(sql, *arguments)
            return rows

    async def _translated(self, error: Exception, sql: str, arguments: list[Any]) -> Exception:
        """The SQLAlchemy exception the session would have raised for ``error``."""
        dbapi_error: Exception = error
        if isinstance(self.driver, asyncpg.Connection):
            # Every asyncpg error (a closed connection, a timeout too), as SQLAlchemy does.
            try:
                self.adapter._handle_exception(error)
            except Exception as adapted:  # noqa: BLE001 - the adapter raises the DBAPI form; keep it
                dbapi_error = adapted
        base = self.dialect.loaded_dbapi.Error
        if not isinstance(dbapi_error, base):
            return error
        disconnected = self.dialect.is_disconnect(dbapi_error, self.adapter, None)
        if disconnected:
            await self.connection.invalidate()
        return exc.DBAPIError.instance(
            sql,
            arguments,
            dbapi_error,
            base,
            connection_invalidated=disconnected,
            dialect=self.dialect,
        )


def labelled(table: FromClause, prefix: str) -> list[Label[Any]]:
    """Every column of ``table`` labelled ``prefix`` + its name: several models in one row."""
    return [column.label(prefix + column.key) for column in table.c]


async def attach_driver(session: AsyncSession, connection: AsyncConnection) -> Driver:
    """Remember the transaction's driver connection on the session (the unit of work calls
    this once, after it has begun the transaction)."""
    raw = await connection.get_raw_connection()
    driver = Driver(connection, raw.dbapi_connection, raw.driver_connection)
    session.sync_session.info[DRIVER_KEY] = driver
    return driver


async def _driver(session: AsyncSession) -> Driver:
    found = session.sync_session.info.get(DRIVER_KEY)
    if isinstance(found, Driver):
        return found
    return await attach_driver(session, await session.connection())


async def fetch(
    session: AsyncSession, statement: Statement, params: Mapping[str, Any] | None = None
) -> list[Any]:
    """Run ``statement`` in the session's transaction; its rows as named tuples (none for a
    statement without result columns). Pending ORM changes are flushed first, as the session
    would before a query."""
    # As the session would: flush pending changes first, unless autoflush is off (a caller
    # inside ``no_autoflush`` keeps a half-applied change out of the database until it saves).
    if session.sync_session.autoflush and not session.sync_session._is_clean():
        await session.flush()
    driver = await _driver(session)
    compiled = statement.compiled(driver.dialect)
    rows = await driver.run(compiled, params or {})
    if compiled.record is None:
        return []
    return [compiled.convert(row) for row in rows]


async def fetch_one(
    session: AsyncSession, statement: Statement, params: Mapping[str, Any] | None = None
) -> Any | None:
    """The first row of ``statement``, or None."""
    rows = await fetch(session, statement, params)
    return rows[0] if rows else None


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, _transaction: Any) -> None:
    # The connection goes back to the pool with the transaction: never reuse its handle.
    session.info.pop(DRIVER_KEY, None)


def adopt(session: AsyncSession, model: type[M], row: Any, prefix: str = "") -> M:
    """The ORM object for a row just read on the driver, in the session as if the session had
    loaded it (changes to it are flushed as usual). ``row`` has the model's columns by column
    name, each after ``prefix`` (see ``labelled``); an object the session already holds is
    refreshed from it."""
    mapper = inspect(model)
    values = {
        attribute.key: getattr(row, prefix + attribute.columns[0].key)
        for attribute in mapper.column_attrs
    }
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    sync = session.sync_session
    held = sync.identity_map.get(key)
    if held is not None:
        for name, value in values.items():
            set_committed_value(held, name, value)
        return cast(M, held)
    instance = cast(M, mapper.class_manager.new_instance())
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    sync.add(instance)
    return instance
