"""Bulk inserts for a bill run: thousands of invoices and tens of thousands of lines per run.

Why not ``session.execute(insert(table), rows)``: SQLAlchemy then processes every parameter of
every row through its statement machinery (and psycopg sends one statement per row), which cost a
bill run more than computing its invoices. Here each value is converted once by its column's own
type, as SQLAlchemy would bind it (so what is stored is the same), and the rows go to the driver in
one call: ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3), ``executemany`` on SQLite. Both run on
the session's connection, in its transaction: a rollback takes them back like any other write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import JSON, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bss_bridge.storage.engine import dumps
from bss_bridge.storage.tables import DecimalText, decimal_text

if TYPE_CHECKING:
    import psycopg

Convert = Callable[[Any], Any]


class _Json:
    """As the engine's json_serializer: None is stored as JSON null, as SQLAlchemy stores it. The
    rows of one insert share values (every line of one promotion holds the same dict): each object
    is serialised once per insert, while the rows keep it alive and unchanged."""

    def __init__(self) -> None:
        self._done: dict[int, tuple[Any, str]] = {}

    def __call__(self, value: Any) -> str:
        if value is None:
            return "null"
        known = self._done.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        text = dumps(value)
        self._done[id(value)] = (value, text)
        return text


def _converter(column: Any, dialect: Any) -> Convert | None:
    kind = column.type
    if isinstance(kind, JSON):
        return _Json()
    if isinstance(kind, DecimalText):  # its own conversion, without SQLAlchemy's wrapping of a TypeDecorator
        return decimal_text
    process: Convert | None = kind.dialect_impl(dialect).bind_processor(dialect)
    if process is not None and _python_type(kind) in (date, datetime):
        return _memoised(process)
    return process


def _python_type(kind: Any) -> type | None:
    try:  # a TypeDecorator (UtcDateTime) has the python type of what it decorates
        return cast(type, getattr(kind, "impl_instance", kind).python_type)
    except NotImplementedError:
        return None


def _memoised(process: Convert) -> Convert:
    """Dates and instants repeat across a bill run's rows (its periods): each distinct one is
    converted once. Safe for them: equal values convert alike (instants are stored in UTC), and a
    naive datetime never equals an aware one, so it still meets the column's own check."""
    done: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        found = done.get(value, done)
        if found is done:
            found = done[value] = process(value)
        return found

    return convert


def _converted(rows: Sequence[dict[str, Any]], names: list[str], converters: list[Convert | None]) -> list[Any]:
    """Each row as a tuple of its columns' bound values: the columns without a converter as they
    are, the others converted (a None given as it is, but to a JSON column, where it is JSON null)."""
    get = itemgetter(*names)
    if len(names) == 1:
        return [(get(row),) for row in rows]
    some = [(n, c) for n, c in enumerate(converters) if c is not None and not isinstance(c, _Json)]
    json = [(n, convert) for n, convert in enumerate(converters) if isinstance(convert, _Json)]
    if not some and not json:
        return [get(row) for row in rows]
    values = []
    for row in rows:
        value = list(get(row))
        for n, convert in some:
            if (item := value[n]) is not None:
                value[n] = convert(item)
        for n, convert in json:
            value[n] = convert(value[n])
        values.append(tuple(value))
    return values


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys: column names) into ``table`` in the session's
    transaction. A column left out must have no client-side default (it would not be applied)."""
    if not rows:
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    for column in table.columns:
        if column.name not in rows[0] and column.default is not None:
            raise ValueError(f"bulk insert into {table.name} must give {column.name} (it has a default)")
    session.flush()  # what the unit of work holds goes first, as with session.execute
    connection = session.connection()
    dialect = connection.dialect
    values = _converted(rows, names, [_converter(column, dialect) for column in columns])
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
        statement = f"COPY {target} ({quoted}) FROM STDIN"
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for value in values:
                    copy.write_row(value)
        except dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy raises it (IntegrityError: a concurrent run)
            raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error) from exc
        return
    marks = ", ".join("?" for _ in names)
    statement = f"INSERT INTO {target} ({quoted}) VALUES ({marks})"  # noqa: S608 (names from the table's metadata)
    connection.exec_driver_sql(statement, values)
