"""What every TM Forum Open API of this agent shares: errors, bearer auth, pagination and ``fields``.

Errors always have TMF's Error shape (``code``, ``reason``, ``message``, ``status``), also for a
validation failure or an unexpected exception, so a client handles one format. The API token is
compared in constant time and never logged or echoed.

TMF630 filters (:class:`Filterable`): numbers are read as exact Decimals, never floats (a 64-bit
counter differs from its neighbour); a time without an offset is UTC. A date alone (``2026-05-01``)
compares with the date the attribute shows, which for every date this agent renders is the UTC date
of an instant written in UTC: ``=d`` (or one of a list) is any time of that date, ``.gte d`` from it
on, ``.gt d`` after it, ``.lt d`` before it, ``.lte d`` up to its end. Where a list filters in the
database (TMF635 usage), that is a half-open range of UTC instants (:func:`day_range`).
"""

from __future__ import annotations

import logging
import operator
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    500: "Internal Server Error",
}
PAGING_PARAMS = frozenset({"fields", "offset", "limit"})
# the paging parameters every TMF list takes (TMF630), as FastAPI parameters
FIELDS: Any = Query(None, description="Comma-separated properties to be provided in response")
OFFSET: Any = Query(0, ge=0, description="Requested index for start of resources to be provided in response")
LIMIT: Any = Query(None, ge=1, description="Requested number of resources to be provided in response")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="oss-agent"'}
INVALID_TOKEN = {"WWW-Authenticate": 'Bearer realm="oss-agent", error="invalid_token"'}
ALWAYS_SELECTED = ("id", "href", "@type")


class TmfError(HTTPException):
    """An error answered in TMF's Error shape."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code or str(status)


def error_body(status: int, message: str, code: str | None = None) -> dict[str, str]:
    return {
        "code": code or str(status),
        "reason": REASONS.get(status, "Error"),
        "message": message,
        "status": str(status),
        "@type": "Error",
    }


def install_error_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette names the methods of the first route matching the path only
            headers["Allow"] = ", ".join(allowed_methods(request))
        message = str(exc.detail) if exc.detail else REASONS.get(exc.status_code, "Error")
        return JSONResponse(
            error_body(exc.status_code, message, getattr(exc, "code", None)), exc.status_code, headers=headers
        )

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = [f"{'.'.join(str(p) for p in e['loc'] if p != 'query')}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(error_body(400, "; ".join(parts) or "invalid request"), 400)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body(500, f"internal error: {type(exc).__name__}"), 500)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)


async def known_parameters(request: Request) -> None:
    """Refuse a query parameter the route does not declare (a typo would otherwise be silently ignored).
    TMF list routes declare their filters (``openapi_extra``) and check them themselves, by type."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or (getattr(route, "openapi_extra", None) or {}).get("parameters"):
        return
    declared = {p.alias for p in dependant.query_params} | {
        p.alias for sub in dependant.dependencies for p in sub.query_params
    }
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise TmfError(
            400,
            f"unknown query parameter(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(declared)) or 'none'}",
        )


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path (asked of the router, method by method,
    since included routers are routes of their own)."""
    allowed = []
    for method in ("DELETE", "GET", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return sorted([*allowed, "HEAD"] if "GET" in allowed else allowed)


def bearer_check(token: str | None) -> Any:
    """A dependency that enforces ``Authorization: Bearer <token>`` when a token is configured; a refusal
    says how to authenticate (RFC 6750: ``WWW-Authenticate: Bearer``, ``error="invalid_token"`` for a wrong one)."""
    expected = token.encode() if token else None

    async def check(request: Request) -> None:
        if expected is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise TmfError(401, "a bearer token is required (Authorization: Bearer <token>)", headers=CHALLENGE)
        if not secrets.compare_digest(given.strip().encode(), expected):
            raise TmfError(401, "the bearer token is not valid", headers=INVALID_TOKEN)

    return check


def parse_fields(fields: str | None) -> list[str] | None:
    if fields is None or not fields.strip():
        return None
    return [f.strip() for f in fields.split(",") if f.strip()]


def select_fields(item: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """First-level attribute selection; ``id``, ``href`` and ``@type`` always stay (the schema needs them)."""
    if fields is None:
        return item
    keep = set(fields) | set(ALWAYS_SELECTED)
    return {k: v for k, v in item.items() if k in keep}


def _lookup(item: Any, path: str) -> list[Any]:
    """Values at a dotted path; lists are searched element by element (``resourceRelationship.relationshipType``)."""
    values = [item]
    for part in path.split("."):
        found: list[Any] = []
        for value in values:
            if isinstance(value, list):
                found += [v.get(part) for v in value if isinstance(v, dict) and part in v]
            elif isinstance(value, dict) and part in value:
                found.append(value[part])
        values = [v for v in found if v is not None]
    flat: list[Any] = []
    for v in values:
        flat += v if isinstance(v, list) else [v]
    return flat


# --- attribute filtering (TMF630) -----------------------------------------------------------------

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _number(text: str) -> Decimal:
    """Exact, never a float: 64-bit counters differ from their neighbours beyond 2**53."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


def _instant(text: str) -> datetime:
    """ISO 8601 with a time; without an offset it is UTC. Read in UTC, as values are stored."""
    parsed = datetime.fromisoformat(text.strip())
    try:
        return (parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed).astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00: the database compares in UTC
        raise ValueError("not an instant of the years 1 to 9999 in UTC") from None


def _day_or_instant(text: str) -> date | datetime:
    """A date alone (compared with the date the attribute shows), or an instant."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return _instant(text)


def is_day(value: object) -> bool:
    """A date alone (a datetime is a date too, to Python)."""
    return isinstance(value, date) and not isinstance(value, datetime)


def shown_date(text: str) -> date:
    """The date a rendered instant shows: in the offset it is written with (UTC for every date here)."""
    return datetime.fromisoformat(text).date()


def day_range(op: str | None, day: date) -> tuple[datetime | None, datetime | None] | None:
    """The UTC instants a date alone selects (``op`` None: equal), as a half-open range ``[start, end)``,
    a bound None where there is none; None if no instant is selected (after 9999-12-31).
    On ``day``: ``[day 00:00Z, day+1 00:00Z)``; ``.gt``: from ``day+1``; ``.lte``: before ``day+1``."""
    start = datetime.combine(day, time.min, UTC)
    end = None if day == date.max else datetime.combine(day + timedelta(days=1), time.min, UTC)
    if op == "gte":
        return start, None
    if op == "lt":
        return None, start
    if op == "gt":
        return None if end is None else (end, None)
    if op == "lte":
        return None, end
    return start, end


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError("not true or false")
    return text.lower() == "true"


_PARSE: dict[str, Callable[[str], Any]] = {
    "string": str,
    "number": _number,
    "date": _day_or_instant,
    "boolean": _boolean,
}


def _schema(kind: str) -> dict[str, Any]:
    """A filter's OpenAPI schema (a new one each time: the document is built from it)."""
    if kind == "date":  # a date alone, or an instant
        return {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
    return {"type": kind if kind in ("number", "boolean") else "string"}


@dataclass(frozen=True)
class Condition:
    path: str
    kind: str  # string, number, date, boolean
    op: str | None  # None: equal to one of ``values``
    values: tuple[Any, ...]

    def holds(self, item: dict[str, Any]) -> bool:
        """Does some value at ``path`` of the rendered ``item`` satisfy it?"""
        for raw in _lookup(item, self.path):
            if isinstance(raw, dict | list):
                continue
            for wanted in self.values:  # one with an operator
                try:
                    value = self._as(raw, wanted)
                except ValueError:
                    continue
                if (value == wanted) if self.op is None else OPERATORS[self.op](value, wanted):
                    return True
        return False

    def _as(self, raw: Any, wanted: Any) -> Any:
        """``raw`` read to compare with ``wanted``: the date it shows when ``wanted`` is a date alone,
        an exact Decimal of its JSON text for a number."""
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        if self.kind == "date":
            return shown_date(text) if is_day(wanted) else _instant(text)
        return _PARSE[self.kind](text)


@dataclass(frozen=True)
class Filterable:
    """The attributes a TMF list answers filters on, by type. TMF630: ``attr=a,b`` is equality with any
    of the values, for every type; ``attr.gt``, ``.gte``, ``.lt`` and ``.lte`` compare numbers and dates.
    A filter on anything else, or a value that does not parse, is a 400 naming the parameter: never an
    empty answer that looks like "nothing matched"."""

    strings: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    booleans: frozenset[str] = frozenset()

    def kind(self, path: str) -> str | None:
        for kind, paths in (
            ("string", self.strings),
            ("number", self.numbers),
            ("date", self.dates),
            ("boolean", self.booleans),
        ):
            if path in paths:
                return kind
        return None

    def condition(self, name: str, text: str) -> Condition:
        path, op = name, None
        head, _, tail = name.rpartition(".")
        if tail in OPERATORS and head:
            path, op = head, tail
        kind = self.kind(path)
        if kind is None:
            raise TmfError(400, f"cannot filter on {name!r}: not an attribute of these resources ({self.summary()})")
        if op is not None and kind not in ("number", "date"):
            raise TmfError(400, f"{name!r}: .{op} compares numbers and dates; {path} is a {kind}")
        texts = [text] if op is not None else [t.strip() for t in text.split(",")]
        try:
            values = tuple(_PARSE[kind](t) for t in texts)
        except ValueError as exc:
            raise TmfError(400, f"{name}={text!r}: not a {kind} ({exc})") from exc
        return Condition(path, kind, op, values)

    def conditions(self, query: Iterable[tuple[str, str]]) -> list[Condition]:
        return [self.condition(name, text) for name, text in query if name not in PAGING_PARAMS]

    def summary(self) -> str:
        ordered = sorted(self.numbers | self.dates)
        return f"filterable: {', '.join(sorted(self.all()))}; .gt/.gte/.lt/.lte on {', '.join(ordered) or 'none'}"

    def all(self) -> frozenset[str]:
        return self.strings | self.numbers | self.dates | self.booleans

    def parameters(self) -> list[dict[str, Any]]:
        """The filters as OpenAPI query parameters (for a route's ``openapi_extra``)."""
        params = []
        for path in sorted(self.all()):
            kind = self.kind(path) or "string"
            if kind == "string":
                params.append(_param(path, _schema(kind), f"{path} equal to one of these comma-separated values"))
                continue
            shows = " (a date alone: its UTC date)" if kind == "date" else ""
            params.append(_param(path, _schema(kind), f"{path} equal to{shows}"))
            if kind in ("number", "date"):
                params += [_param(f"{path}.{op}", _schema(kind), f"{path} {op} this value{shows}") for op in OPERATORS]
        return params


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def matches(item: dict[str, Any], conditions: Iterable[Condition]) -> bool:
    return all(c.holds(item) for c in conditions)


def page(items: list[dict[str, Any]], offset: int, limit: int | None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page and the headers TMF asks for: the total matching and the number returned."""
    if offset < 0:
        raise TmfError(400, "offset must be 0 or more")
    if limit is not None and limit < 1:
        raise TmfError(400, "limit must be 1 or more")
    chosen = items[offset:] if limit is None else items[offset : offset + limit]
    return chosen, {"X-Total-Count": str(len(items)), "X-Result-Count": str(len(chosen))}


def list_response(
    request: Request,
    response: Response,
    items: list[dict[str, Any]],
    fields: str | None,
    offset: int,
    limit: int | None,
    filterable: Filterable,
) -> list[dict[str, Any]]:
    """A TMF list answer: attribute filters from the query, a page with its count headers, then ``fields``."""
    conditions = filterable.conditions(request.query_params.multi_items())
    chosen, headers = page([item for item in items if matches(item, conditions)], offset, limit)
    response.headers.update(headers)
    selected = parse_fields(fields)
    return [select_fields(item, selected) for item in chosen]
