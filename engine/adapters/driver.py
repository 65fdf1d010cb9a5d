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

import orjson
from sqlalchemy import Connection, LargeBinary, Table, TypeDecorator, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable, Select

from engine.adapters.database import dumps, json_default

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
    found = _fetched(statement, connection, params, first_only=True)
    return found[0] if found else None


def execute(statement: Executable, connection: Connection, rows: Sequence[Row]) -> None:
    """Run a statement that returns nothing once per row of parameters (a statement built
    once and kept, as for `fetch_one`)."""
    write_deferred(connection)
    sql = compiled(statement, connection.dialect)
    arguments = [sql.arguments(row) for row in rows]
    with _cursor(connection, sql.text, arguments) as cursor:
        if len(arguments) == 1:
            cursor.execute(sql.text, arguments[0])
        else:
            cursor.executemany(sql.text, arguments)


def fetch_returned(statement: Executable, connection: Connection, params: Row) -> list[Row]:
    """Run a statement with RETURNING (built once and kept, as for `fetch_one`); every row it
    returned, by column name."""
    return _fetched(statement, connection, params, first_only=False)


def _fetched(
    statement: Executable, connection: Connection, params: Row, *, first_only: bool
) -> list[Row]:
    write_deferred(connection)
    sql = compiled(statement, connection.dialect)
    arguments = sql.arguments(params)
    with _cursor(connection, sql.text, arguments) as cursor:
        cursor.execute(sql.text, arguments)
        found = cursor.fetchmany(1) if first_only else cursor.fetchall()
        names = _names(sql.text, cursor)
    return [dict(zip(names, row, strict=True)) for row in found]


def _names(text: str, cursor: Any) -> list[str]:
    """The result's column names, read once per statement `text` and kept: psycopg builds a
    `Column` object per column each time `description` is read (70 of them per order)."""
    names = _NAMES.get(text)
    if names is None:
        names = _NAMES[text] = [column[0] for column in cursor.description]
    return names


@dataclass(frozen=True)
class _Select:
    """A SELECT compiled once for one dialect, with its columns' result processors (found at
    the first execution, from the driver's column types as SQLAlchemy does)."""

    statement: Select[Any]  # held, so its id cannot be reused by another statement
    compiled: Any  # SQLCompiler
    types: list[Any]  # each result column's type, in order
    # [(column names, result processors)] from the first execution on; [] until then
    columns: list[tuple[list[str], list[Callable[[Any], Any] | None]]]
    # The statement rendered for each shape of its parameters (which are given, and how
    # many values each expanding one has)
    expanded: dict[tuple[Any, ...], _Expanded]


@dataclass(frozen=True)
class _Expanded:
    """A SELECT rendered for one shape of its parameters: its text, and where each of the
    driver's parameters comes from in the caller's (a name, then indexes into its value),
    or its fixed value (the statement's own literals)."""

    text: str
    sources: list[tuple[str, str, tuple[int, ...]]]  # (driver's name, caller's name, path)
    literals: Row
    order: list[str] | None  # the driver's parameter order; None: by name
    processors: dict[str, Callable[[Any], Any]]

    def arguments(self, params: Row) -> Any:
        values = dict(self.literals)
        for name, given, path in self.sources:
            value = params[given]
            for index in path:
                value = value[index]
            values[name] = value
        for name, process in self.processors.items():
            if name in values:
                values[name] = process(values[name])
        return tuple(values[name] for name in self.order) if self.order is not None else values


def _shape(params: Row) -> tuple[Any, ...]:
    """What the rendering of an IN list depends on: the names given, and for each list (of
    values or of tuples) its length and the length of its tuples."""
    return tuple(
        (name, len(value), len(value[0]) if value and isinstance(value[0], tuple) else -1)
        if isinstance(value, list | tuple)
        else (name,)
        for name, value in params.items()
    )


def _expand(compiled: Any, params: Row) -> _Expanded:
    """Render `compiled` for the shape of `params` (SQLAlchemy's `construct_expanded_state`)
    with a stand-in object for each value, and note where each stand-in landed."""
    paths: dict[int, tuple[str, tuple[int, ...]]] = {}
    markers = []  # held, so no two stand-ins share an id

    def stand_in(name: str, path: tuple[int, ...]) -> object:
        marker = object()
        markers.append(marker)
        paths[id(marker)] = (name, path)
        return marker

    standing: Row = {}
    for name, value in params.items():
        if isinstance(value, list | tuple):
            standing[name] = [
                tuple(stand_in(name, (i, j)) for j in range(len(item)))
                if isinstance(item, tuple)
                else stand_in(name, (i,))
                for i, item in enumerate(value)
            ]
        else:
            standing[name] = stand_in(name, ())
    state = compiled.construct_expanded_state(standing)
    sources = [
        (name, *paths[id(value)]) for name, value in state.parameters.items() if id(value) in paths
    ]
    literals = {name: value for name, value in state.parameters.items() if id(value) not in paths}
    order = list(state.positiontup) if state.positiontup is not None else None
    return _Expanded(state.statement, sources, literals, order, dict(state.processors))


_SELECTS: dict[tuple[int, str], _Select] = {}
MAX_SELECTS = 1000
MAX_SHAPES = 200


def fetch_all(
    statement: Select[Any], connection: Connection, params: Row | None = None
) -> list[Row]:
    """Run a SELECT built once and kept (a module constant, or cached per class); its rows as
    dicts by column name, with values as SQLAlchemy would give them.

    Expanding IN parameters (`bindparam(..., expanding=True)`) are rendered for the number of
    values given (SQLAlchemy's `construct_expanded_state`), so the same few texts recur and
    the driver's statement caches keep working. Each rendering is kept per shape of the
    parameters (see `_expand`): rendering anew cost a twentieth of an HTTP order's CPU."""
    write_deferred(connection)
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
            {},
        )
    params = params or {}
    shape = _shape(params)
    expanded = found.expanded.get(shape)
    if expanded is None:
        if len(found.expanded) > MAX_SHAPES:  # IN lists of every length up to thousands
            found.expanded.clear()
        expanded = found.expanded[shape] = _expand(found.compiled, params)
    text, arguments = expanded.text, expanded.arguments(params)
    with _cursor(connection, text, arguments) as cursor:
        cursor.execute(text, arguments)
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


def insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Row],
    conflict: Callable[[IntegrityError], Exception] | None = None,
) -> None:
    """INSERT `rows` into `table`: one multi-row INSERT per set of columns the rows give.

    One statement of several rows rather than an executemany of one-row statements: an order
    writes about forty rows (lines, reservations, traces, a dozen outbox events), and on
    PostgreSQL each row of an executemany is a statement the server parses, plans and logs
    on its own, and psycopg prepares on the client. Inside `deferred_inserts` the rows wait
    for the block's one statement instead; `conflict` then turns the database's refusal of
    them into the caller's error, as the caller's own `except` would have."""
    by_keys: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        by_keys.setdefault(tuple(row), []).append(row)
    deferred: _Deferred | None = connection.info.get(_DEFERRED)
    if deferred is not None:
        for keys, group in by_keys.items():
            deferred.add(table, keys, group, "", conflict)
        return
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


# --- PostgreSQL: a transaction's INSERTs as one statement ------------------------------------
#
# At commit an order writes rows to eight tables. As eight INSERTs that is eight round trips,
# eight statements for psycopg to convert (the longer multi-row ones are too long for its
# cache of converted queries) and a few hundred parameters for it to adapt one by one: a fifth
# of the server's CPU per order. Held until the commit, they go as one statement: each
# table's rows are one JSON parameter, unpacked by the database into the table's own row type
# (`jsonb_populate_recordset`), each table's INSERT a data-modifying CTE of one statement.
# jsonb, not json: from json text each row's nested values (a trace's detail, an event's
# payload) are cut out as text and parsed again by their column's jsonb input, from jsonb
# they are handed over as parsed, about a twentieth of the statement's cost.
# Foreign keys are checked at the end of the statement, so a child table may come before its
# parent. The statement's text depends only on which tables and columns are written, so
# psycopg prepares it once per connection and PostgreSQL plans it once.


@dataclass
class _Group:
    table: Table
    keys: tuple[str, ...]
    rows: list[Row]
    on_conflict: str  # an ON CONFLICT clause for the INSERT, or ""


_GroupKey = tuple[Table, tuple[str, ...], str]  # table, columns, ON CONFLICT clause


@dataclass
class _Deferred:
    groups: dict[_GroupKey, _Group]
    # What to raise when the database refuses a table's rows, by table name.
    conflicts: dict[str, Callable[[IntegrityError], Exception]]

    def add(
        self,
        table: Table,
        keys: tuple[str, ...],
        rows: list[Row],
        on_conflict: str,
        conflict: Callable[[IntegrityError], Exception] | None,
    ) -> None:
        group = self.groups.get((table, keys, on_conflict))
        if group is None:
            self.groups[(table, keys, on_conflict)] = _Group(table, keys, list(rows), on_conflict)
        else:
            group.rows.extend(rows)
        if conflict is not None:
            self.conflicts[table.name] = conflict


_DEFERRED = "ordo.deferred_inserts"  # the connection's `info` key of its pending rows


@contextmanager
def deferred_inserts(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, hold the rows `insert_rows` (and `upsert_adding`) are given inside the
    block and write them at its end in one statement; any other statement run on the
    driver, or through a repository, writes them first, so it sees them. Elsewhere (SQLite,
    which has no round trips to save) nothing changes. Rows still held when the block fails
    are dropped with its transaction."""
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.info[_DEFERRED] = _Deferred({}, {})
    try:
        yield
        write_deferred(connection)
    finally:
        connection.info.pop(_DEFERRED, None)


def upsert_adding(
    connection: Connection, table: Table, rows: Sequence[Row], keys: Sequence[str], added: str
) -> bool:
    """Inside `deferred_inserts` on PostgreSQL: hold `rows` to be inserted, or where a row
    with the same `keys` exists, to add their `added` column to its; True. False elsewhere
    (the caller runs its own statement). The rows go in the order given, which is the order
    their existing rows are locked in."""
    deferred: _Deferred | None = connection.info.get(_DEFERRED)
    if deferred is None or not rows:
        return False
    quote = connection.dialect.identifier_preparer
    name, column = quote.quote(table.name), quote.quote(added)
    clause = (
        f" ON CONFLICT ({', '.join(quote.quote(key) for key in keys)}) DO UPDATE SET "
        f"{column} = {name}.{column} + EXCLUDED.{column}"
    )
    deferred.add(table, tuple(rows[0]), list(rows), clause, None)
    return True


def connection_after_deferred(session: Session) -> Connection:
    """The session's connection, with the rows the repositories hold back to insert at commit
    (PostgreSQL) written first: what a store of its own (EDI documents, box stock, early
    cancellations) writes then comes after them, as the code that asked for it did."""
    connection = session.connection()
    write_deferred(connection)
    return connection


def write_deferred(connection: Connection) -> None:
    """Write the rows held by `deferred_inserts`, if any, now."""
    deferred: _Deferred | None = connection.info.get(_DEFERRED)
    if deferred is None or not deferred.groups:
        return
    dialect = connection.dialect
    text = _deferred_text(tuple(deferred.groups), dialect)
    arguments = [_json_rows(group, dialect) for group in deferred.groups.values()]
    deferred.groups.clear()
    try:
        with _cursor(connection, text, arguments) as cursor:
            cursor.execute(text, arguments)
    except IntegrityError as exc:
        table_name = getattr(getattr(exc.orig, "diag", None), "table_name", None)
        convert = deferred.conflicts.get(str(table_name))
        if convert is None:
            raise
        raise convert(exc) from None


_DEFERRED_TEXTS: dict[tuple[_GroupKey, ...], str] = {}  # a handful: one per kind of commit


def _deferred_text(groups: tuple[_GroupKey, ...], dialect: Dialect) -> str:
    """The one statement for these groups of rows, built once per set of groups."""
    text = _DEFERRED_TEXTS.get(groups)
    if text is None:
        quote = dialect.identifier_preparer
        inserts = []
        for table_, keys, on_conflict in groups:
            table = quote.format_table(table_)
            columns = ", ".join(quote.quote(key) for key in keys)
            inserts.append(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM "
                f"jsonb_populate_recordset(NULL::{table}, %s::jsonb){on_conflict}"
            )
        *first, last = inserts
        ctes = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(first))
        text = _DEFERRED_TEXTS[groups] = f"WITH {ctes} {last}" if first else last
    return text


# Per table and columns written (PostgreSQL's, the only dialect that defers).
_CONVERTERS: dict[tuple[Table, tuple[str, ...]], list[tuple[str, Callable[[Any], Any]]]] = {}


def _json_rows(group: _Group, dialect: Dialect) -> str:
    """`group`'s rows as the JSON array `jsonb_populate_recordset` reads: each value as its
    column's own type prepares it for the database (UTC timestamps, ...), binary as the
    hex text PostgreSQL reads as bytea, then as the engine serialises JSON columns (dates
    and times in ISO 8601, decimals as exact strings)."""
    converters = _CONVERTERS.get((group.table, group.keys))
    if converters is None:
        converters = _CONVERTERS[(group.table, group.keys)] = [
            (key, convert)
            for key in group.keys
            if (convert := _converter(group.table.c[key].type, dialect)) is not None
        ]
    rows = group.rows
    if converters:
        rows = [{**row, **{key: convert(row[key]) for key, convert in converters}} for row in rows]
    try:
        # orjson: an order's traces are most of what it writes, and the standard library's
        # encoder took a twentieth of the server's CPU per order to serialise them.
        return orjson.dumps(rows, default=json_default).decode()
    except orjson.JSONEncodeError:  # what orjson leaves to others (an int beyond 64 bits)
        return dumps(rows)


def _converter(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(type_, TypeDecorator):
        return lambda value: type_.process_bind_param(value, dialect)
    if isinstance(type_, LargeBinary):
        return lambda value: None if value is None else "\\x" + bytes(value).hex()
    return None


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
