"""Orders, services, specifications and resource orders in TM Forum's shapes (TMF641, TMF638,
TMF633, TMF652), from our snapshots. The API answers with these and the hubs send them, so a
listener sees exactly what a GET would show.

Links into TMF639: a service's ``supportingResource`` entries are the ids TMF639 serves (``pe1``,
``pe1:eth3``) with its hrefs, and a resource order's item names its device the same way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from oss_agent.domain.catalog import ServiceSpec, ValueType
from oss_agent.domain.resource_order import STATE_OF_PHASE, Phase

ORDERING = "/tmf-api/serviceOrdering/v4"
INVENTORY = "/tmf-api/serviceInventory/v4"
CATALOG = "/tmf-api/serviceCatalogManagement/v4"
RESOURCE_ORDERING = "/tmf-api/resourceOrderingManagement/v4"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4"
_TYPES = {ValueType.INTEGER: "integer", ValueType.ASN: "integer"}


def _drop_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def characteristics(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": k, "value": v, "valueType": "integer" if isinstance(v, int) and not isinstance(v, bool) else "string"}
        for k, v in sorted(values.items())
    ]


def spec_ref(base: str, spec_id: str) -> dict[str, Any]:
    return {
        "id": spec_id,
        "href": f"{base}{CATALOG}/serviceSpecification/{spec_id}",
        "name": spec_id,
        "@referredType": "ServiceSpecification",
    }


def resource_ref(base: str, resource_id: str) -> dict[str, Any]:
    return {
        "id": resource_id,
        "href": f"{base}{RESOURCES}/resource/{quote(resource_id, safe=':')}",
        "name": resource_id,
        "@referredType": "Resource",
    }


def _error(error: dict[str, Any], at: str | None) -> dict[str, Any]:
    return _drop_none(
        {
            "code": error.get("code", "error"),
            "reason": error.get("reason"),
            "message": error.get("message"),
            "referenceError": error.get("referenceError"),
            "timestamp": at,
            "@type": "ServiceOrderErrorMessage",
        }
    )


def service_order(snapshot: dict[str, Any], base: str) -> dict[str, Any]:
    """TMF641 ServiceOrder from :func:`oss_agent.storage.hub_repository.order_snapshot`."""
    order_id = snapshot["id"]
    href = f"{base}{ORDERING}/serviceOrder/{order_id}"
    items = []
    for item in snapshot["items"]:
        service = _drop_none(
            {
                "id": item["service_id"],
                "href": f"{base}{INVENTORY}/service/{item['service_id']}" if item["service_id"] else None,
                "name": item["service_name"] or None,
                "serviceSpecification": spec_ref(base, item["spec"]) if item["spec"] else None,
                "serviceCharacteristic": characteristics(item["characteristics"]) or None,
                "state": item["target_state"],
                "@type": "ServiceRefOrValue",
            }
        )
        relations = [
            {
                "relationshipType": "dependsOn",
                "orderItem": {
                    "id": other,
                    "itemId": other,
                    "serviceOrderId": order_id,
                    "serviceOrderHref": href,
                    "@referredType": "ServiceOrderItem",
                },
            }
            for other in item["depends_on"]
        ]
        entry: dict[str, Any] = {
            "id": item["id"],
            "action": item["action"],
            "state": item["state"],
            "service": service,
            "@type": "ServiceOrderItem",
        }
        if relations:
            entry["serviceOrderItemRelationship"] = relations
        if item["error"]:
            entry["errorMessage"] = [_error({"code": "itemFailed", "message": item["error"]}, snapshot["completed_at"])]
        items.append(entry)
    return _drop_none(
        {
            "id": order_id,
            "href": href,
            "externalId": snapshot["external_id"],
            "description": snapshot["description"] or None,
            "category": snapshot["category"] or None,
            "priority": snapshot["priority"] or None,
            "orderDate": snapshot["requested_at"],
            "requestedStartDate": snapshot["requested_start"],
            "startDate": snapshot["started_at"],
            "completionDate": snapshot["completed_at"],
            "cancellationReason": snapshot["cancellation_reason"] or None,
            "state": snapshot["state"],
            "relatedParty": [_party(p) for p in snapshot["related_party"]] or None,
            "errorMessage": [_error(e, snapshot["completed_at"]) for e in snapshot["errors"]] or None,
            "serviceOrderItem": items,
            "@type": "ServiceOrder",
        }
    )


def _party(party: dict[str, Any]) -> dict[str, Any]:
    return {"@referredType": "Party", "@type": "RelatedParty", **party}


def service(snapshot: dict[str, Any], spec: ServiceSpec | None, base: str) -> dict[str, Any]:
    """TMF638 Service from :func:`oss_agent.storage.hub_repository.service_snapshot`."""
    state = snapshot["state"]
    checks = [c for c in snapshot["checks"] if c.get("phase") == "after"]
    notes = [
        {
            "text": f"{'ok' if c['ok'] else 'NOT OK'}: {c['label']}: {c['detail']}",
            "date": c["at"],
            "author": "oss-agent",
            "@type": "Note",
        }
        for c in checks
    ]
    if snapshot["in_sync"] is False:
        notes.append(
            {"text": f"configuration out of sync: {snapshot['sync_detail']}", "author": "oss-agent", "@type": "Note"}
        )
    return _drop_none(
        {
            "id": snapshot["id"],
            "href": f"{base}{INVENTORY}/service/{snapshot['id']}",
            "name": snapshot["name"],
            "description": spec.description if spec else None,
            "category": spec.category if spec and spec.category else None,
            "serviceType": snapshot["spec_id"],
            "state": state,
            "startDate": snapshot["created_at"],
            "endDate": snapshot["updated_at"] if state == "terminated" else None,
            "hasStarted": state in ("active", "inactive", "terminated"),
            "isServiceEnabled": state == "active",
            "isStateful": True,
            "isBundle": False,
            "externalId": snapshot["external_id"],  # the ordering party's reference, passed through from the order
            "serviceSpecification": spec_ref(base, snapshot["spec_id"]),
            "serviceCharacteristic": [
                *characteristics(snapshot["characteristics"]),
                {"name": "configurationInSync", "value": snapshot["in_sync"], "valueType": "boolean"},
            ],
            "relatedParty": [_party(p) for p in snapshot["related_party"]] or None,
            "supportingResource": [resource_ref(base, r) for r in snapshot["supporting_resources"]],
            "serviceOrderItem": [
                {
                    "itemId": snapshot["order_item_id"],
                    "serviceOrderId": snapshot["order_id"],
                    "serviceOrderHref": f"{base}{ORDERING}/serviceOrder/{snapshot['order_id']}",
                    "itemAction": "add",
                    "@referredType": "ServiceOrderItem",
                }
            ],
            "note": notes or None,
            "@type": "Service",
        }
    )


def service_specification(spec: ServiceSpec, base: str) -> dict[str, Any]:
    """TMF633 ServiceSpecification of a catalog entry."""
    chars = []
    for c in spec.characteristics:
        value: dict[str, Any] = {
            "valueType": _TYPES.get(c.value_type, "string"),
            "@type": "CharacteristicValueSpecification",
        }
        if c.minimum is not None:
            value["valueFrom"] = c.minimum
        if c.maximum is not None:
            value["valueTo"] = c.maximum
        if c.default is not None:
            value |= {"value": c.default, "isDefault": True}
        chars.append(
            _drop_none(
                {
                    "id": c.name,
                    "name": c.name,
                    "description": c.description or None,
                    "valueType": _TYPES.get(c.value_type, "string"),
                    "configurable": c.modifiable,
                    "minCardinality": 1 if c.required and c.default is None else 0,
                    "maxCardinality": 1,
                    "regex": None,
                    "characteristicValueSpecification": [value],
                    "@type": "CharacteristicSpecification",
                    "@valueSchemaLocation": None,
                }
            )
            | {"extensible": False}
        )
    return _drop_none(
        {
            "id": spec.id,
            "href": f"{base}{CATALOG}/serviceSpecification/{spec.id}",
            "name": spec.name,
            "description": spec.description or None,
            "version": spec.version,
            "lifecycleStatus": "Active",
            "isBundle": False,
            "specCharacteristic": chars,
            "resourceSpecification": [
                {"id": rid, "name": rid, "@referredType": "ResourceSpecification"}
                for rid in ("networkDevice", "networkInterface")
            ],
            "@type": "ServiceSpecification",
        }
    )


def resource_order(view: dict[str, Any], base: str) -> dict[str, Any]:
    """TMF652 ResourceOrder: one device's part of a service order (``view``: our resource order view)."""
    state = STATE_OF_PHASE[Phase(view["phase"])]
    notes = [{"text": f"phase: {view['phase']}", "@type": "Note"}]
    if view["diff"]:
        notes.append({"text": view["diff"], "@type": "Note"})
    if view["error"]:
        notes.append({"text": f"error: {view['error']}", "@type": "Note"})
    return _drop_none(
        {
            "id": view["id"],
            "href": f"{base}{RESOURCE_ORDERING}/resourceOrder/{view['id']}",
            "externalId": view["order_id"],  # the TMF641 service order it is part of
            "name": view["device"],
            "description": f"configuration change of {view['device']} for service order {view['order_id']}",
            "orderType": "configuration",
            "category": view["platform"],
            "orderDate": view["created_at"],
            "completionDate": view["updated_at"] if state in ("completed", "failed") else None,
            "state": state,
            "orderItem": [
                {
                    "id": "1",
                    "action": "modify",
                    "state": state,
                    "resource": {**resource_ref(base, view["device"]), "@type": "ResourceRefOrValue"},
                    "resourceSpecification": {
                        "id": "networkDevice",
                        "name": "networkDevice",
                        "@referredType": "ResourceSpecification",
                    },
                    "@type": "ResourceOrderItem",
                }
            ],
            "note": notes,
            "@type": "ResourceOrder",
        }
    )
