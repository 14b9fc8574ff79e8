"""TMF639 Resource Inventory: devices, their interfaces and their routing adjacencies as ``Resource``,
and the hub whose listeners receive their creations, changes, state changes and deletions.

The mapping (ids, relationships, states) is :mod:`oss_agent.fault.hub.tmf639`'s, over the snapshots of
:mod:`oss_agent.storage.resource_view`: the hub's events show every resource the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from oss_agent.entrypoints.api.hubs import hub_router, subscription_input
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
from oss_agent.fault.hub import tmf639
from oss_agent.fault.hub.tmf642 import device_of
from oss_agent.storage.resource_view import resource_snapshots

router = APIRouter(prefix=tmf639.BASE, tags=["TMF639 resource inventory"])
hub = hub_router(
    tmf639.BASE,
    tmf639.RESOURCE_HUB,
    "TMF639 event hub",
    subscription_input("ResourceEventSubscriptionInput", tmf639.KNOWN_EVENT_TYPES, "resource"),
)

_REF = ("id", "href", "name", "@referredType")
RESOURCE_FILTERS = Filterable(
    strings=frozenset(
        {
            *("id", "href", "name", "category", "description", "resourceVersion", "@type", "@baseType"),
            *("resourceStatus", "operationalState", "administrativeState", "usageState"),
            *(f"resourceSpecification.{key}" for key in _REF),
            "resourceRelationship.relationshipType",
            *(f"resourceRelationship.resource.{key}" for key in _REF),
            *(f"resourceCharacteristic.{key}" for key in ("name", "value", "valueType")),
        }
    ),
    dates=frozenset({"startOperatingDate", "endOperatingDate"}),
)


def _resources(request: Request, devices: list[str] | None = None) -> list[dict[str, Any]]:
    with request.app.state.session_factory() as session:
        snapshots = resource_snapshots(session, devices)
    base = str(request.base_url).rstrip("/")
    return [tmf639.render(s, base) for s in snapshots]


@router.get(
    "/resource", summary="List or find Resource objects", openapi_extra={"parameters": RESOURCE_FILTERS.parameters()}
)
def list_resources(
    request: Request,
    response: Response,
    fields: str | None = FIELDS,
    offset: int = OFFSET,
    limit: int | None = LIMIT,
) -> list[dict[str, Any]]:
    return list_response(request, response, _resources(request), fields, offset, limit, RESOURCE_FILTERS)


@router.get("/resource/{resource_id:path}", summary="Retrieves a Resource by ID")
def retrieve_resource(
    request: Request,
    resource_id: str,
    fields: str | None = FIELDS,
) -> dict[str, Any]:
    for item in _resources(request, [device_of(resource_id)]):
        if item["id"] == resource_id:
            return select_fields(item, parse_fields(fields))
    raise TmfError(404, f"no resource with id {resource_id!r}")
