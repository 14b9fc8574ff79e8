"""The outbox of resource events, written inside the unit of work's transaction.

``ResourceOutbox.record`` is called by ``SqlAlchemyUnitOfWork.commit`` with the device events of the
change being committed: a device, an interface or a routing adjacency created, changed, changed
state, or deleted. Each becomes one row per resource and kind of change (a discovery that changes
three facts of a device is one "changed" row naming the three), holding the resource's snapshot as
it is in this transaction. Rows hold our own vocabulary; what TMF639 calls them is the hub's
business (:mod:`oss_agent.fault.hub.tmf639`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from oss_agent.domain import events as ev
from oss_agent.domain.discovery import RUNNING, adjacency_id
from oss_agent.storage.hub_tables import HubOutboxRow
from oss_agent.storage.resource_view import resource_snapshots

RESOURCE_API = "resource"
CHANGES = ("created", "changed", "stateChanged", "deleted")  # also the order rows are written in


@dataclass
class _Pending:
    kind: str  # device, interface, adjacency
    name: str
    device: str
    changes: set[str] = field(default_factory=set)
    fields: list[str] = field(default_factory=list)


def _change(event: ev.Event) -> tuple[str, str, str, str, str, tuple[str, ...]] | None:
    """(resource id, kind, name, device, change, fields) for a device event; None for one about no resource."""
    match event:
        case ev.DeviceAdded(name=name):
            return name, "device", name, name, "created", ()
        case ev.DeviceUpdated(name=name, changed=changed):
            return name, "device", name, name, "changed", changed
        case ev.DeviceRemoved(name=name):
            return name, "device", name, name, "deleted", ()
        case ev.DeviceFactsChanged(device=device, field=fact):
            return device, "device", device, device, "changed", (fact,)
        case ev.DeviceReachabilityChanged(device=device):
            return device, "device", device, device, "stateChanged", ()
        case ev.ConfigurationVersioned(device=device, datastore=store):
            return device, "device", device, device, "changed", ("config_version" if store == RUNNING else "config",)
        case ev.ConfigurationDrifted(device=device) | ev.ConfigurationApproved(device=device):
            return device, "device", device, device, "changed", ("config_drift",)
    device, interface = getattr(event, "device", ""), getattr(event, "interface", None)
    if isinstance(event, ev.RoutingAdjacencyChanged):
        change = "created" if not event.old else ("deleted" if not event.new else "stateChanged")
        rid = adjacency_id(device, event.protocol, event.neighbor)
        return rid, "adjacency", f"{event.protocol.upper()} {event.neighbor}", device, change, ()
    if not isinstance(interface, str) or not interface:
        return None
    change, fields = {
        ev.InterfaceAppeared: ("created", ()),
        ev.InterfaceRemoved: ("deleted", ()),
        ev.InterfaceStatusChanged: ("stateChanged", ()),
        ev.InterfaceAdminStateChanged: ("stateChanged", ()),
        ev.InterfaceSpeedChanged: ("changed", ("speed_bps",)),
        ev.InterfaceAddressAdded: ("changed", ("addresses",)),
        ev.InterfaceAddressRemoved: ("changed", ("addresses",)),
        ev.LldpNeighborAppeared: ("changed", ("peers",)),
        ev.LldpNeighborLost: ("changed", ("peers",)),
    }.get(type(event), ("changed", tuple(getattr(event, "fields", ()))))
    return f"{device}:{interface}", "interface", interface, device, change, fields


class ResourceOutbox:
    """Writes the resource events of one commit, in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, events: Iterable[ev.Event], removed: Callable[[str], Iterable[str]]) -> int:
        """Add the rows for ``events``; ``removed(device)`` names the resources of a device removed in
        this transaction, which go with it. Returns how many rows were added."""
        pending: dict[str, _Pending] = {}
        for event in events:
            found = _change(event)
            if found is None:
                continue
            rid, kind, name, device, change, fields = found
            item = pending.setdefault(rid, _Pending(kind, name, device))
            item.changes.add(change)
            item.fields += [f for f in fields if f not in item.fields]
            if isinstance(event, ev.DeviceRemoved):
                for child in removed(device):
                    kind, child_name = ("interface", child.split(":", 1)[1]) if ":" in child else ("adjacency", child)
                    pending.setdefault(child, _Pending(kind, child_name, device)).changes.add("deleted")
        if not pending:
            return 0
        alive = {p.device for p in pending.values() if p.changes - {"deleted"}}
        snapshots = {s["id"]: s for s in resource_snapshots(self.session, alive)} if alive else {}
        now = datetime.now(UTC)
        written = 0
        for change in CHANGES:
            for rid, item in pending.items():
                if change not in _published(item.changes):
                    continue
                snapshot = snapshots.get(rid)
                if change == "deleted" or snapshot is None:
                    snapshot = {"kind": item.kind, "id": rid, "name": item.name, "device": item.device, "deleted": True}
                    if change != "deleted":
                        continue  # changed and then gone within this transaction: its deletion says it all
                self.session.add(
                    HubOutboxRow(
                        event_id=str(uuid.uuid4()),
                        api=RESOURCE_API,
                        event_type=change,
                        resource_id=rid,
                        created_at=now,
                        payload={"resource": snapshot, "fields": item.fields if change == "changed" else []},
                        fanned_out=False,
                    )
                )
                written += 1
        return written


def _published(changes: set[str]) -> set[str]:
    """A creation carries the resource as it is now, a deletion ends it: changes beside either add nothing."""
    if "deleted" in changes:
        return {"created", "deleted"} & changes
    if "created" in changes:
        return {"created"}
    return changes

