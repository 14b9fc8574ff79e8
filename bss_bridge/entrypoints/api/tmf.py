"""What every TMF API of the BSS shares: JSON with exact decimals, TMF error bodies that name the
field, bearer authentication, list paging and filtering, ``fields`` selection.

Errors: a bad request is 400 with every problem in ``message`` (``field: what is wrong``) and in
``problems`` (an extension: ``[{field, message}]``); unknown resources 404; a request that
contradicts what is stored (a reused externalId, a forbidden state change) 409; the OSS not
answering a question an order depends on 503. Nothing is stored in any of these cases.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import simplejson
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from bss_bridge.bootstrap import Bss
from bss_bridge.domain.errors import (
    BssDomainError,
    ConflictError,
    InvalidRequestError,
    InvalidTransitionError,
    NotFoundError,
    Problem,
)
from bss_bridge.errors import OssUnavailableError
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.repositories import Repository
from bss_bridge.tmf.inputs import parse_json, parse_model

logger = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
PAGING = frozenset({"fields", "offset", "limit"})
ALWAYS_SELECTED = ("id", "href", "@type")


class TmfResponse(JSONResponse):
    """JSON whose Decimals are exact numbers (Money values), never passed through a float."""

    def render(self, content: Any) -> bytes:
        return simplejson.dumps(content, use_decimal=True, ensure_ascii=False, separators=(",", ":")).encode()


def error_response(status: int, message: str, problems: Sequence[Problem] = ()) -> TmfResponse:
    body: dict[str, Any] = {
        "code": str(status),
        "reason": REASONS.get(status, "Error"),
        "message": message,
        "status": str(status),
        "@type": "Error",
    }
    if problems:
        body["problems"] = [{"field": p.field, "message": p.message} for p in problems]
    return TmfResponse(body, status)


def status_of(exc: Exception) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError | InvalidTransitionError):
        return 409
    if isinstance(exc, OssUnavailableError):
        return 503
    return 400


def install_error_handlers(app: FastAPI) -> None:
    async def domain_error(request: Request, exc: Exception) -> TmfResponse:
        problems = exc.problems if isinstance(exc, InvalidRequestError) else ()
        return error_response(status_of(exc), str(exc), problems)

    async def http_error(request: Request, exc: Exception) -> TmfResponse:
        assert isinstance(exc, StarletteHTTPException)
        response = error_response(exc.status_code, str(exc.detail or REASONS.get(exc.status_code, "Error")))
        response.headers.update(dict(exc.headers or {}))
        return response

    async def validation_error(request: Request, exc: Exception) -> TmfResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            Problem(".".join(str(p) for p in e["loc"] if p not in ("query", "path")), e["msg"]) for e in exc.errors()
        ]
        return error_response(400, "; ".join(str(p) for p in problems), problems)

    async def unexpected(request: Request, exc: Exception) -> TmfResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal error: {type(exc).__name__}")

    app.add_exception_handler(BssDomainError, domain_error)
    app.add_exception_handler(OssUnavailableError, domain_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)


def bearer_check(token: str | None) -> Callable[[Request], Any]:
    """Requires ``Authorization: Bearer <token>`` when a token is configured (compared in constant time)."""
    expected = token.encode() if token else None

    async def check(request: Request) -> None:
        if expected is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), expected):
            raise HTTPException(
                401,
                "a valid bearer token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


async def body(request: Request, model: type[M]) -> M:
    """The request's JSON body validated by ``model`` (numbers exact; problems name their field)."""
    return parse_model(model, parse_json(await request.body()))


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# What the TMF schemas require of each resource, kept whatever ``fields`` asks for.
REQUIRED = {
    "Customer": ("engagedParty",),
    "BillingAccount": ("name", "relatedParty"),
    "ProductOrder": ("productOrderItem",),
    "CancelProductOrder": ("productOrder",),
}


def select(item: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """First-level attribute selection (``fields=name,state``); id, href, @type and what the
    resource's schema requires always stay."""
    if fields is None or not fields.strip():
        return item
    kind = item.get("@baseType") or item.get("@type") or ""
    keep = {f.strip() for f in fields.split(",")} | set(ALWAYS_SELECTED) | set(REQUIRED.get(kind, ()))
    return {k: v for k, v in item.items() if k in keep}


@dataclass(frozen=True, slots=True)
class Filter:
    """A list query attribute the database filters on: ``column``, each value read by ``parse``."""

    column: str
    parse: Callable[[str], Any] = str


def boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError("true or false")
    return text.lower() == "true"


def paging(
    request: Request, filters: Mapping[str, Filter], query: Mapping[str, str] | None = None
) -> tuple[dict[str, list[Any]], int, int | None]:
    """SQL filters from the query (``state=completed,failed``: either), and offset and limit;
    an attribute the list cannot be filtered on is refused, not ignored. ``query``: the parameters
    left once the caller took its own (default: all of the request's)."""
    params = request.query_params if query is None else query
    chosen: dict[str, list[Any]] = {}
    for name, value in params.items():
        if name in PAGING:
            continue
        spec = filters.get(name)
        if spec is None:
            known = ", ".join(sorted(filters)) or "none"
            raise InvalidRequestError.one(name, f"this list cannot be filtered on {name!r} (filterable: {known})")
        try:
            chosen[spec.column] = [spec.parse(v.strip()) for v in value.split(",")]
        except ValueError as exc:
            raise InvalidRequestError.one(name, f"{value!r}: {exc}") from None
    offset, limit = _number(params.get("offset"), "offset", 0, 0), params.get("limit")
    return chosen, offset, None if limit is None else _number(limit, "limit", 1, 1)


def _number(text: str | None, name: str, default: int, minimum: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidRequestError.one(name, f"{text!r} is not a whole number") from None
    if value < minimum:
        raise InvalidRequestError.one(name, f"must be {minimum} or more")
    return value


# Endpoints answer with a TmfResponse themselves: FastAPI's own encoding would turn Decimals into strings.


def one(item: dict[str, Any], fields: str | None = None, status: int = 200) -> TmfResponse:
    return TmfResponse(select(item, fields), status)


def listed(items: list[dict[str, Any]], total: int, fields: str | None) -> TmfResponse:
    headers = {"X-Total-Count": str(total), "X-Result-Count": str(len(items))}
    return TmfResponse([select(item, fields) for item in items], headers=headers)


def created(item: dict[str, Any], status: int = 201) -> TmfResponse:
    return TmfResponse(item, status, headers={"Location": item["href"]})


def bss_of(request: Request) -> Bss:
    bss: Bss = request.app.state.bss
    return bss


Page = Callable[[Request, list[Any]], list[dict[str, Any]]]


def each(render: Callable[[str, Any], dict[str, Any]]) -> Page:
    """A page renderer from a renderer of one resource (given the API's base URL)."""
    return lambda request, items: [render(base_url(request), item) for item in items]


def list_of(
    request: Request,
    fields: str | None,
    filters: Mapping[str, Filter],
    repository: Callable[[UnitOfWork], Repository[Any, Any]],
    render: Page,
) -> TmfResponse:
    """A TMF list: the query's filters and page applied in the database, then ``fields``."""
    chosen, offset, limit = paging(request, filters)
    with bss_of(request).uow() as uow:
        found, total = repository(uow).list(chosen, offset, limit)
    return listed(render(request, found), total, fields)


def retrieve(
    request: Request,
    fields: str | None,
    key: str,
    kind: str,
    repository: Callable[[UnitOfWork], Repository[Any, Any]],
    render: Page,
) -> TmfResponse:
    """A TMF resource by id, or the TMF 404."""
    with bss_of(request).uow() as uow:
        found = repository(uow).get(key)
    if found is None:
        raise NotFoundError(kind, key)
    return one(render(request, [found])[0], fields)
