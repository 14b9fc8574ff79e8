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
from collections.abc import Callable, Sequence
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
from bss_bridge.entrypoints.api.filters import Filters
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
    413: "Content Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
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


async def known_parameters(request: Request) -> None:
    """Refuse a query parameter the route does not declare (a typo would otherwise be silently
    ignored), or one given twice (the document declares each once; which would win?). A TMF list
    declares its filters in its document and reads them itself (:mod:`filters`), refusing any other
    with the list of those it knows."""
    names = [name for name, _ in request.query_params.multi_items()]
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise InvalidRequestError(
            Problem(name, "given more than once (once; several values of a filter are comma-separated)")
            for name in repeated
        )
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or (getattr(route, "openapi_extra", None) or {}).get("parameters"):
        return
    declared = {p.alias for p in dependant.query_params}
    declared |= {p.alias for sub in dependant.dependencies for p in sub.query_params}
    if unknown := sorted(set(request.query_params) - declared):
        known = f"known: {', '.join(sorted(declared))}" if declared else "it takes none"
        raise InvalidRequestError(Problem(name, f"unknown query parameter ({known})") for name in unknown)


async def body(request: Request, model: type[M]) -> M:
    """The request's JSON body validated by ``model`` (numbers exact; problems name their field)."""
    return parse_model(model, parse_json(await _bounded(request, bss_of(request).settings.api_max_body_bytes)))


async def _bounded(request: Request, limit: int) -> bytes:
    """The body, refused (413) once it is longer than ``limit``: a declared length is believed before
    anything is read, a streamed body is counted as it comes, so a client sending gigabytes costs
    the server at most ``limit`` bytes of memory (the whole body used to be read, then parsed)."""
    too_large = HTTPException(413, f"the request body is larger than this API takes ({limit} bytes)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise too_large
        parts.append(part)
    return b"".join(parts)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# What the TMF schemas require of each resource, kept whatever ``fields`` asks for (TMF678's
# CustomerBill and TMF635's Usage require nothing, AppliedCustomerBillingRate only its id).
REQUIRED = {
    "Customer": ("engagedParty",),
    "BillingAccount": ("name", "relatedParty"),
    "ProductOrder": ("productOrderItem",),
    "CancelProductOrder": ("productOrder",),
    "Payment": ("account", "paymentMethod"),
}


def select(item: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """First-level attribute selection (``fields=name,state``); id, href, @type and what the
    resource's schema requires always stay."""
    if fields is None or not fields.strip():
        return item
    kind = item.get("@baseType") or item.get("@type") or ""
    keep = {f.strip() for f in fields.split(",")} | set(ALWAYS_SELECTED) | set(REQUIRED.get(kind, ()))
    return {k: v for k, v in item.items() if k in keep}


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
    filters: Filters,
    repository: Callable[[UnitOfWork], Repository[Any, Any]],
    render: Page,
) -> TmfResponse:
    """A TMF list: the query's filters on columns and its page applied in the database, the others
    on the rendered resources (then paged here), then ``fields``."""
    query = filters.read(request.query_params.multi_items())
    with bss_of(request).uow() as uow:
        found_in = repository(uow)
        where = query.where(found_in.row_type)
        if query.rendered:
            found, _ = found_in.list(None, where=where)
        else:
            found, total = found_in.list(None, query.offset, query.limit, where=where)
    if query.rendered:
        items, total = query.select(render(request, found))
        return listed(items, total, fields)
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
