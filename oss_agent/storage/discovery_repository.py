"""Repositories for discovery: interface addresses, neighbours, discovery status, configuration versions.

Kept beside ``repository.py`` (not in it) so each module stays small; like ``LinkRepository`` these
hold values, not aggregates, so they write straight to the session the unit of work commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from oss_agent.domain.discovery import RUNNING, AddressState, NeighborState
from oss_agent.storage.orm import (
    ConfigVersionRow,
    DeviceRow,
    DiscoveryStatusRow,
    InterfaceAddressRow,
    LinkRow,
    NeighborRow,
)


class DiscoveryRepository:
    """The last discovery of each device: addresses, neighbours and the status of the last attempt.

    Stored as rows per item (not a blob) so the API can filter and join; the handler compares the
    previous rows with the new observation to record what changed.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def _device_id(self, device: str) -> int:
        self.session.flush()
        found = self.session.scalar(select(DeviceRow.id).where(DeviceRow.name == device))
        if found is None:
            raise LookupError(f"device {device!r} is not stored")
        return int(found)

    def addresses(self, device: str) -> list[AddressState]:
        rows = self.session.scalars(
            select(InterfaceAddressRow)
            .join(DeviceRow, DeviceRow.id == InterfaceAddressRow.device_id)
            .where(DeviceRow.name == device)
            .order_by(InterfaceAddressRow.interface, InterfaceAddressRow.address)
        )
        return [AddressState(r.interface, r.address) for r in rows]

    def all_addresses(self) -> dict[str, list[AddressState]]:
        rows = self.session.execute(
            select(DeviceRow.name, InterfaceAddressRow.interface, InterfaceAddressRow.address)
            .join(DeviceRow, DeviceRow.id == InterfaceAddressRow.device_id)
            .order_by(DeviceRow.name, InterfaceAddressRow.interface, InterfaceAddressRow.address)
        )
        found: dict[str, list[AddressState]] = {}
        for name, interface, address in rows:
            found.setdefault(name, []).append(AddressState(interface, address))
        return found

    def replace_addresses(self, device: str, addresses: Iterable[AddressState], at: datetime) -> None:
        device_id = self._device_id(device)
        wanted = set(addresses)
        rows = self.session.scalars(select(InterfaceAddressRow).where(InterfaceAddressRow.device_id == device_id))
        for row in rows:
            state = AddressState(row.interface, row.address)
            if state in wanted:
                wanted.discard(state)
            else:
                self.session.delete(row)
        for state in sorted(wanted, key=lambda a: (a.interface, a.address)):
            self.session.add(
                InterfaceAddressRow(
                    device_id=device_id, interface=state.interface, address=state.address, first_seen=at
                )
            )

    def neighbors(self, device: str | None = None) -> list[tuple[str, NeighborState]]:
        """(device, neighbour) pairs, for one device or all."""
        query = (
            select(DeviceRow.name, NeighborRow)
            .join(DeviceRow, DeviceRow.id == NeighborRow.device_id)
            .order_by(DeviceRow.name, NeighborRow.protocol, NeighborRow.neighbor_key)
        )
        if device is not None:
            query = query.where(DeviceRow.name == device)
        return [(name, _neighbor(row)) for name, row in self.session.execute(query)]

    def replace_neighbors(self, device: str, family: str, neighbors: Iterable[NeighborState], at: datetime) -> None:
        """Replace the device's neighbours of one family (``lldp`` or ``routing``), keeping first-seen times."""
        device_id = self._device_id(device)
        wanted = {(n.protocol, n.key): n for n in neighbors}
        for row in self.session.scalars(select(NeighborRow).where(NeighborRow.device_id == device_id)):
            if _neighbor(row).family != family:
                continue
            state = wanted.pop((row.protocol, row.neighbor_key), None)
            if state is None:
                self.session.delete(row)
                continue
            row.state, row.is_up, row.remote_address, row.last_seen = (
                state.state,
                state.is_up,
                state.remote_address,
                at,
            )
        for _, state in sorted(wanted.items()):
            self.session.add(_neighbor_row(device_id, state, at))

    def adjacency(self, device: str, protocol: str, neighbor: str) -> NeighborState | None:
        row = self._adjacency_row(device, protocol, neighbor)
        return None if row is None else _neighbor(row)

    def set_adjacency(self, device: str, state: NeighborState, at: datetime) -> None:
        """Store one routing adjacency's state as a poll or a trap saw it (added when not yet known)."""
        row = self._adjacency_row(device, state.protocol, state.key)
        if row is None:
            self.session.add(_neighbor_row(self._device_id(device), state, at))
            return
        row.state, row.is_up, row.last_seen = state.state, state.is_up, at

    def _adjacency_row(self, device: str, protocol: str, neighbor: str) -> NeighborRow | None:
        return self.session.scalars(
            select(NeighborRow)
            .join(DeviceRow, DeviceRow.id == NeighborRow.device_id)
            .where(DeviceRow.name == device, NeighborRow.protocol == protocol, NeighborRow.neighbor_key == neighbor)
        ).one_or_none()

    def forget_links(self, keys: Iterable[str]) -> int:
        """Drop links no longer seen (LinkRepository only ever adds)."""
        wanted = list(keys)
        if not wanted:
            return 0
        result = self.session.execute(delete(LinkRow).where(LinkRow.link_key.in_(wanted)))
        return int(getattr(result, "rowcount", 0) or 0)

    def set_status(
        self, device: str, at: datetime, *, error: str | None, origin: str = "inventory", found_from: str | None = None
    ) -> None:
        row = self.session.get(DiscoveryStatusRow, device)
        if row is None:
            row = DiscoveryStatusRow(device=device, origin=origin, last_attempt_at=at)
            self.session.add(row)
        row.origin, row.found_from, row.last_attempt_at, row.last_error = origin, found_from, at, error
        if error is None:
            row.last_success_at = at

    def statuses(self) -> dict[str, DiscoveryStatusRow]:
        return {row.device: row for row in self.session.scalars(select(DiscoveryStatusRow))}


def _neighbor_row(device_id: int, state: NeighborState, at: datetime) -> NeighborRow:
    return NeighborRow(
        device_id=device_id,
        protocol=state.protocol,
        neighbor_key=state.key,
        local_interface=state.local_interface,
        remote_name=state.neighbor,
        remote_port=state.remote_port,
        remote_address=state.remote_address,
        state=state.state,
        is_up=state.is_up,
        detail={},
        first_seen=at,
        last_seen=at,
    )


def _neighbor(row: NeighborRow) -> NeighborState:
    return NeighborState(
        row.protocol, row.remote_name, row.local_interface, row.remote_port, row.remote_address, row.state, row.is_up
    )


class ConfigRepository:
    """Versions of each device's configurations, numbered from 1 per device and datastore."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _of(self, device: str, datastore: str) -> Select[ConfigVersionRow]:
        return select(ConfigVersionRow).where(
            ConfigVersionRow.device == device, ConfigVersionRow.datastore == datastore
        )

    def latest(self, device: str, datastore: str = RUNNING) -> ConfigVersionRow | None:
        return self.session.scalars(
            self._of(device, datastore).order_by(ConfigVersionRow.version.desc()).limit(1)
        ).one_or_none()

    def approved(self, device: str, datastore: str = RUNNING) -> ConfigVersionRow | None:
        """The last approved version: the baseline drift is measured against."""
        return self.session.scalars(
            self._of(device, datastore)
            .where(ConfigVersionRow.approved_at.is_not(None))
            .order_by(ConfigVersionRow.version.desc())
            .limit(1)
        ).one_or_none()

    def get(self, device: str, version: int, datastore: str = RUNNING) -> ConfigVersionRow | None:
        return self.session.scalars(
            self._of(device, datastore).where(ConfigVersionRow.version == version)
        ).one_or_none()

    def versions(self, device: str, datastore: str = RUNNING) -> list[ConfigVersionRow]:
        return list(self.session.scalars(self._of(device, datastore).order_by(ConfigVersionRow.version)))

    def datastores(self, device: str) -> list[str]:
        """The datastores of ``device`` with at least one stored version."""
        query = select(ConfigVersionRow.datastore).where(ConfigVersionRow.device == device).distinct()
        return sorted(self.session.scalars(query))

    def add(
        self, device: str, content: str, digest: str, source: str, at: datetime, datastore: str = RUNNING
    ) -> ConfigVersionRow:
        latest = self.latest(device, datastore)
        row = ConfigVersionRow(
            device=device,
            datastore=datastore,
            version=1 if latest is None else latest.version + 1,
            content=content,
            digest=digest,
            source=source,
            collected_at=at,
        )
        self.session.add(row)
        return row
