"""Our resources in TMF639 v4's words: the Resource, its event types, and the hub's ``query``.

Pure functions over the snapshots of :mod:`oss_agent.storage.resource_view`, so an API answer and a
hub event show a resource the same way.

Mapping decisions (TMF639 v4 leaves them open):
- Ids: a device is its name (``pe1``), an interface ``device:interface`` (``pe1:eth1``), a routing
  adjacency ``device|protocol|neighbour`` (``pe1|bgp|198.19.255.2``): the managed object its alarms
  name, so every alarm's ``alarmedObject`` is a resource here. Device names contain neither ``:`` nor ``|``.
- A device ``contains`` its interfaces and adjacencies; an interface ``isContainedIn`` its device and
  is ``connectedTo`` its LLDP peer; an adjacency ``isContainedIn`` its device and ``reliesOn`` the
  interface facing the neighbour (when one does: iBGP over loopbacks faces none).
- State follows polls, traps and discovery: ``operationalState`` is ``enable`` when the device answers,
  the interface is up, the adjacency established/full; ``resourceStatus`` is ``available``, or
  ``alarm`` when not (``suspended`` for an interface shut on purpose, ``unknown`` for a device never
  observed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from oss_agent.domain.discovery import DISCOVERED_TAG
from oss_agent.fault.hub import query as query_rules
from oss_agent.storage.hub_tables import HubOutboxRow
from oss_agent.storage.resource_outbox import RESOURCE_API

BASE = "/tmf-api/resourceInventoryManagement/v4"
DEVICE_SPEC, INTERFACE_SPEC, ADJACENCY_SPEC = "networkDevice", "networkInterface", "routingAdjacency"
CATEGORIES = {"device": "device", "interface": "interface", "adjacency": "routingAdjacency"}
SPECS = {"device": DEVICE_SPEC, "interface": INTERFACE_SPEC, "adjacency": ADJACENCY_SPEC}
TYPES = {"device": "PhysicalResource", "interface": "LogicalResource", "adjacency": "LogicalResource"}

# Our change kinds (outbox rows) -> TMF639 event types
EVENT_TYPES = {
    "created": "ResourceCreateEvent",
    "changed": "ResourceAttributeValueChangeEvent",
    "stateChanged": "ResourceStateChangeEvent",
    "deleted": "ResourceDeleteEvent",
}
KNOWN_EVENT_TYPES = frozenset(EVENT_TYPES.values())
# Our changed fields -> the Resource's attributes that show them (``fieldPath``)
FIELD_PATHS: dict[str, tuple[str, ...]] = {
    "description": ("description",),
    "vendor": ("description", "resourceCharacteristic"),
    "model": ("description", "resourceCharacteristic"),
    "os_version": ("description", "resourceCharacteristic"),
    "config_version": ("resourceVersion",),
    "peers": ("resourceRelationship",),
}
_PROTOCOL_NAMES = {"bgp": "BGP", "ospf": "OSPF"}


def href(base: str, resource_id: str) -> str:
    return f"{base}{BASE}/resource/{quote(resource_id, safe=':')}"


def _ref(base: str, resource_id: str, name: str) -> dict[str, Any]:
    return {"id": resource_id, "href": href(base, resource_id), "name": name, "@referredType": "Resource"}


def _relation(kind: str, base: str, resource_id: str, name: str) -> dict[str, Any]:
    return {"relationshipType": kind, "resource": _ref(base, resource_id, name)}


def _characteristics(values: Mapping[str, Any]) -> list[dict[str, Any]]:
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


def _common(s: Mapping[str, Any], base: str, name: str) -> dict[str, Any]:
    kind = str(s["kind"])
    return {
        "id": s["id"],
        "href": href(base, str(s["id"])),
        "name": name,
        "category": CATEGORIES[kind],
        "@type": TYPES[kind],
        "@baseType": "Resource",
        "resourceSpecification": {"id": SPECS[kind], "name": SPECS[kind], "@referredType": "ResourceSpecification"},
    }


def _device(s: Mapping[str, Any], base: str) -> dict[str, Any]:
    reachable = s["reachable"]
    item = _common(s, base, str(s["name"]))
    item["description"] = " ".join(x for x in (s["vendor"], s["model"], s["os_version"]) if x) or s["platform"]
    item["resourceStatus"] = "unknown" if reachable is None else ("available" if reachable else "alarm")
    if reachable is not None:
        item["operationalState"] = "enable" if reachable else "disable"
    item["administrativeState"] = "unlocked"
    item["resourceCharacteristic"] = _characteristics(
        {
            "host": s["host"],
            "platform": s["platform"],
            "role": s["role"],
            "site": s["site"],
            "vendor": s["vendor"],
            "model": s["model"],
            "osVersion": s["os_version"],
            "serialNumber": s["serial"],
            "tags": list(s["tags"]),
            "discovered": DISCOVERED_TAG in s["tags"],
            "reachable": reachable,
            "stateChangedAt": s["state_changed_at"],
            "lastDiscoveryError": s["last_error"],
            "configDrift": list(s["config_drift"]),
            **{f"{store}ConfigVersion": v for store, v in s["config_versions"].items() if store != "running"},
        }
    )
    item["resourceRelationship"] = [
        _relation("contains", base, f"{s['name']}:{name}", name) for name in s["interfaces"]
    ] + [_relation("contains", base, rid, rid) for rid in s["adjacencies"]]
    if s["config_version"] is not None:
        item["resourceVersion"] = str(s["config_version"])
    return item


def _interface(s: Mapping[str, Any], base: str) -> dict[str, Any]:
    up = s["oper_status"] == "up"
    item = _common(s, base, str(s["name"]))
    if s["description"]:
        item["description"] = s["description"]
    item["resourceStatus"] = "available" if up else ("suspended" if not s["admin_up"] else "alarm")
    item["operationalState"] = "enable" if up else "disable"
    item["administrativeState"] = "unlocked" if s["admin_up"] else "locked"
    item["resourceCharacteristic"] = _characteristics(
        {
            "device": s["device"],
            "ifIndex": s["index"],
            "ifType": s["if_type"],
            "speedBps": s["speed_bps"],
            "mtu": s["mtu"],
            "macAddress": s["mac"],
            "operStatus": s["oper_status"],
            "lastChange": s["last_change"],
            "ipAddresses": list(s["addresses"]),
        }
    )
    item["resourceRelationship"] = [_relation("isContainedIn", base, s["device"], s["device"])] + [
        _relation("connectedTo", base, peer, peer) for peer in s["peers"]
    ]
    return item


def _adjacency(s: Mapping[str, Any], base: str) -> dict[str, Any]:
    protocol = _PROTOCOL_NAMES.get(str(s["protocol"]), str(s["protocol"]).upper())
    item = _common(s, base, f"{protocol} {s['neighbor']}")
    what = "session" if s["protocol"] == "bgp" else "adjacency"
    item["description"] = f"{protocol} {what} of {s['device']} with {s['neighbor']}"
    item["resourceStatus"] = "available" if s["is_up"] else "alarm"
    item["operationalState"] = "enable" if s["is_up"] else "disable"
    item["administrativeState"] = "unlocked"
    item["resourceCharacteristic"] = _characteristics(
        {
            "device": s["device"],
            "protocol": s["protocol"],
            "neighborAddress": s["neighbor"],
            "state": s["state"],
            "localInterface": s["local_interface"],
            "firstSeen": s["first_seen"],
            "lastSeen": s["last_seen"],
        }
    )
    relations = [_relation("isContainedIn", base, s["device"], s["device"])]
    if s["local_interface"]:
        relations.append(_relation("reliesOn", base, f"{s['device']}:{s['local_interface']}", s["local_interface"]))
    item["resourceRelationship"] = relations
    return item


_RENDERERS = {"device": _device, "interface": _interface, "adjacency": _adjacency}


def render(snapshot: Mapping[str, Any], base: str = "") -> dict[str, Any]:
    """The TMF639 Resource for a snapshot; ``base`` is the API's origin (empty: relative hrefs).

    A deleted resource's snapshot (``deleted``) carries only its kind, id and name: so does its Resource."""
    if snapshot.get("deleted"):
        return _common(snapshot, base, str(snapshot["name"]))
    return _RENDERERS[str(snapshot["kind"])](snapshot, base)


def field_path(fields: Sequence[str]) -> str:
    """The ``fieldPath`` of an attribute change: the Resource attributes the changed fields show in."""
    return ",".join(sorted({path for f in fields for path in FIELD_PATHS.get(f, ("resourceCharacteristic",))}))


def envelope(
    event_id: str, event_time: str, change: str, fields: Sequence[str], resource: dict[str, Any]
) -> dict[str, Any]:
    """The notification POSTed to a subscriber's callback."""
    body: dict[str, Any] = {
        "eventId": event_id,
        "eventTime": event_time,
        "eventType": EVENT_TYPES[change],
        "event": {"resource": resource},
    }
    if change == "changed" and fields:
        body["fieldPath"] = field_path(fields)
    return body


def parse_query(query: str | None) -> dict[str, set[str]]:
    """``eventType=ResourceStateChangeEvent&category=interface`` (see :mod:`oss_agent.fault.hub.query`)."""
    return query_rules.parse_query(query, KNOWN_EVENT_TYPES, "resource")


def query_matches(parsed: Mapping[str, set[str]], event: Mapping[str, Any]) -> bool:
    return query_rules.query_matches(parsed, event, "resource")


class ResourceHub:
    """TMF639's hub (a ``HubApi`` of :mod:`oss_agent.fault.hub.store`): resource events, rendered when sent."""

    name = RESOURCE_API

    def parse_query(self, query: str) -> Any:
        return parse_query(query)

    def matches(self, parsed: Any, body: dict[str, Any]) -> bool:
        return query_matches(parsed, body)

    def body(self, session: Session, row: HubOutboxRow, base_url: str) -> dict[str, Any]:
        resource = render(row.payload["resource"], base_url)
        return envelope(row.event_id, row.created_at.isoformat(), row.event_type, row.payload["fields"], resource)


RESOURCE_HUB = ResourceHub()
