"""TMF641 service ordering, TMF638 service inventory, TMF633 service catalog, TMF652 resource orders.

``POST /serviceOrder`` accepts a ``ServiceOrder_Create``: 201 with the order (acknowledged), 200
with the first order when its ``externalId`` was seen before, 400 in TMF's Error shape naming every
field at fault when it is refused (the rejected order is stored, its id in the message). An accepted
order is handed to the daemon's worker, which runs it at its ``requestedStartDate`` (or now).
``cancelServiceOrder`` is granted until the order's commit starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from oss_agent.domain.catalog import OrderRejectedError
from oss_agent.domain.commands import CancelServiceOrder
from oss_agent.domain.errors import DomainError, NotFoundError
from oss_agent.entrypoints.api.hubs import hub_router, subscription_input
from oss_agent.entrypoints.api.provisioning_models import CancelServiceOrderCreate, ServiceOrderCreate
from oss_agent.entrypoints.api.tmf import (
    FIELDS,
    LIMIT,
    OFFSET,
    Filterable,
    TmfError,
    list_response,
    parse_fields,
    select_fields,
)
from oss_agent.provisioning import tmf
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.provisioning.hub import ORDER_HUB, SERVICE_HUB
from oss_agent.provisioning.request import read_order
from oss_agent.provisioning.views import resource_order_view
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage.hub_repository import order_snapshot, service_snapshot

ordering = APIRouter(prefix=tmf.ORDERING, tags=["TMF641 service ordering"])
inventory = APIRouter(prefix=tmf.INVENTORY, tags=["TMF638 service inventory"])
catalog = APIRouter(prefix=tmf.CATALOG, tags=["TMF633 service catalog"])
resource_ordering = APIRouter(prefix=tmf.RESOURCE_ORDERING, tags=["TMF652 resource ordering"])
ordering_hub = hub_router(
    tmf.ORDERING,
    ORDER_HUB,
    "TMF641 event hub",
    subscription_input("ServiceOrderEventSubscriptionInput", ORDER_HUB.events, "serviceOrder"),
)
inventory_hub = hub_router(
    tmf.INVENTORY,
    SERVICE_HUB,
    "TMF638 event hub",
    subscription_input("ServiceEventSubscriptionInput", SERVICE_HUB.events, "service"),
)
_REF = ("id", "href", "name", "@referredType")
ORDER_FILTERS = Filterable(
    strings=frozenset(
        {
            *("id", "href", "externalId", "state", "category", "priority", "description", "@type"),
            *("serviceOrderItem.id", "serviceOrderItem.action", "serviceOrderItem.state"),
            *(f"serviceOrderItem.service.{key}" for key in ("id", "name", "state")),
            "serviceOrderItem.service.serviceSpecification.id",
            *(f"relatedParty.{key}" for key in ("id", "name", "role")),
        }
    ),
    dates=frozenset({"orderDate", "requestedStartDate", "startDate", "completionDate"}),
)
CANCEL_FILTERS = Filterable(
    strings=frozenset({"id", "href", "state", "cancellationReason", "serviceOrder.id", "@type"}),
    dates=frozenset({"requestedCancellationDate", "effectiveCancellationDate"}),
)
SERVICE_FILTERS = Filterable(
    strings=frozenset(
        {
            *("id", "href", "name", "state", "serviceType", "category", "externalId", "@type"),
            *(f"serviceSpecification.{key}" for key in _REF),
            *(f"supportingResource.{key}" for key in _REF),
            *(f"relatedParty.{key}" for key in ("id", "name", "role")),
            *(f"serviceCharacteristic.{key}" for key in ("name", "value", "valueType")),
            "serviceOrderItem.serviceOrderId",
        }
    ),
    dates=frozenset({"startDate", "endDate"}),
    booleans=frozenset({"isServiceEnabled", "hasStarted"}),
)
SPEC_FILTERS = Filterable(strings=frozenset({"id", "href", "name", "version", "lifecycleStatus", "@type"}))
RESOURCE_ORDER_FILTERS = Filterable(
    strings=frozenset(
        {
            *("id", "href", "name", "state", "externalId", "category", "orderType", "@type"),
            *(f"orderItem.resource.{key}" for key in _REF),
            "orderItem.state",
        }
    ),
    dates=frozenset({"orderDate", "completionDate"}),
)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _ctx(request: Request) -> ProvisioningContext:
    ctx: ProvisioningContext | None = request.app.state.agent.provisioning
    if ctx is None:
        raise TmfError(500, "provisioning is not set up in this agent")
    return ctx


def _uow(request: Request) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(request.app.state.session_factory)


def _orders(request: Request) -> list[dict[str, Any]]:
    with _uow(request) as uow:
        return [tmf.service_order(order_snapshot(o), _base(request)) for o in uow.orders.list(limit=100_000)]


def _one(items: list[dict[str, Any]], item_id: str, what: str, fields: str | None) -> dict[str, Any]:
    for item in items:
        if item["id"] == item_id:
            return select_fields(item, parse_fields(fields))
    raise TmfError(404, f"no {what} with id {item_id!r}")


@ordering.post(
    "/serviceOrder",
    status_code=201,
    summary="Creates a ServiceOrder",
    responses={200: {"description": "an order with this externalId exists already: it is answered, not made again"}},
)
async def create_order(request: Request, response: Response, body: ServiceOrderCreate) -> dict[str, Any]:
    """A well-formed order refused by the catalog's or the inventory's rules is stored and answered
    ``rejected``, each problem an ``errorMessage`` naming its field (``referenceError``); a body that
    is no ServiceOrder_Create at all is a 400."""
    command = read_order(body.model_dump(by_alias=True, exclude_none=True))
    try:
        accepted = (await request.app.state.agent.bus.handle(command)).result
        order_id = accepted.order_id
    except OrderRejectedError as exc:
        order_id = exc.order_id
    else:
        if not accepted.created:
            response.status_code = 200
        worker: Callable[[str], None] | None = getattr(request.app.state, "order_worker", None)
        if worker is not None:
            worker(order_id)
    with _uow(request) as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return tmf.service_order(order_snapshot(order), _base(request))


@ordering.get(
    "/serviceOrder",
    summary="List or find ServiceOrder objects",
    openapi_extra={"parameters": ORDER_FILTERS.parameters()},
)
def list_orders(
    request: Request, response: Response, fields: str | None = FIELDS, offset: int = OFFSET, limit: int | None = LIMIT
) -> list[dict[str, Any]]:
    """Filters: any first-level or dotted attribute (``state=failed``, ``serviceOrderItem.service.id=...``)."""
    return list_response(request, response, _orders(request), fields, offset, limit, ORDER_FILTERS)


@ordering.get("/serviceOrder/{order_id}", summary="Retrieves a ServiceOrder by ID")
def retrieve_order(request: Request, order_id: str, fields: str | None = FIELDS) -> dict[str, Any]:
    with _uow(request) as uow:
        order = uow.orders.get(order_id)
    if order is None:
        raise TmfError(404, f"no service order with id {order_id!r}")
    return select_fields(tmf.service_order(order_snapshot(order), _base(request)), parse_fields(fields))


def _cancel_view(request: Request, record: dict[str, Any]) -> dict[str, Any]:
    base = _base(request)
    view: dict[str, Any] = {
        "id": record["id"],
        "href": f"{base}{tmf.ORDERING}/cancelServiceOrder/{record['id']}",
        "cancellationReason": record["reason"] or None,
        "requestedCancellationDate": record["requested_at"].isoformat(),
        "effectiveCancellationDate": record["effective_at"].isoformat() if record["effective_at"] else None,
        "state": record["state"],
        "serviceOrder": {
            "id": record["order_id"],
            "href": f"{base}{tmf.ORDERING}/serviceOrder/{record['order_id']}",
            "@referredType": "ServiceOrder",
        },
        "@type": "CancelServiceOrder",
    }
    if record["state"] == "done":
        view["completionMessage"] = record["message"]
    else:
        view["errorMessage"] = {
            "code": "commitStarted",
            "reason": "Conflict",
            "message": record["message"],
            "status": "409",
            "@type": "ErrorMessage",
        }
    return {k: v for k, v in view.items() if v is not None}


@ordering.post(
    "/cancelServiceOrder",
    status_code=201,
    summary="Creates a CancelServiceOrder",
    responses={404: {"description": "no service order has this id"}},
)
async def cancel_order(request: Request, body: CancelServiceOrderCreate) -> dict[str, Any]:
    command = CancelServiceOrder(body.service_order.id, body.cancellation_reason or "")
    try:
        record = (await request.app.state.agent.bus.handle(command)).result
    except NotFoundError as exc:
        raise TmfError(404, str(exc)) from exc
    except DomainError as exc:
        raise TmfError(400, str(exc)) from exc
    return _cancel_view(request, record)


@ordering.get(
    "/cancelServiceOrder",
    summary="List or find CancelServiceOrder objects",
    openapi_extra={"parameters": CANCEL_FILTERS.parameters()},
)
def list_cancels(
    request: Request, response: Response, fields: str | None = FIELDS, offset: int = OFFSET, limit: int | None = LIMIT
) -> list[dict[str, Any]]:
    with _uow(request) as uow:
        items = [_cancel_view(request, r) for r in uow.cancel_requests.list()]
    return list_response(request, response, items, fields, offset, limit, CANCEL_FILTERS)


@ordering.get("/cancelServiceOrder/{request_id}", summary="Retrieves a CancelServiceOrder by ID")
def retrieve_cancel(request: Request, request_id: str, fields: str | None = FIELDS) -> dict[str, Any]:
    with _uow(request) as uow:
        record = uow.cancel_requests.get(request_id)
    if record is None:
        raise TmfError(404, f"no cancelServiceOrder with id {request_id!r}")
    return select_fields(_cancel_view(request, record), parse_fields(fields))


def _services(request: Request) -> list[dict[str, Any]]:
    specs = _ctx(request).catalog.specs
    with _uow(request) as uow:
        return [tmf.service(service_snapshot(s), specs.get(s.spec_id), _base(request)) for s in uow.services.list()]


@inventory.get(
    "/service", summary="List or find Service objects", openapi_extra={"parameters": SERVICE_FILTERS.parameters()}
)
def list_services(
    request: Request, response: Response, fields: str | None = FIELDS, offset: int = OFFSET, limit: int | None = LIMIT
) -> list[dict[str, Any]]:
    """Filters as for orders; ``supportingResource.id=pe1:eth3`` finds the services riding an interface."""
    return list_response(request, response, _services(request), fields, offset, limit, SERVICE_FILTERS)


@inventory.get("/service/{service_id}", summary="Retrieves a Service by ID")
def retrieve_service(request: Request, service_id: str, fields: str | None = FIELDS) -> dict[str, Any]:
    return _one(_services(request), service_id, "service", fields)


def _specs(request: Request) -> list[dict[str, Any]]:
    return [
        tmf.service_specification(s, _base(request))
        for s in sorted(_ctx(request).catalog.specs.values(), key=lambda s: s.id)
    ]


@catalog.get(
    "/serviceSpecification",
    summary="List or find ServiceSpecification objects",
    openapi_extra={"parameters": SPEC_FILTERS.parameters()},
)
def list_specs(
    request: Request, response: Response, fields: str | None = FIELDS, offset: int = OFFSET, limit: int | None = LIMIT
) -> list[dict[str, Any]]:
    return list_response(request, response, _specs(request), fields, offset, limit, SPEC_FILTERS)


@catalog.get("/serviceSpecification/{spec_id}", summary="Retrieves a ServiceSpecification by ID")
def retrieve_spec(request: Request, spec_id: str, fields: str | None = FIELDS) -> dict[str, Any]:
    return _one(_specs(request), spec_id, "service specification", fields)


def _resource_orders(request: Request) -> list[dict[str, Any]]:
    with _uow(request) as uow:
        return [tmf.resource_order(resource_order_view(ro), _base(request)) for ro in uow.resource_orders.list()]


@resource_ordering.get(
    "/resourceOrder",
    summary="List or find ResourceOrder objects",
    openapi_extra={"parameters": RESOURCE_ORDER_FILTERS.parameters()},
)
def list_resource_orders(
    request: Request, response: Response, fields: str | None = FIELDS, offset: int = OFFSET, limit: int | None = LIMIT
) -> list[dict[str, Any]]:
    """One per device a service order changed; ``externalId`` is the service order's id."""
    return list_response(request, response, _resource_orders(request), fields, offset, limit, RESOURCE_ORDER_FILTERS)


@resource_ordering.get("/resourceOrder/{resource_order_id}", summary="Retrieves a ResourceOrder by ID")
def retrieve_resource_order(request: Request, resource_order_id: str, fields: str | None = FIELDS) -> dict[str, Any]:
    return _one(_resource_orders(request), resource_order_id, "resource order", fields)


ROUTERS = (ordering, ordering_hub, inventory, inventory_hub, catalog, resource_ordering)
