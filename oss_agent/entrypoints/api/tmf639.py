"""TMF639 Resource Inventory: devices, their interfaces and their routing adjacencies as ``Resource``,
and the hub whose listeners receive their creations, changes, state changes and deletions.

The mapping (ids, relationships, states) is :mod:`oss_agent.fault.hub.tmf639`'s, over the snapshots of
:mod:`oss_agent.storage.resource_view`: the hub's events show every resource the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response

from oss_agent.entrypoints.api.hubs import hub_router
from oss_agent.entrypoints.api.tmf import TmfError, list_response, parse_fields, select_fields
from oss_agent.fault.hub import tmf639
from oss_agent.fault.hub.tmf642 import device_of
from oss_agent.storage.resource_view import resource_snapshots

router = APIRouter(prefix=tmf639.BASE, tags=["TMF639 resource inventory"])
hub = hub_router(tmf639.BASE, tmf639.RESOURCE_HUB, "TMF639 event hub")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _resources(request: Request, devices: list[str] | None = None) -> list[dict[str, Any]]:
    with request.app.state.session_factory() as session:
        snapshots = resource_snapshots(session, devices)
    base = _base(request)
    return [tmf639.render(s, base) for s in snapshots]


@router.get("/resource", summary="List or find Resource objects")
def list_resources(
    request: Request,
    response: Response,
    fields: str | None = Query(None, description="Comma-separated properties to be provided in response"),
    offset: int = Query(0, description="Requested index for start of resources to be provided in response"),
    limit: int | None = Query(None, description="Requested number of resources to be provided in response"),
) -> list[dict[str, Any]]:
    return list_response(request, response, _resources(request), fields, offset, limit)


@router.get("/resource/{resource_id:path}", summary="Retrieves a Resource by ID")
def retrieve_resource(
    request: Request,
    resource_id: str,
    fields: str | None = Query(None, description="Comma-separated properties to provide in response"),
) -> dict[str, Any]:
    for item in _resources(request, [device_of(resource_id)]):
        if item["id"] == resource_id:
            return select_fields(item, parse_fields(fields))
    raise TmfError(404, f"no resource with id {resource_id!r}")
