"""Handlers for discovery: one device's observation stored in one unit of work, and config approval.

Every change is recorded as a domain event on the device (so the bus publishes it and the change log
keeps it) and the new observation replaces the stored one in the same transaction: a failure stores
nothing and leaves the previous discovery intact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oss_agent.discovery.normalize import config_digest
from oss_agent.domain import commands, events
from oss_agent.domain.discovery import (
    DISCOVERED_TAG,
    FACT_FIELDS,
    RUNNING,
    ConfigText,
    FactsState,
    NeighborState,
    address_changes,
    adjacency_id,
    facts_changes,
    neighbor_changes,
)
from oss_agent.domain.errors import NotFoundError
from oss_agent.domain.model import Device, Link, LinkEnd
from oss_agent.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ConfigStatus:
    """One datastore after a discovery: its latest version, whether this discovery stored it, and
    whether it differs from the approved version (drift stays reported until someone approves)."""

    version: int
    changed: bool
    drifted: bool


@dataclass(frozen=True, slots=True)
class DiscoveryRecord:
    """What storing one device's discovery changed."""

    device: str
    changes: int
    configs: dict[str, ConfigStatus] = field(default_factory=dict)
    new_links: int = 0

    @property
    def config_version(self) -> int | None:
        """The native running configuration's latest version."""
        status = self.configs.get(RUNNING)
        return None if status is None else status.version

    @property
    def config_changed(self) -> bool:
        return any(s.changed for s in self.configs.values())

    @property
    def drifted(self) -> bool:
        return any(s.drifted for s in self.configs.values())


async def record_discovery(cmd: commands.RecordDiscovery, uow: UnitOfWork) -> DiscoveryRecord:
    origin = "crawl" if cmd.found_from else "inventory"
    with uow:
        device = uow.devices.get(cmd.device)
        if device is None and (cmd.spec is None or cmd.error is not None):
            if cmd.spec is None:
                raise NotFoundError(f"device {cmd.device!r} is not stored: sync the inventory first")
            uow.discovery.set_status(cmd.device, cmd.at, error=cmd.error, origin=origin, found_from=cmd.found_from)
            uow.commit()
            return DiscoveryRecord(cmd.device, 0)
        if device is None:
            assert cmd.spec is not None
            device = Device.from_spec(cmd.spec)
            if DISCOVERED_TAG not in device.tags:
                device.tags.append(DISCOVERED_TAG)
            device.events.append(events.DeviceAdded(device.name, device.platform))
            device.events.append(events.DeviceDiscovered(device.name, device.host, cmd.found_from or ""))
            uow.devices.add(device)
        before = len(device.events)
        device.observe_reachability(cmd.error is None, cmd.at)
        if cmd.error is None:
            _apply_facts(device, cmd.facts)
            if cmd.interfaces is not None:
                device.update_interfaces(list(cmd.interfaces), cmd.at)
            if cmd.addresses is not None:
                device.events.extend(address_changes(device.name, uow.discovery.addresses(device.name), cmd.addresses))
                uow.discovery.replace_addresses(device.name, cmd.addresses, cmd.at)
            new_links = 0
            for family, observed in (("lldp", cmd.lldp), ("routing", cmd.routing)):
                if observed is None:
                    continue
                old = [n for _, n in uow.discovery.neighbors(device.name) if n.family == family]
                if family == "routing":
                    observed = _keep_alarmed(device.name, old, observed, uow)
                device.events.extend(neighbor_changes(device.name, old, observed))
                uow.discovery.replace_neighbors(device.name, family, observed, cmd.at)
                if family == "lldp":
                    new_links = _update_links(device, observed, cmd.at, uow)
            configs = _version_configs(device, cmd, uow)
        else:
            new_links, configs = 0, {}
        uow.discovery.set_status(device.name, cmd.at, error=cmd.error, origin=origin, found_from=cmd.found_from)
        changes = len(device.events) - before
        uow.commit()
    return DiscoveryRecord(device.name, changes, configs, new_links)


def _apply_facts(device: Device, facts: FactsState | None) -> None:
    if facts is None:
        return
    old = FactsState(device.vendor, device.model, device.os_version, device.serial)
    device.events.extend(facts_changes(device.name, old, facts))
    for name in FACT_FIELDS:
        value = getattr(facts, name)
        if value:
            setattr(device, name, value)


def _keep_alarmed(
    device: str, old: list[NeighborState], observed: tuple[NeighborState, ...], uow: UnitOfWork
) -> tuple[NeighborState, ...]:
    """A dead OSPF neighbour leaves the device's table; while its alarm is open it stays, as down, so
    the alarm keeps pointing at a resource that exists. It goes once the alarm cleared."""
    seen = {(n.protocol, n.key) for n in observed}
    gone = {adjacency_id(device, n.protocol, n.key): n for n in old if (n.protocol, n.key) not in seen}
    alarmed = uow.alarms.active_many(gone) if gone else {}
    kept = tuple(
        NeighborState(n.protocol, n.neighbor, n.local_interface, "", n.remote_address, "down", False)
        for key, n in sorted(gone.items())
        if key in alarmed
    )
    return observed + kept


def _update_links(device: Device, neighbors: tuple[NeighborState, ...], at: datetime, uow: UnitOfWork) -> int:
    """LLDP peers become links; links from this device's ports that LLDP no longer sees are dropped."""
    seen: set[str] = set()
    added = 0
    for n in neighbors:
        if n.protocol != "lldp" or not n.local_interface or not n.remote_port or n.neighbor == device.name:
            continue
        link = Link.between(LinkEnd(device.name, n.local_interface), LinkEnd(n.neighbor, n.remote_port))
        seen.add(link.key)
        if uow.links.upsert(link, at):
            added += 1
            device.events.append(events.LinkDiscovered(link.key))
    stale = [
        link.key
        for link in uow.links.list()
        if link.source == "lldp" and link.touches(device.name) and link.key not in seen
    ]
    uow.discovery.forget_links(stale)
    return added


def _version_configs(device: Device, cmd: commands.RecordDiscovery, uow: UnitOfWork) -> dict[str, ConfigStatus]:
    """Every datastore read this time, and those read before: a datastore not read now keeps its state."""
    read = {c.datastore: c for c in cmd.configs}
    out: dict[str, ConfigStatus] = {}
    for datastore in sorted(set(read) | set(uow.configs.datastores(device.name))):
        status = _version_config(device, read.get(datastore), datastore, cmd.at, uow)
        if status is not None:
            out[datastore] = status
    return out


def _version_config(
    device: Device, config: ConfigText | None, datastore: str, at: datetime, uow: UnitOfWork
) -> ConfigStatus | None:
    """Store a new version only when the normalized text changed; the first version is the baseline.

    Drift is the latest version differing from the approved one, whether or not this read stored a
    version: a configuration changed out of band stays drifted on every discovery until approved."""
    latest = uow.configs.latest(device.name, datastore)
    changed = False
    if config is not None:
        digest = config_digest(config.text)
        if latest is None or latest.digest != digest:
            latest = uow.configs.add(device.name, config.text, digest, config.source, at, datastore)
            changed = True
            device.events.append(events.ConfigurationVersioned(device.name, latest.version, digest, datastore))
    if latest is None:
        return None
    approved = uow.configs.approved(device.name, datastore)
    if approved is None:
        latest.approved_at, latest.approved_by = at, "baseline"
        return ConfigStatus(latest.version, changed, False)
    drifted = approved.digest != latest.digest
    if drifted and changed:
        device.events.append(events.ConfigurationDrifted(device.name, latest.version, approved.version, datastore))
    return ConfigStatus(latest.version, changed, drifted)


async def approve_configuration(cmd: commands.ApproveConfiguration, uow: UnitOfWork) -> int:
    """Approve a version of one datastore; returns its number. Drift is measured against it from now on."""
    with uow:
        store = cmd.datastore
        row = (
            uow.configs.latest(cmd.device, store)
            if cmd.version is None
            else uow.configs.get(cmd.device, cmd.version, store)
        )
        if row is None:
            which = "any configuration" if cmd.version is None else f"configuration version {cmd.version}"
            raise NotFoundError(f"device {cmd.device!r} has no {which} in datastore {store!r}")
        row.approved_at, row.approved_by = cmd.at, cmd.user
        approved = events.ConfigurationApproved(cmd.device, row.version, cmd.user, store)
        device = uow.devices.get(cmd.device)
        if device is not None:
            device.events.append(approved)
        else:
            detail = {"version": row.version, "user": cmd.user, "datastore": store}
            uow.changes.record(cmd.device, "ConfigurationApproved", detail, cmd.at)
        version = row.version
        uow.commit()
    return version


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Awaitable[Any]]] = {
    commands.RecordDiscovery: record_discovery,
    commands.ApproveConfiguration: approve_configuration,
}
