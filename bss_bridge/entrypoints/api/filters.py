"""TMF630 filtering of the BSS's lists: ``attr=a,b`` (equal to one of the values), and ``attr.gt``,
``.gte``, ``.lt``, ``.lte`` on number and date attributes.

Each list declares its filterable attributes (:class:`Filters`): their kind, and the column the
database compares, if any. Conditions on a column become the query's ``WHERE`` (so paging and
``X-Total-Count`` stay in the database); the others are compared on the rendered resources (money
values, which are stored as exact decimal text that SQL cannot order) before paging. Numbers are
read as Decimals, never floats; a time without an offset is UTC.

A date alone (``2026-05-01``) compares with the date the attribute shows: the calendar date of its
value in that value's own offset, which is the UTC date of the instants the API renders
(``lastUpdate``, ``billDate``...). An attribute that is a local midnight of the account
(:attr:`Filter.local`: a bill's ``paymentDueDate`` and ``billingPeriod``, a rate's
``periodCoverage``) shows a date of the bill's time zone, the one its customer sees, though the API
writes its instant in UTC (``2026-04-30T22:00:00Z`` is 1 May in Paris): a date alone compares with
that date. ``=d`` (or one of a list) is any time of that date, ``.gte d`` from it on, ``.gt d``
after it, ``.lt d`` before it, ``.lte d`` up to its end. On a column shown in UTC that is a
half-open range of UTC instants (``=d``: ``[d 00:00Z, d+1 00:00Z)``) and stays in SQL; a local
date needs each row's zone, so it is compared on the rendered resources (an instant stays in SQL).

Anything else (an attribute the list does not declare, an operator on a string, a value that does
not parse, or is not one of a closed set's, such as a bill's states) is a 400 naming the parameter:
never an empty answer that looks like "nothing matched".
The declarations are also the list's query parameters in the OpenAPI document.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, false, or_

from bss_bridge.domain.errors import InvalidRequestError

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
PAGING = frozenset({"fields", "offset", "limit"})
MAX_OFFSET = 1_000_000_000  # beyond any list here; what a database's integer takes
MAX_LIMIT = 10_000  # resources per page


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    try:
        return (parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00: the database compares in UTC
        raise ValueError("not an instant of the years 1 to 9999 in UTC") from None


def _day_or_instant(text: str) -> date | datetime:
    """A date alone (compared with the date the attribute shows), or an instant."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return _instant(text)


def is_day(value: object) -> bool:
    """A date alone (a datetime is a date too, to Python)."""
    return isinstance(value, date) and not isinstance(value, datetime)


def shown_date(text: str, zone: tzinfo | None) -> date:
    """The date a rendered instant shows: in ``zone`` if given, else in the offset it is written with."""
    parsed = datetime.fromisoformat(text)
    return (parsed if zone is None or parsed.tzinfo is None else parsed.astimezone(zone)).date()


def _utc_day(column: Any, op: str | None, day: date) -> Any:
    """``column`` (UTC instants) compared with the UTC date ``day`` (``op`` None: equal) as a half-open
    range of instants: on ``day``, ``[start, end)``; ``.gt`` from ``end``; ``.lte`` before ``end``."""
    start = datetime.combine(day, time.min, UTC)
    end = None if day == date.max else datetime.combine(day + timedelta(days=1), time.min, UTC)
    if op == "gte":
        return column >= start
    if op == "lt":
        return column < start
    if op == "gt":
        return false() if end is None else column >= end
    if op == "lte":
        return column.is_not(None) if end is None else column < end
    return column >= start if end is None else and_(column >= start, column < end)


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError("true or false")
    return text.lower() == "true"


PARSE: dict[str, Callable[[str], Any]] = {
    "string": str,
    "number": _number,
    "date": _day_or_instant,
    "boolean": _boolean,
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "date": {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]},
    "boolean": {"type": "boolean"},
}


@dataclass(frozen=True, slots=True)
class Filter:
    """An attribute a list can be filtered on: its kind (string, number, date, boolean), the
    column the database compares (None: compared on the rendered resource), for a string that
    is one of a closed set (a state), that set: another value is a mistake, not "nothing matched";
    and whether a date is ``local``."""

    kind: str = "string"
    column: str | None = None
    choices: tuple[str, ...] = ()
    # A local midnight of the account (a due date, a billing period's bounds): its customer reads
    # it as a date of the bill's time zone, so a date alone compares with that date, not the UTC one
    # (the start of 1 April in Paris is 31 March at 22:00 UTC). Its column, if any, holds UTC instants
    # of rows in many zones: such a condition is compared on the rendered resource, given its zone.
    local: bool = False

    def __post_init__(self) -> None:
        assert self.kind in PARSE, self.kind
        assert not self.local or self.kind == "date", "only a date is local"


@dataclass(frozen=True, slots=True)
class Condition:
    path: str
    filter: Filter
    op: str | None  # None: equal to one of ``values``
    values: tuple[Any, ...]

    @property
    def in_database(self) -> bool:
        """Compared in SQL: on a column, unless a date alone asks for the local date of a ``local`` one."""
        local_day = self.filter.local and any(is_day(v) for v in self.values)
        return self.filter.column is not None and not local_day

    def holds(self, item: Mapping[str, Any], zone: tzinfo | None = None) -> bool:
        """On a rendered resource (``zone``: its bill's time zone, for a ``local`` attribute): does
        some value at ``path`` satisfy it?"""
        for raw in lookup(item, self.path):
            if isinstance(raw, dict | list):
                continue
            for wanted in self.values:  # one with an operator
                try:
                    value = self._as(raw, wanted, zone)
                except (ValueError, OverflowError):
                    continue
                if (value == wanted) if self.op is None else OPERATORS[self.op](value, wanted):
                    return True
        return False

    def _as(self, raw: Any, wanted: Any, zone: tzinfo | None) -> Any:
        """``raw`` read to compare with ``wanted``: the date it shows when ``wanted`` is a date alone."""
        if isinstance(raw, bool):
            return raw
        if is_day(wanted):
            assert zone is not None or not self.filter.local, f"{self.path} is local: select() needs each zone"
            return shown_date(str(raw), zone if self.filter.local else None)
        return _instant(str(raw)) if self.filter.kind == "date" else PARSE[self.filter.kind](str(raw))

    def where(self, row_type: Any) -> Any:
        """As a SQL condition on ``row_type``'s column (a date alone: the UTC instants of that date)."""
        column = getattr(row_type, str(self.filter.column))
        days = [v for v in self.values if is_day(v)]
        if self.op is not None:
            wanted = self.values[0]
            return _utc_day(column, self.op, wanted) if days else OPERATORS[self.op](column, wanted)
        if not days:
            return column.in_(self.values)
        instants = [v for v in self.values if not is_day(v)]
        return or_(*(_utc_day(column, None, d) for d in days), *([column.in_(instants)] if instants else []))


def lookup(item: Any, path: str) -> list[Any]:
    """The values at a dotted path; lists are searched element by element."""
    values = [item]
    for part in path.split("."):
        found: list[Any] = []
        for value in values:
            for element in value if isinstance(value, list) else [value]:
                if isinstance(element, dict) and element.get(part) is not None:
                    found.append(element[part])
        values = found
    return [v for value in values for v in (value if isinstance(value, list) else [value])]


@dataclass
class ListQuery:
    """A list request read: conditions for the database, conditions on the rendered resources, a page."""

    database: list[Condition]
    rendered: list[Condition]
    offset: int
    limit: int | None

    def where(self, row_type: Any) -> list[Any]:
        return [c.where(row_type) for c in self.database]

    def select(self, items: Sequence[dict[str, Any]], zones: Sequence[tzinfo] = ()) -> tuple[list[dict[str, Any]], int]:
        """The rendered items that hold every rendered condition, this page of them, and how many held
        (``zones``: each item's bill's time zone, where a list has ``local`` attributes)."""
        paired = zip(items, zones, strict=True) if zones else ((item, None) for item in items)
        kept = [item for item, zone in paired if all(c.holds(item, zone) for c in self.rendered)]
        return (kept[self.offset :] if self.limit is None else kept[self.offset : self.offset + self.limit]), len(kept)


class Filters:
    """The filterable attributes of one list, by their dotted TMF path."""

    def __init__(self, attributes: Mapping[str, Filter]) -> None:
        self.attributes = dict(attributes)

    def condition(self, name: str, text: str) -> Condition:
        path, op = name, None
        head, _, tail = name.rpartition(".")
        if tail in OPERATORS and head:
            path, op = head, tail
        spec = self.attributes.get(path)
        if spec is None:
            raise InvalidRequestError.one(name, f"this list cannot be filtered on {name!r} ({self.summary()})")
        if op is not None and spec.kind not in ("number", "date"):
            raise InvalidRequestError.one(name, f".{op} compares numbers and dates; {path} is a {spec.kind}")
        texts = [text.strip()] if op is not None else [t.strip() for t in text.split(",")]
        try:
            values = tuple(PARSE[spec.kind](t) for t in texts)
        except ValueError as exc:
            raise InvalidRequestError.one(name, f"{text!r} is not a {spec.kind} ({exc})") from None
        if spec.choices and (unknown := [v for v in values if v not in spec.choices]):
            raise InvalidRequestError.one(name, f"{unknown[0]!r} is not one of {', '.join(spec.choices)}")
        return Condition(path, spec, op, values)

    def read(self, params: Iterable[tuple[str, str]], own: Iterable[str] = ()) -> ListQuery:
        """The list's conditions and page from its query parameters (``own``: read by the route itself)."""
        skip = PAGING | set(own)
        pairs = list(params)
        conditions = [self.condition(name, text) for name, text in pairs if name not in skip]
        given = dict(pairs)
        offset = _whole(given.get("offset"), "offset", 0, 0, MAX_OFFSET)
        limit = given.get("limit")
        return ListQuery(
            [c for c in conditions if c.in_database],
            [c for c in conditions if not c.in_database],
            offset,
            None if limit is None else _whole(limit, "limit", 1, 1, MAX_LIMIT),
        )

    def summary(self) -> str:
        ordered = sorted(p for p, f in self.attributes.items() if f.kind in ("number", "date"))
        return f"filterable: {', '.join(sorted(self.attributes))}; .gt/.gte/.lt/.lte on {', '.join(ordered) or 'none'}"

    def openapi(self, *extra: dict[str, Any]) -> dict[str, Any]:
        """The route's ``openapi_extra``: these parameters (and ``extra`` ones the route reads itself)."""
        return {"parameters": [*self.parameters(), *extra]}

    def parameters(self) -> list[dict[str, Any]]:
        """The filters and the page as OpenAPI query parameters (for the route's ``openapi_extra``)."""
        params = [
            _param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "Index of the first resource"),
            _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "Resources per page"),
        ]
        for path, spec in sorted(self.attributes.items()):
            schema = SCHEMAS[spec.kind]
            if spec.kind == "string":
                if spec.choices:
                    schema = {**schema, "pattern": one_of(spec.choices)}
                params.append(_param(path, schema, f"{path} equal to one of these comma-separated values"))
                continue
            shows = ""
            if spec.kind == "date":
                zone = "its bill's time zone" if spec.local else "UTC"
                shows = f" (a date alone: the date it shows in {zone})"
            params.append(_param(path, schema, f"{path} equal to{shows}"))
            if spec.kind in ("number", "date"):
                params += [_param(f"{path}.{op}", schema, f"{path} {op} this value{shows}") for op in OPERATORS]
        return params


def one_of(choices: Iterable[str]) -> str:
    """The pattern of a comma-separated list of ``choices`` as a filter reads it (each value stripped
    of the whitespace around it): what the OpenAPI document says such a parameter takes."""
    among = "|".join(re.escape(c) for c in choices)
    return rf"^\s*({among})\s*(,\s*({among})\s*)*$"


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _whole(text: str | None, name: str, default: int, minimum: int, maximum: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidRequestError.one(name, f"{text!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise InvalidRequestError.one(name, f"must be from {minimum} to {maximum}")
    return value
