"""The resource inventory as plain JSON snapshots, in our own words: one reader for the TMF639 API and
the hub's outbox, so an answer and an event show a resource the same way.

A device's resources are the device, its interfaces and its routing adjacencies. Snapshots are built
for some devices (an event's) or all (a list) with the same few queries whatever their number.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from oss_agent.domain.discovery import RUNNING, AddressState, adjacency_id, facing_interface
from oss_agent.storage.orm import (
    ConfigVersionRow,
    DeviceRow,
    DiscoveryStatusRow,
    InterfaceAddressRow,
    LinkRow,
    NeighborRow,
)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


_Columns = TypeVarTuple("_Columns")


def _only(query: Select[*_Columns], column: Any, devices: Collection[str] | None) -> Select[*_Columns]:
    return query if devices is None else query.where(column.in_(list(devices)))


def _configs(session: Session, devices: Collection[str] | None) -> dict[str, dict[str, tuple[int, bool]]]:
    """device -> datastore -> (latest version, drifted from the approved one)."""
    key = (ConfigVersionRow.device, ConfigVersionRow.datastore)
    latest = _only(select(*key, func.max(ConfigVersionRow.version).label("v")), ConfigVersionRow.device, devices)
    approved = _only(
        select(*key, func.max(ConfigVersionRow.version).label("v")).where(ConfigVersionRow.approved_at.is_not(None)),
        ConfigVersionRow.device,
        devices,
    )
    digests: dict[str, dict[tuple[str, str], tuple[int, str]]] = {}
    for name, query in (("latest", latest), ("approved", approved)):
        sub = query.group_by(*key).subquery()
        rows = session.execute(
            select(*key, ConfigVersionRow.version, ConfigVersionRow.digest).join(
                sub,
                and_(
                    ConfigVersionRow.device == sub.c.device,
                    ConfigVersionRow.datastore == sub.c.datastore,
                    ConfigVersionRow.version == sub.c.v,
                ),
            )
        )
        digests[name] = {(d, s): (v, digest) for d, s, v, digest in rows}
    out: dict[str, dict[str, tuple[int, bool]]] = {}
    for (device, datastore), (version, digest) in digests["latest"].items():
        approved_digest = digests["approved"].get((device, datastore), (0, digest))[1]
        out.setdefault(device, {})[datastore] = (version, digest != approved_digest)
    return out


def resource_snapshots(session: Session, devices: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Every resource of ``devices`` (all when None), each device followed by its interfaces and its
    adjacencies, by name. Reads what the session sees, including its own unflushed changes."""
    session.flush()
    rows = session.scalars(
        _only(select(DeviceRow), DeviceRow.name, devices)
        .order_by(DeviceRow.name)
        .options(selectinload(DeviceRow.interfaces))
    ).all()
    scope = None if devices is None else [r.name for r in rows]  # every device: no IN list at all
    addresses: dict[str, list[AddressState]] = {}
    for device, interface, address in session.execute(
        _only(
            select(DeviceRow.name, InterfaceAddressRow.interface, InterfaceAddressRow.address).join(
                DeviceRow, DeviceRow.id == InterfaceAddressRow.device_id
            ),
            DeviceRow.name,
            scope,
        ).order_by(DeviceRow.name, InterfaceAddressRow.interface, InterfaceAddressRow.address)
    ):
        addresses.setdefault(device, []).append(AddressState(interface, address))
    peers: dict[str, list[str]] = {}
    link_query = select(LinkRow).order_by(LinkRow.link_key)
    if scope is not None:
        link_query = link_query.where(or_(LinkRow.a_device.in_(scope), LinkRow.b_device.in_(scope)))
    for link in session.scalars(link_query):
        a, b = f"{link.a_device}:{link.a_interface}", f"{link.b_device}:{link.b_interface}"
        peers.setdefault(a, []).append(b)
        peers.setdefault(b, []).append(a)
    adjacencies: dict[str, list[NeighborRow]] = {}
    for device, neighbour in session.execute(
        _only(
            select(DeviceRow.name, NeighborRow)
            .join(DeviceRow, DeviceRow.id == NeighborRow.device_id)
            .where(NeighborRow.protocol != "lldp"),
            DeviceRow.name,
            scope,
        ).order_by(DeviceRow.name, NeighborRow.protocol, NeighborRow.neighbor_key)
    ):
        adjacencies.setdefault(device, []).append(neighbour)
    statuses = {
        s.device: s for s in session.scalars(_only(select(DiscoveryStatusRow), DiscoveryStatusRow.device, scope))
    }
    configs = _configs(session, scope)
    out: list[dict[str, Any]] = []
    for row in rows:
        status = statuses.get(row.name)
        own = configs.get(row.name, {})
        held = addresses.get(row.name, [])
        interfaces = sorted(row.interfaces, key=lambda i: i.name)
        neighbours = adjacencies.get(row.name, [])
        out.append(
            {
                "kind": "device",
                "id": row.name,
                "name": row.name,
                "host": row.host,
                "platform": row.platform,
                "site": row.site,
                "role": row.role,
                "tags": list(row.tags),
                "vendor": row.vendor,
                "model": row.model,
                "os_version": row.os_version,
                "serial": row.serial,
                "reachable": row.reachable,
                "state_changed_at": _iso(row.state_changed_at),
                "last_error": None if status is None else status.last_error,
                "config_version": own[RUNNING][0] if RUNNING in own else None,
                "config_versions": {store: version for store, (version, _) in sorted(own.items())},
                "config_drift": sorted(store for store, (_, drifted) in own.items() if drifted),
                "interfaces": [i.name for i in interfaces],
                "adjacencies": [adjacency_id(row.name, n.protocol, n.neighbor_key) for n in neighbours],
            }
        )
        for i in interfaces:
            rid = f"{row.name}:{i.name}"
            out.append(
                {
                    "kind": "interface",
                    "id": rid,
                    "device": row.name,
                    "name": i.name,
                    "index": i.if_index,
                    "description": i.description,
                    "if_type": i.if_type,
                    "speed_bps": i.speed_bps,
                    "mtu": i.mtu,
                    "mac": i.mac,
                    "admin_up": i.admin_up,
                    "oper_status": i.oper_status,
                    "last_change": _iso(i.last_change),
                    "addresses": [a.address for a in held if a.interface == i.name],
                    "peers": sorted(peers.get(rid, [])),
                }
            )
        for n in neighbours:
            out.append(
                {
                    "kind": "adjacency",
                    "id": adjacency_id(row.name, n.protocol, n.neighbor_key),
                    "device": row.name,
                    "protocol": n.protocol,
                    "neighbor": n.neighbor_key,
                    "state": n.state,
                    "is_up": n.is_up,
                    "local_interface": n.local_interface or facing_interface(n.neighbor_key, held),
                    "first_seen": _iso(n.first_seen),
                    "last_seen": _iso(n.last_seen),
                }
            )
    return out
