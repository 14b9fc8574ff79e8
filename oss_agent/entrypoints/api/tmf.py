"""What every TM Forum Open API of this agent shares: errors, bearer auth, pagination and ``fields``.

Errors always have TMF's Error shape (``code``, ``reason``, ``message``, ``status``), also for a
validation failure or an unexpected exception, so a client handles one format. The API token is
compared in constant time and never logged or echoed.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

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
ALWAYS_SELECTED = ("id", "href", "@type")


class TmfError(HTTPException):
    """An error answered in TMF's Error shape."""

    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(status_code=status, detail=message)
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


def bearer_check(token: str | None) -> Any:
    """A dependency that enforces ``Authorization: Bearer <token>`` when a token is configured."""
    expected = token.encode() if token else None

    async def check(request: Request) -> None:
        if expected is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), expected):
            raise TmfError(401, "a valid bearer token is required (Authorization: Bearer <token>)")

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


def matches(item: dict[str, Any], filters: dict[str, str]) -> bool:
    """Attribute filtering: ``name=pe1``, ``resourceSpecification.name=networkInterface``; ``a,b`` means either."""
    for path, wanted in filters.items():
        options = {w.strip() for w in wanted.split(",")}
        if not any((str(v).lower() if isinstance(v, bool) else str(v)) in options for v in _lookup(item, path)):
            return False
    return True


def filters_from(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in PAGING_PARAMS}


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
) -> list[dict[str, Any]]:
    """A TMF list answer: attribute filters from the query, a page with its count headers, then ``fields``."""
    filters = filters_from(request)
    chosen, headers = page([item for item in items if matches(item, filters)], offset, limit)
    response.headers.update(headers)
    selected = parse_fields(fields)
    return [select_fields(item, selected) for item in chosen]
