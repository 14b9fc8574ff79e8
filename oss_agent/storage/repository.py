"""Repositories: load domain aggregates from rows and write their state back at commit.

Each repository remembers the aggregates it handed out (``seen``), so the unit of work can write
them back and collect the events they recorded, without the domain knowing about the ORM.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from oss_agent.domain.alarm import Alarm, AlarmComment, AlarmState, AlarmType, Severity
from oss_agent.domain.events import Event
from oss_agent.domain.model import Device, Interface, Link, LinkEnd
from oss_agent.domain.service import Service
from oss_agent.domain.service_order import FINAL, ItemAction, OrderState, ServiceOrder, ServiceOrderItem
from oss_agent.storage.orm import (
    AlarmRow,
    DeviceRow,
    InterfaceRow,
    InventoryChangeRow,
    LinkRow,
    NeighborRow,
    ServiceOrderItemRow,
    ServiceOrderRow,
)
from oss_agent.storage.provisioning_tables import ServiceRow

A = TypeVar("A", Device, Alarm, ServiceOrder, Service)
R = TypeVar("R", DeviceRow, AlarmRow, ServiceOrderRow, ServiceRow)


def _now() -> datetime:
    return datetime.now(UTC)


class _Tracking(Generic[A, R]):
    def __init__(self, session: Session) -> None:
        self.session = session
        self._seen: dict[int, tuple[A, R]] = {}
        self._removed: list[A] = []

    def _track(self, aggregate: A, row: R) -> A:
        self._seen[id(row)] = (aggregate, row)
        return aggregate

    def _load(self, row: R) -> A:
        """The aggregate for ``row``: the same object for every lookup in this unit of work
        (an identity map), so two lookups never hold diverging copies of one row."""
        known = self._seen.get(id(row))
        if known is not None:
            return known[0]
        aggregate: A = self._to_domain(row)
        return self._track(aggregate, row)

    @staticmethod
    def _to_domain(row: Any) -> Any:
        raise NotImplementedError

    def seen(self) -> Iterator[A]:
        return (aggregate for aggregate, _ in self._seen.values())

    def collect_events(self) -> Iterator[Event]:
        for aggregate in [*self.seen(), *self._removed]:
            while aggregate.events:
                yield aggregate.events.pop(0)

    def write_back(self) -> None:
        for aggregate, row in self._seen.values():
            self._write(aggregate, row)

    def _write(self, aggregate: A, row: R) -> None:
        raise NotImplementedError


class DeviceRepository(_Tracking[Device, DeviceRow]):
    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._removed_resources: dict[str, tuple[str, ...]] = {}

    def add(self, device: Device) -> None:
        now = _now()
        row = DeviceRow(name=device.name, created_at=now, updated_at=now, interfaces=[])
        self._write(device, row)
        self.session.add(row)
        self._track(device, row)

    def get(self, name: str) -> Device | None:
        row = self.session.scalars(
            select(DeviceRow).where(DeviceRow.name == name).options(selectinload(DeviceRow.interfaces))
        ).one_or_none()
        return None if row is None else self._load(row)

    def list(self) -> list[Device]:
        rows = self.session.scalars(
            select(DeviceRow).order_by(DeviceRow.name).options(selectinload(DeviceRow.interfaces))
        )
        return [self._load(row) for row in rows]

    def observed(self, names: Iterable[str]) -> dict[str, tuple[bool | None, dict[str, tuple[str, bool]]]]:
        """What is stored of the named devices' state, without loading them: reachability, and each
        interface's (oper status, admin up). Two queries per 500 names."""
        wanted = sorted(set(names))
        found: dict[str, tuple[bool | None, dict[str, tuple[str, bool]]]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for name, reachable in self.session.execute(
                select(DeviceRow.name, DeviceRow.reachable).where(DeviceRow.name.in_(chunk))
            ):
                found[name] = (reachable, {})
            for name, interface, oper, admin in self.session.execute(
                select(DeviceRow.name, InterfaceRow.name, InterfaceRow.oper_status, InterfaceRow.admin_up)
                .join(InterfaceRow, InterfaceRow.device_id == DeviceRow.id)
                .where(DeviceRow.name.in_(chunk))
            ):
                found[name][1][interface] = (oper, admin)
        return found

    def get_many(self, names: Iterable[str]) -> dict[str, Device]:
        """The stored devices among ``names``, by name, in a query per 500 names."""
        wanted = sorted(set(names))
        found: dict[str, Device] = {}
        for start in range(0, len(wanted), 500):
            rows = self.session.scalars(
                select(DeviceRow)
                .where(DeviceRow.name.in_(wanted[start : start + 500]))
                .options(selectinload(DeviceRow.interfaces))
            )
            found.update((row.name, self._load(row)) for row in rows)
        return found

    def remove(self, name: str) -> None:
        for key, (device, row) in list(self._seen.items()):
            if device.name == name:
                del self._seen[key]
                self._removed.append(device)
                # what goes with it (the database cascades): known now, gone once the delete is flushed
                adjacencies = self.session.scalars(
                    select(NeighborRow).where(NeighborRow.device_id == row.id, NeighborRow.protocol != "lldp")
                )
                self._removed_resources[name] = (
                    *(f"{name}:{i}" for i in sorted(device.interfaces)),
                    *sorted(f"{name}|{n.protocol}|{n.neighbor_key}" for n in adjacencies),
                )
                self.session.delete(row)
                return
        self.session.execute(delete(DeviceRow).where(DeviceRow.name == name))

    def removed_resources(self, name: str) -> tuple[str, ...]:
        """The interfaces and adjacencies of a device removed in this unit of work (resource ids)."""
        return self._removed_resources.get(name, ())

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(DeviceRow)) or 0)

    @staticmethod
    def _to_domain(row: DeviceRow) -> Device:
        device = Device(
            row.name,
            row.host,
            row.platform,
            row.site,
            row.role,
            list(row.tags),
            row.vendor,
            row.model,
            row.os_version,
            row.serial,
            reachable=row.reachable,
            state_changed_at=row.state_changed_at,
        )
        for i in row.interfaces:
            device.interfaces[i.name] = Interface(
                i.name,
                i.if_index,
                i.description,
                i.if_type,
                i.speed_bps,
                i.mtu,
                i.mac,
                i.admin_up,
                i.oper_status,
                i.last_change,
            )
        return device

    def _write(self, device: Device, row: DeviceRow) -> None:
        fields: dict[str, Any] = {
            "host": device.host,
            "platform": device.platform,
            "site": device.site,
            "role": device.role,
            "tags": list(device.tags),
            "vendor": device.vendor,
            "model": device.model,
            "os_version": device.os_version,
            "serial": device.serial,
            "reachable": device.reachable,
            "state_changed_at": device.state_changed_at,
        }
        changed = False
        for key, value in fields.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        by_name = {i.name: i for i in row.interfaces}
        for name in set(by_name) - set(device.interfaces):
            row.interfaces.remove(by_name[name])
            changed = True
        for name, iface in device.interfaces.items():
            irow = by_name.get(name)
            if irow is None:
                irow = InterfaceRow(name=name)
                row.interfaces.append(irow)
            irow.if_index, irow.description, irow.if_type = iface.index, iface.description, iface.if_type
            irow.speed_bps, irow.mtu, irow.mac = iface.speed_bps, iface.mtu, iface.mac
            irow.admin_up, irow.oper_status, irow.last_change = iface.admin_up, iface.oper_status, iface.last_change
        if changed and row.updated_at is not None:
            row.updated_at = _now()


class AlarmRepository(_Tracking[Alarm, AlarmRow]):
    def add(self, alarm: Alarm) -> None:
        row = AlarmRow(id=alarm.id)
        self._write(alarm, row)
        self.session.add(row)
        self._track(alarm, row)

    def get(self, alarm_id: str) -> Alarm | None:
        row = self.session.get(AlarmRow, alarm_id)
        return None if row is None else self._load(row)

    def active(self, reduction_key: str) -> Alarm | None:
        """The one alarm still open for this fault, if any."""
        return self.active_many((reduction_key,)).get(reduction_key)

    def active_many(self, reduction_keys: Iterable[str]) -> dict[str, Alarm]:
        """The open alarm of each fault that has one (the latest raised), in a query per 500 faults."""
        keys = sorted(set(reduction_keys))
        found: dict[str, AlarmRow] = {}
        for start in range(0, len(keys), 500):
            rows = self.session.scalars(
                select(AlarmRow).where(
                    AlarmRow.reduction_key.in_(keys[start : start + 500]), AlarmRow.state != AlarmState.CLEARED.value
                )
            )
            for row in rows:
                best = found.get(row.reduction_key)
                if best is None or row.raised_at > best.raised_at:
                    found[row.reduction_key] = row
        return {key: self._load(row) for key, row in found.items()}

    def count_raised_since(self, reduction_key: str, since: datetime) -> int:
        """How many alarms for this fault were raised since ``since`` (flap detection)."""
        query = select(func.count()).where(AlarmRow.reduction_key == reduction_key, AlarmRow.raised_at >= since)
        return int(self.session.scalar(query) or 0)

    def roots_among(self, alarm_ids: Iterable[str]) -> set[str]:
        """Which of these alarms are the root cause of some other alarm."""
        query = select(AlarmRow.root_cause_id).where(AlarmRow.root_cause_id.in_(set(alarm_ids))).distinct()
        return {root for root in self.session.scalars(query) if root is not None}

    def list(self, *, active_only: bool = False, limit: int = 1000) -> list[Alarm]:
        query = select(AlarmRow).order_by(AlarmRow.raised_at.desc()).limit(limit)
        if active_only:
            query = query.where(AlarmRow.state != AlarmState.CLEARED.value)
        return [self._load(row) for row in self.session.scalars(query)]

    @staticmethod
    def _to_domain(row: AlarmRow) -> Alarm:
        return Alarm(
            id=row.id,
            reduction_key=row.reduction_key,
            managed_object=row.managed_object,
            alarm_type=AlarmType(row.alarm_type),
            probable_cause=row.probable_cause,
            severity=Severity(row.severity),
            raised_at=row.raised_at,
            changed_at=row.changed_at,
            specific_problem=row.specific_problem,
            state=AlarmState(row.state),
            cleared_at=row.cleared_at,
            acknowledged=row.acknowledged,
            ack_user=row.ack_user,
            ack_at=row.ack_at,
            repeat_count=row.repeat_count,
            root_cause_id=row.root_cause_id,
            affected_resources=list(row.affected_resources),
            flapping=row.flapping,
            occurrences_in_window=row.occurrences_in_window,
            cleared_severity=Severity(row.cleared_severity) if row.cleared_severity else None,
            comments=[AlarmComment(c["author"], c["text"], datetime.fromisoformat(c["at"])) for c in row.comments],
        )

    def _write(self, alarm: Alarm, row: AlarmRow) -> None:
        row.reduction_key, row.managed_object = alarm.reduction_key, alarm.managed_object
        row.alarm_type, row.probable_cause = alarm.alarm_type.value, alarm.probable_cause
        row.specific_problem, row.severity, row.state = alarm.specific_problem, alarm.severity.value, alarm.state.value
        row.raised_at, row.changed_at, row.cleared_at = alarm.raised_at, alarm.changed_at, alarm.cleared_at
        row.acknowledged, row.ack_user, row.ack_at = alarm.acknowledged, alarm.ack_user, alarm.ack_at
        row.repeat_count, row.root_cause_id = alarm.repeat_count, alarm.root_cause_id
        row.affected_resources = list(alarm.affected_resources)
        row.flapping, row.occurrences_in_window = alarm.flapping, alarm.occurrences_in_window
        row.cleared_severity = alarm.cleared_severity.value if alarm.cleared_severity else None
        row.comments = [{"author": c.author, "text": c.text, "at": c.at.isoformat()} for c in alarm.comments]


LAN_LOCK = 0x0551A4  # PostgreSQL's advisory lock key of the right to claim customer LANs


def _item(row: ServiceOrderItemRow) -> ServiceOrderItem:
    return ServiceOrderItem(
        row.item_id,
        ItemAction(row.action),
        row.service_spec,
        dict(row.characteristics),
        OrderState(row.state),
        service_id=row.service_id,
        service_name=row.service_name,
        depends_on=tuple(row.depends_on),
        target_state=row.target_state,
        error=row.error,
    )


class ServiceOrderRepository(_Tracking[ServiceOrder, ServiceOrderRow]):
    def add(self, order: ServiceOrder) -> None:
        row = ServiceOrderRow(id=order.id, items=[])
        self._write(order, row)
        self.session.add(row)
        self._track(order, row)

    def get(self, order_id: str, *, for_update: bool = False) -> ServiceOrder | None:
        """The order; with ``for_update`` its row is locked until the transaction ends (PostgreSQL)."""
        query = (
            select(ServiceOrderRow).where(ServiceOrderRow.id == order_id).options(selectinload(ServiceOrderRow.items))
        )
        row = self.session.scalars(query.with_for_update() if for_update else query).one_or_none()
        return None if row is None else self._load(row)

    def hold_lans(self) -> None:
        """Hold the right to claim customer LANs until the transaction ends. Accepting an order reads
        the LANs held (open orders', live services') and claims its own by being stored: two accepted
        at once would each read before the other is stored, and both claim one LAN. PostgreSQL: a
        transaction-level advisory lock (no one row stands for every LAN); the reads after it see
        what the previous holder committed (READ COMMITTED). SQLite: a write that changes nothing,
        which makes the transaction the database's one writer before it reads anything."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(LAN_LOCK)))
        else:
            nothing = update(ServiceOrderRow).where(ServiceOrderRow.id == "").values(state=ServiceOrderRow.state)
            self.session.execute(nothing)

    def open_items(self) -> builtins.list[tuple[str, ServiceOrderItem]]:
        """The items of every order not final, as (order id, item): the LANs those orders will hold.
        Read without tracking: the acceptance that reads them never writes them back."""
        query = (
            select(ServiceOrderItemRow)
            .join(ServiceOrderRow)
            .where(ServiceOrderRow.state.not_in([s.value for s in FINAL]))
            .order_by(ServiceOrderItemRow.order_id, ServiceOrderItemRow.position)
        )
        return [(row.order_id, _item(row)) for row in self.session.scalars(query)]

    def list(self, *, states: Iterable[str] = (), limit: int = 1000) -> list[ServiceOrder]:
        """Orders, newest first, optionally in some states only."""
        query = select(ServiceOrderRow).order_by(ServiceOrderRow.requested_at.desc()).limit(limit)
        wanted = list(states)
        if wanted:
            query = query.where(ServiceOrderRow.state.in_(wanted))
        rows = self.session.scalars(query.options(selectinload(ServiceOrderRow.items)))
        return [self._load(row) for row in rows]

    def worker(self, order_id: str) -> str | None:
        """The process that claimed the order (``host:pid:start``), if any."""
        row = self.session.get(ServiceOrderRow, order_id)
        return None if row is None else row.worker

    def journal(self, order_id: str) -> tuple[str | None, builtins.list[Any], dict[str, Any] | None]:
        """The activation decision recorded for an order (``commit`` or None), its check results and plan."""
        row = self.session.get(ServiceOrderRow, order_id)
        return (None, [], None) if row is None else (row.decision, list(row.checks), row.plan)

    def record(
        self,
        order_id: str,
        *,
        decision: str | None = None,
        checks: builtins.list[Any] | None = None,
        plan: dict[str, Any] | None = None,
        worker: str | None = None,
    ) -> None:
        row = self.session.get(ServiceOrderRow, order_id)
        if row is None:
            return
        if worker is not None:
            row.worker = worker
        if decision is not None:
            row.decision = decision
        if checks is not None:
            row.checks = checks
        if plan is not None:
            row.plan = plan

    @staticmethod
    def _to_domain(row: ServiceOrderRow) -> ServiceOrder:
        items = [_item(i) for i in row.items]
        return ServiceOrder(
            row.id,
            items,
            row.requested_at,
            row.external_id,
            row.description,
            OrderState(row.state),
            row.completed_at,
            requested_start=row.requested_start,
            started_at=row.started_at,
            commit_started_at=row.commit_started_at,
            category=row.category,
            priority=row.priority,
            related_party=list(row.related_party),
            errors=list(row.errors),
            cancellation_reason=row.cancellation_reason,
        )

    def _write(self, order: ServiceOrder, row: ServiceOrderRow) -> None:
        row.external_id, row.description, row.state = order.external_id, order.description, order.state.value
        row.requested_at, row.completed_at = order.requested_at, order.completed_at
        row.requested_start, row.started_at = order.requested_start, order.started_at
        row.commit_started_at, row.category, row.priority = order.commit_started_at, order.category, order.priority
        row.related_party, row.errors = list(order.related_party), list(order.errors)
        row.cancellation_reason = order.cancellation_reason
        if row.checks is None:
            row.checks = []
        by_id = {i.item_id: i for i in row.items}
        for position, item in enumerate(order.items):
            irow = by_id.get(item.item_id)
            if irow is None:
                irow = ServiceOrderItemRow(item_id=item.item_id)
                row.items.append(irow)
            irow.position, irow.action, irow.service_spec = position, item.action.value, item.service_spec
            irow.characteristics, irow.state = dict(item.characteristics), item.state.value
            irow.service_id, irow.service_name, irow.depends_on = (
                item.service_id,
                item.service_name,
                list(item.depends_on),
            )
            irow.target_state, irow.error = item.target_state, item.error


class LinkRepository:
    """Links are values, not aggregates: upserted by key, with first/last seen times."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert(self, link: Link, at: datetime) -> bool:
        """Store ``link``; True when it was not known before."""
        row = self.session.scalars(select(LinkRow).where(LinkRow.link_key == link.key)).one_or_none()
        if row is not None:
            row.last_seen = at
            return False
        self.session.add(
            LinkRow(
                link_key=link.key,
                a_device=link.a.device,
                a_interface=link.a.interface,
                b_device=link.b.device,
                b_interface=link.b.interface,
                source=link.source,
                first_seen=at,
                last_seen=at,
            )
        )
        return True

    def list(self) -> list[Link]:
        rows = self.session.scalars(select(LinkRow).order_by(LinkRow.link_key))
        return [Link(LinkEnd(r.a_device, r.a_interface), LinkEnd(r.b_device, r.b_interface), r.source) for r in rows]


class ChangeLog:
    """The resource inventory's history, one row per change event."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, device: str, kind: str, detail: dict[str, Any], at: datetime) -> None:
        self.session.add(InventoryChangeRow(device=device, kind=kind, detail=detail, at=at))

    def record_events(self, events: Iterable[Event], at: datetime) -> int:
        """One row per event that names its device (``device``, or ``name`` for a device's own events);
        the event's other fields are the detail. Returns how many were recorded."""
        rows = []
        for event in events:
            fields = asdict(event)
            device = fields.get("device") or fields.get("name")
            if not device:
                continue
            detail = {k: v for k, v in fields.items() if k not in ("device", "name")}
            rows.append(InventoryChangeRow(device=str(device), kind=type(event).__name__, detail=detail, at=at))
        self.session.add_all(rows)
        return len(rows)

    def for_device(self, device: str) -> list[tuple[str, dict[str, Any], datetime]]:
        rows = self.session.scalars(
            select(InventoryChangeRow).where(InventoryChangeRow.device == device).order_by(InventoryChangeRow.id)
        )
        return [(r.kind, dict(r.detail), r.at) for r in rows]
