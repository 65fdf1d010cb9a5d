"""Statements run on the transaction's own DBAPI cursor, compiled by SQLAlchemy once.

The hot path of every order (the stock moves, and the rows an order writes) goes straight to
the driver: SQLAlchemy's per-execution work (cache key, an execution context, parameter
processing, a result with its column metadata) cost as much as SQLite takes to run the
statement, and a sixth of an HTTP order's server CPU on PostgreSQL. The SQL text and each
parameter's bind processor still come from SQLAlchemy's compiler and types, so what reaches
the database is what `Connection.execute` would have sent; driver errors are raised as
SQLAlchemy raises them (`IntegrityError`, `OperationalError`, ...), so callers and
`ordo.failures` see what they always saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable, Select

Row = dict[str, Any]


@dataclass(frozen=True)
class Compiled:
    """A statement as one dialect's driver takes it."""

    text: str
    order: list[str] | None  # parameter names in the driver's order; None: by name
    literals: Row  # the values of the statement's own literals
    processors: dict[str, Callable[[Any], Any]]  # bind processors of the typed parameters

    def arguments(self, params: Row) -> Any:
        values = {**self.literals, **params}
        for name, process in self.processors.items():
            if name in values:
                values[name] = process(values[name])
        return tuple(values[name] for name in self.order) if self.order is not None else values


_COMPILED: dict[tuple[Any, ...], Compiled] = {}
_NAMES: dict[str, list[str]] = {}  # each statement's result columns, by its text
_INSERTS: dict[Table, Any] = {}
_MULTI_INSERTS: dict[tuple[Table, tuple[str, ...], int], Any] = {}
# Rows per multi-row INSERT: an order writes a few dozen; a bulk caller is cut into statements
# well under SQLite's limit of bound parameters per statement (32,766).
ROWS_PER_INSERT = 100


def compiled(statement: Executable, dialect: Dialect, keys: tuple[str, ...] = ()) -> Compiled:
    """`statement` compiled for `dialect` (for an INSERT, for the columns `keys`), once."""
    cache_key = (id(statement), dialect.name, keys)
    found = _COMPILED.get(cache_key)
    if found is None:
        sql = statement.compile(dialect=dialect, column_keys=list(keys) or None)  # type: ignore[attr-defined]
        processors = {}
        for name, bind in sql.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        binds = sql.binds.items()
        literals = {name: bind.effective_value for name, bind in binds if not bind.required}
        order = list(sql.positiontup or []) if sql.positional else None
        found = _COMPILED[cache_key] = Compiled(sql.string, order, literals, processors)
    return found


def fetch_one(statement: Executable, connection: Connection, params: Row) -> Row | None:
    """Run `statement`; the first row it returned (by column name), None when none."""
    sql = compiled(statement, connection.dialect)
    arguments = sql.arguments(params)
    with _cursor(connection, sql.text, arguments) as cursor:
        cursor.execute(sql.text, arguments)
        found = cursor.fetchone()
        names = _NAMES.get(sql.text)
        if names is None:
            names = _NAMES[sql.text] = _names(cursor)
    return None if found is None else dict(zip(names, found, strict=True))


def execute(statement: Executable, connection: Connection, rows: Sequence[Row]) -> None:
    """Run a statement that returns nothing once per row of parameters (a statement built
    once and kept, as for `fetch_one`)."""
    sql = compiled(statement, connection.dialect)
    arguments = [sql.arguments(row) for row in rows]
    with _cursor(connection, sql.text, arguments) as cursor:
        if len(arguments) == 1:
            cursor.execute(sql.text, arguments[0])
        else:
            cursor.executemany(sql.text, arguments)


def _names(cursor: Any) -> list[str]:
    """The result's column names. Asked once per statement and kept: psycopg builds a
    `Column` object per column each time `description` is read (70 of them per order)."""
    return [column[0] for column in cursor.description]


@dataclass(frozen=True)
class _Select:
    """A SELECT compiled once for one dialect, with its columns' result processors (found at
    the first execution, from the driver's column types as SQLAlchemy does)."""

    statement: Select[Any]  # held, so its id cannot be reused by another statement
    compiled: Any  # SQLCompiler
    types: list[Any]  # each result column's type, in order
    # [(column names, result processors)] from the first execution on; [] until then
    columns: list[tuple[list[str], list[Callable[[Any], Any] | None]]]


_SELECTS: dict[tuple[int, str], _Select] = {}
MAX_SELECTS = 1000


def fetch_all(
    statement: Select[Any], connection: Connection, params: Row | None = None
) -> list[Row]:
    """Run a SELECT built once and kept (a module constant, or cached per class); its rows as
    dicts by column name, with values as SQLAlchemy would give them.

    Expanding IN parameters (`bindparam(..., expanding=True)`) are rendered for the number of
    values given (SQLAlchemy's `construct_expanded_state`), so the same few texts recur and
    the driver's statement caches keep working."""
    dialect = connection.dialect
    key = (id(statement), dialect.name)
    found = _SELECTS.get(key)
    if found is None or found.statement is not statement:
        if len(_SELECTS) > MAX_SELECTS:  # statements built per call do not belong here
            _SELECTS.clear()
        found = _SELECTS[key] = _Select(
            statement,
            statement.compile(dialect=dialect),
            [column.type for column in statement.selected_columns],
            [],
        )
    state = found.compiled.construct_expanded_state(params or {})
    values = dict(state.parameters)
    for name, process in state.processors.items():
        if name in values:
            values[name] = process(values[name])
    arguments: Any = (
        tuple(values[name] for name in state.positiontup)
        if state.positiontup is not None
        else values
    )
    with _cursor(connection, state.statement, arguments) as cursor:
        cursor.execute(state.statement, arguments)
        rows = cursor.fetchall()
        if not found.columns:
            description = cursor.description
            processors = [
                type_.dialect_impl(dialect).result_processor(dialect, column[1])
                for type_, column in zip(found.types, description, strict=True)
            ]
            found.columns.append(([column[0] for column in description], processors))
    names, processors = found.columns[0]
    if not any(processors):
        return [dict(zip(names, row, strict=True)) for row in rows]
    return [
        {
            name: process(value) if process is not None else value
            for name, process, value in zip(names, processors, row, strict=True)
        }
        for row in rows
    ]


def insert_rows(connection: Connection, table: Table, rows: Sequence[Row]) -> None:
    """INSERT `rows` into `table`: one multi-row INSERT per set of columns the rows give.

    One statement of several rows rather than an executemany of one-row statements: an order
    writes about forty rows (lines, reservations, traces, a dozen outbox events), and on
    PostgreSQL each row of an executemany is a statement the server parses, plans and logs
    on its own, and psycopg prepares on the client."""
    by_keys: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        by_keys.setdefault(tuple(row), []).append(row)
    for keys, group in by_keys.items():
        for start in range(0, len(group), ROWS_PER_INSERT):
            chunk = group[start : start + ROWS_PER_INSERT]
            if len(chunk) == 1:
                statement = _INSERTS.get(table)
                if statement is None:
                    statement = _INSERTS[table] = insert(table)
                sql = compiled(statement, connection.dialect, keys)
                arguments = sql.arguments(chunk[0])
            else:
                sql = compiled(_multi_insert(table, keys, len(chunk)), connection.dialect)
                arguments = sql.arguments(
                    {f"{key}_{n}": row[key] for n, row in enumerate(chunk) for key in keys}
                )
            with _cursor(connection, sql.text, arguments) as cursor:
                cursor.execute(sql.text, arguments)


def _multi_insert(table: Table, keys: tuple[str, ...], count: int) -> Any:
    """`INSERT INTO table (keys) VALUES (...), (...)` for `count` rows, built once; row n's
    value of column k is the parameter `k_n`, typed as the column (so JSON is serialised and
    times converted as for a one-row INSERT)."""
    cache_key = (table, keys, count)
    statement = _MULTI_INSERTS.get(cache_key)
    if statement is None:
        rows = [
            {key: bindparam(f"{key}_{n}", type_=table.c[key].type) for key in keys}
            for n in range(count)
        ]
        statement = _MULTI_INSERTS[cache_key] = insert(table).values(rows)
    return statement


@contextmanager
def _cursor(connection: Connection, text: str, arguments: Any) -> Iterator[Any]:
    """A cursor of the transaction's own DBAPI connection (the session has already begun the
    transaction on it: database.py emits BEGIN for SQLite), closed after use, with driver
    errors raised as SQLAlchemy's."""
    dialect = connection.dialect
    cursor = connection.connection.cursor()
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as exc:
        # A lost connection fails again at the rollback that follows; the pool drops it.
        raise DBAPIError.instance(
            text, arguments, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    finally:
        cursor.close()
