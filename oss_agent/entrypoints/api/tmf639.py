"""TMF639 Resource Inventory: devices and their interfaces as ``Resource`` objects.

Ids: a device is its name (``pe1``), an interface is ``device:interface`` (``pe1:eth1``; device names
never contain ``:``). Relationships: a device ``contains`` its interfaces, an interface
``isContainedIn`` its device and is ``connectedTo`` its LLDP peer interface.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from oss_agent.domain.discovery import DISCOVERED_TAG, AddressState
from oss_agent.domain.model import Device, Interface, Link
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
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork

BASE = "/tmf-api/resourceInventoryManagement/v4"
DEVICE_SPEC, INTERFACE_SPEC = "networkDevice", "networkInterface"

router = APIRouter(prefix=BASE, tags=["TMF639 resource inventory"])

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


def href(request: Request, resource_id: str) -> str:
    return f"{str(request.base_url).rstrip('/')}{BASE}/resource/{quote(resource_id, safe=':')}"


def _ref(request: Request, resource_id: str, name: str) -> dict[str, Any]:
    return {"id": resource_id, "href": href(request, resource_id), "name": name, "@referredType": "Resource"}


def _characteristics(values: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, value in values.items():
        if value is None or value == "" or value == []:
            continue
        kind = (
            "array"
            if isinstance(value, list)
            else "boolean"
            if isinstance(value, bool)
            else ("integer" if isinstance(value, int) else "string")
        )
        out.append({"name": name, "value": value, "valueType": kind})
    return out


def _device(request: Request, d: Device, status: tuple[str | None, bool] | None, version: int | None) -> dict[str, Any]:
    error, _ = status if status is not None else (None, False)
    resource_status = "unknown" if status is None else ("available" if error is None else "alarm")
    item: dict[str, Any] = {
        "id": d.name,
        "href": href(request, d.name),
        "name": d.name,
        "category": "device",
        "description": " ".join(x for x in (d.vendor, d.model, d.os_version) if x) or d.platform,
        "@type": "PhysicalResource",
        "@baseType": "Resource",
        "resourceSpecification": {"id": DEVICE_SPEC, "name": DEVICE_SPEC, "@referredType": "ResourceSpecification"},
        "resourceStatus": resource_status,
        "operationalState": "disable" if error is not None else "enable",
        "administrativeState": "unlocked",
        "resourceCharacteristic": _characteristics(
            {
                "host": d.host,
                "platform": d.platform,
                "role": d.role,
                "site": d.site,
                "vendor": d.vendor,
                "model": d.model,
                "osVersion": d.os_version,
                "serialNumber": d.serial,
                "tags": list(d.tags),
                "discovered": DISCOVERED_TAG in d.tags,
                "lastDiscoveryError": error,
            }
        ),
        "resourceRelationship": [
            {"relationshipType": "contains", "resource": _ref(request, f"{d.name}:{name}", name)}
            for name in sorted(d.interfaces)
        ],
    }
    if version is not None:
        item["resourceVersion"] = str(version)
    return item


def _interface(
    request: Request, d: Device, i: Interface, addresses: list[str], peers: list[tuple[str, str]]
) -> dict[str, Any]:
    rid = f"{d.name}:{i.name}"
    status = "available" if i.oper_status == "up" else ("suspended" if not i.admin_up else "alarm")
    relations = [{"relationshipType": "isContainedIn", "resource": _ref(request, d.name, d.name)}]
    relations += [
        {"relationshipType": "connectedTo", "resource": _ref(request, f"{dev}:{port}", f"{dev}:{port}")}
        for dev, port in peers
    ]
    return {
        "id": rid,
        "href": href(request, rid),
        "name": i.name,
        "category": "interface",
        "description": i.description or f"{i.name} of {d.name}",
        "@type": "LogicalResource",
        "@baseType": "Resource",
        "resourceSpecification": {
            "id": INTERFACE_SPEC,
            "name": INTERFACE_SPEC,
            "@referredType": "ResourceSpecification",
        },
        "resourceStatus": status,
        "operationalState": "enable" if i.oper_status == "up" else "disable",
        "administrativeState": "unlocked" if i.admin_up else "locked",
        "resourceCharacteristic": _characteristics(
            {
                "device": d.name,
                "ifIndex": i.index,
                "ifType": i.if_type,
                "speedBps": i.speed_bps,
                "mtu": i.mtu,
                "macAddress": i.mac,
                "operStatus": i.oper_status,
                "ipAddresses": addresses,
            }
        ),
        "resourceRelationship": relations,
    }


def _resources(request: Request) -> list[dict[str, Any]]:
    uow = SqlAlchemyUnitOfWork(request.app.state.session_factory)
    with uow:
        devices = uow.devices.list()
        addresses: dict[str, list[AddressState]] = uow.discovery.all_addresses()
        links: list[Link] = uow.links.list()
        statuses = {n: (r.last_error, r.last_success_at is not None) for n, r in uow.discovery.statuses().items()}
        versions = {d.name: (row.version if (row := uow.configs.latest(d.name)) else None) for d in devices}
    peers: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for link in links:
        peers.setdefault((link.a.device, link.a.interface), []).append((link.b.device, link.b.interface))
        peers.setdefault((link.b.device, link.b.interface), []).append((link.a.device, link.a.interface))
    items: list[dict[str, Any]] = []
    for d in devices:
        items.append(_device(request, d, statuses.get(d.name), versions.get(d.name)))
        by_if: dict[str, list[str]] = {}
        for a in addresses.get(d.name, []):
            by_if.setdefault(a.interface, []).append(a.address)
        for name in sorted(d.interfaces):
            items.append(
                _interface(request, d, d.interfaces[name], by_if.get(name, []), sorted(peers.get((d.name, name), [])))
            )
    return items


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
    for item in _resources(request):
        if item["id"] == resource_id:
            return select_fields(item, parse_fields(fields))
    raise TmfError(404, f"no resource with id {resource_id!r}")
