"""The bridge's rules, pure: what the BSS owes the OSS and what the OSS's answers mean to the BSS.

The bridge joins the two wings the way two vendors' systems would be joined: through TMF APIs and
their hubs, each message carrying an id the receiver deduplicates on. This module holds the
decisions, free of I/O:

- **ids**: a product order item travels as the TMF641 ``externalId`` ``<order>:<item>``, a network
  state change of a subscription as ``<subscription>:state:<n>`` (one per change), so a retry of the
  same message is recognised by the OSS and never activates twice;
- **mapping**: a product's characteristics become the service's as the product specification says
  (``serviceCharacteristic``); values travel as TMF641 takes them (a string or an integer);
- **reading the OSS's answers**: a TMF641 ServiceOrder and a TMF642 Alarm as small typed views;
- **network state**: which TMF638 state a subscription's status asks for (suspended: inactive).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bss_bridge.domain.catalog import ProductSpecification, Value

EXTERNAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")  # what the OSS takes as an externalId
_LABEL_BAD = re.compile(r"[^A-Za-z0-9 .,:/@()+_-]+")
_LABEL_WORDS = frozenset({"end", "exit", "no", "interface", "router", "commit", "quit", "shutdown"})
FINAL_ORDER_STATES = frozenset({"completed", "failed", "cancelled", "rejected", "partial"})
WireValue = str | int


def _safe_id(prefix: str, text: str) -> str:
    """``text`` when the OSS takes it as an id, else a stable digest of it under ``prefix``."""
    if EXTERNAL_ID.fullmatch(text):  # not match(): '$' lets a final line break through
        return text
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def item_key(order_id: str, item_id: str) -> str:
    """The TMF641 externalId of a product order item: the same item always travels under it."""
    return _safe_id("poi", f"{order_id}:{item_id}")


def state_key(subscription_id: str, generation: int) -> str:
    """The TMF641 externalId of the ``generation``-th network state change of a subscription."""
    return _safe_id("state", f"{subscription_id}:state:{generation}")


def repair_key(kind: str, subject: str, generation: int) -> str:
    """The TMF641 externalId of a repair the reconciliation orders."""
    return _safe_id("repair", f"{subject}:{kind}:{generation}")


def label(text: str, fallback: str) -> str:
    """``text`` as a label the OSS puts in a configuration (an interface description): letters,
    digits and a little punctuation, no configuration keyword, at most 64 characters."""
    words = [w for w in _LABEL_BAD.sub(" ", text).split() if w.lower() not in _LABEL_WORDS]
    cleaned = " ".join(words).strip(" .,:/@()+_-")[:64].strip()
    return cleaned if cleaned and cleaned[0].isalnum() else fallback


def wire_value(value: Value) -> WireValue:
    """A product characteristic's value as TMF641 carries it: integers stay integers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else format(value, "f")
    return str(value)


def service_characteristics(spec: ProductSpecification, values: Mapping[str, Value]) -> dict[str, WireValue]:
    """The service characteristics ``values`` map to (names as the specification says)."""
    by_name = {c.name: c for c in spec.characteristics}
    return {by_name[name].maps_to: wire_value(v) for name, v in values.items() if name in by_name}


def changed_characteristics(
    spec: ProductSpecification, old: Mapping[str, Value], new: Mapping[str, Value]
) -> dict[str, WireValue]:
    """What a modify changes on the service: the mapped characteristics whose value differs."""
    before, after = service_characteristics(spec, old), service_characteristics(spec, new)
    return {name: value for name, value in after.items() if before.get(name) != value}


def _characteristic_list(values: Mapping[str, WireValue]) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in sorted(values.items())]


@dataclass(frozen=True, slots=True)
class Party:
    """The customer an order is for, as the OSS is told (``relatedParty``)."""

    id: str
    name: str

    def related(self) -> list[dict[str, Any]]:
        return [{"id": self.id, "name": self.name, "role": "customer", "@referredType": "Customer"}]


def add_order(
    key: str,
    service_spec: str,
    characteristics: Mapping[str, WireValue],
    party: Party,
    description: str,
    requested_start: datetime | None = None,
) -> dict[str, Any]:
    """A TMF641 ServiceOrder_Create adding one service."""
    body: dict[str, Any] = {
        "externalId": key,
        "description": description[:2000],
        "category": "bss",
        "relatedParty": party.related(),
        "serviceOrderItem": [
            {
                "id": "1",
                "action": "add",
                "service": {
                    "serviceSpecification": {"id": service_spec},
                    "serviceCharacteristic": _characteristic_list(characteristics),
                },
            }
        ],
    }
    if requested_start is not None:
        body["requestedStartDate"] = requested_start.astimezone(UTC).isoformat()
    return body


def modify_order(
    key: str,
    service_id: str,
    party: Party,
    description: str,
    characteristics: Mapping[str, WireValue] | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    """A TMF641 ServiceOrder_Create modifying one service: new values and/or a state (active, inactive)."""
    service: dict[str, Any] = {"id": service_id}
    if characteristics:
        service["serviceCharacteristic"] = _characteristic_list(characteristics)
    if state is not None:
        service["state"] = state
    return {
        "externalId": key,
        "description": description[:2000],
        "category": "bss",
        "relatedParty": party.related(),
        "serviceOrderItem": [{"id": "1", "action": "modify", "service": service}],
    }


def delete_order(key: str, service_id: str, party: Party, description: str) -> dict[str, Any]:
    return {
        "externalId": key,
        "description": description[:2000],
        "category": "bss",
        "relatedParty": party.related(),
        "serviceOrderItem": [{"id": "1", "action": "delete", "service": {"id": service_id}}],
    }


def parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ServiceOrderView:
    """What the bridge reads of a TMF641 ServiceOrder."""

    id: str
    external_id: str | None
    state: str
    completed_at: datetime | None
    service_ids: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def final(self) -> bool:
        return self.state in FINAL_ORDER_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "completed"

    def reason(self) -> str:
        text = "; ".join(self.errors) or f"the service order {self.id} ended {self.state}"
        return text[:1000]


def _messages(entries: Any) -> list[str]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            text = entry.get("message") or entry.get("reason") or entry.get("code")
            where = entry.get("referenceError")
            if text:
                found.append(f"{where}: {text}" if where and str(where) not in str(text) else str(text))
    return found


def service_order_view(body: Mapping[str, Any]) -> ServiceOrderView:
    """A TMF641 ServiceOrder as the OSS answers or its hub sends it."""
    items = [i for i in body.get("serviceOrderItem") or [] if isinstance(i, Mapping)]
    services = [
        str(i["service"]["id"]) for i in items if isinstance(i.get("service"), Mapping) and i["service"].get("id")
    ]
    errors = _messages(body.get("errorMessage"))
    for item in items:
        errors += [e for e in _messages(item.get("errorMessage")) if e not in errors]
    return ServiceOrderView(
        str(body["id"]),
        body.get("externalId"),
        str(body.get("state", "")),
        parse_instant(body.get("completionDate")),
        tuple(services),
        tuple(errors),
    )


def network_state(status: str) -> str | None:
    """The TMF638 state a subscription's TMF637 status asks of its service; None: none to ask."""
    return {"active": "active", "suspended": "inactive"}.get(status)


def backoff_s(attempts: int, base_s: float, cap_s: float) -> float:
    """Seconds before the next attempt after ``attempts`` failures: doubling from ``base_s``, capped."""
    return float(min(cap_s, base_s * 2 ** min(max(attempts - 1, 0), 30)))


@dataclass(frozen=True, slots=True)
class AlarmView:
    """What the bridge reads of a TMF642 Alarm: its id (the OSS's number), whether it is still on,
    the resource it is on, its root cause when it is a symptom, and when it was raised, changed
    and cleared."""

    id: str
    active: bool
    alarmed_object: str
    alarm_type: str
    severity: str
    problem: str
    root: str | None
    raised_at: datetime
    changed_at: datetime
    cleared_at: datetime | None

    @property
    def group(self) -> str:
        """The alarm a ticket is keyed by: the root cause when this one is a symptom."""
        return self.root or self.id


def alarm_view(body: Mapping[str, Any]) -> AlarmView:
    parents = [p for p in body.get("parentAlarm") or [] if isinstance(p, Mapping) and p.get("id") is not None]
    raised = parse_instant(body.get("alarmRaisedTime")) or datetime.now(UTC)
    cleared = parse_instant(body.get("alarmClearedTime"))
    obj = body.get("alarmedObject")
    return AlarmView(
        str(body["id"]),
        body.get("state") != "cleared" and cleared is None,
        str(obj.get("id", "")) if isinstance(obj, Mapping) else "",
        str(body.get("alarmType", "")),
        str(body.get("perceivedSeverity", "")),
        str(body.get("specificProblem") or body.get("probableCause") or ""),
        str(parents[0]["id"]) if parents else None,
        raised,
        parse_instant(body.get("alarmChangedTime")) or raised,
        cleared,
    )


def incident_key(alarm_id: str, customer_id: str) -> str:
    """A ticket's external key: the alarm that opened it and the customer it is for."""
    return f"alarm-{alarm_id}:{customer_id}"


def outage_id(incident: str, subscription_id: str) -> str:
    """The SLA outage of one subscription in an incident (idempotent on it)."""
    return f"{incident}/{subscription_id}"


def newest(views: Sequence[AlarmView]) -> AlarmView:
    """The latest state of one alarm among several (a hub may repeat an old one)."""
    return max(views, key=lambda v: (v.changed_at, not v.active))
