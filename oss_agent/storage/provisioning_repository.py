"""Repositories of provisioning: services (an aggregate, tracked like the others), renderings,
resource orders (the activation journal), device leases and cancellation requests.

Pool allocations are in :mod:`oss_agent.storage.pool_repository`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from oss_agent.domain.resource_order import Phase
from oss_agent.domain.service import Service, ServiceState
from oss_agent.storage.provisioning_tables import (
    CancelRequestRow,
    DeviceLeaseRow,
    OrderExternalIdRow,
    ResourceOrderRow,
    ServiceRenderingRow,
    ServiceRow,
)
from oss_agent.storage.repository import _Tracking

ALLOCATION_ATTEMPTS = 50


def _now() -> datetime:
    return datetime.now(UTC)


class ServiceRepository(_Tracking[Service, ServiceRow]):
    def add(self, service: Service) -> None:
        row = ServiceRow(id=service.id)
        self._write(service, row)
        self.session.add(row)
        self._track(service, row)

    def get(self, service_id: str) -> Service | None:
        row = self.session.get(ServiceRow, service_id)
        return None if row is None else self._load(row)

    def list(self, *, states: Iterable[str] = (), limit: int = 10_000) -> list[Service]:
        query = select(ServiceRow).order_by(ServiceRow.created_at.desc()).limit(limit)
        wanted = list(states)
        if wanted:
            query = query.where(ServiceRow.state.in_(wanted))
        return [self._load(row) for row in self.session.scalars(query)]

    @staticmethod
    def _to_domain(row: ServiceRow) -> Service:
        return Service(
            id=row.id,
            name=row.name,
            spec_id=row.spec_id,
            state=ServiceState(row.state),
            characteristics=dict(row.characteristics),
            order_id=row.order_id,
            order_item_id=row.order_item_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            external_id=row.external_id,
            related_party=list(row.related_party),
            supporting_resources=tuple(row.supporting_resources),
            in_sync=row.in_sync,
            sync_detail=row.sync_detail,
            checks=list(row.checks),
        )

    def _write(self, service: Service, row: ServiceRow) -> None:
        row.name, row.spec_id, row.state = service.name, service.spec_id, service.state.value
        row.characteristics, row.order_id = dict(service.characteristics), service.order_id
        row.order_item_id, row.external_id = service.order_item_id, service.external_id
        row.related_party, row.supporting_resources = list(service.related_party), list(service.supporting_resources)
        row.in_sync, row.sync_detail, row.checks = service.in_sync, service.sync_detail, list(service.checks)
        row.created_at, row.updated_at = service.created_at, service.updated_at


@dataclass(frozen=True, slots=True)
class Rendering:
    service_id: str
    device: str
    part: str  # "cli" or "netconf"
    text: str
    preexisting: tuple[Any, ...]


class RenderingRepository:
    """What each service rendered on each device."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_service(self, service_id: str) -> list[Rendering]:
        rows = self.session.scalars(select(ServiceRenderingRow).where(ServiceRenderingRow.service_id == service_id))
        return [_rendering(r) for r in rows]

    def on_device(self, device: str, *, live_only: bool = True, exclude: Iterable[str] = ()) -> list[Rendering]:
        """Every rendering on ``device`` (of live services), except those of the services in ``exclude``."""
        query = select(ServiceRenderingRow).where(ServiceRenderingRow.device == device)
        if live_only:
            live = select(ServiceRow.id).where(ServiceRow.state.in_([ServiceState.ACTIVE, ServiceState.INACTIVE]))
            query = query.where(ServiceRenderingRow.service_id.in_(live))
        skipped = set(exclude)
        return [_rendering(r) for r in self.session.scalars(query) if r.service_id not in skipped]

    def replace(self, service_id: str, renderings: Iterable[Rendering]) -> None:
        self.session.execute(delete(ServiceRenderingRow).where(ServiceRenderingRow.service_id == service_id))
        for r in renderings:
            self.session.add(
                ServiceRenderingRow(
                    service_id=service_id,
                    device=r.device,
                    part=r.part,
                    rendering=r.text,
                    preexisting=list(r.preexisting),
                )
            )


def _rendering(row: ServiceRenderingRow) -> Rendering:
    return Rendering(row.service_id, row.device, row.part, row.rendering, tuple(row.preexisting))


@dataclass
class ResourceOrder:
    """One device's part of a service order (a row of the journal, as plain data)."""

    id: str
    order_id: str
    device: str
    platform: str
    phase: Phase
    services: list[str]
    snapshot_cli: str | None = None
    snapshot_netconf: str | None = None
    change_cli: list[str] | None = None
    change_netconf: str | None = None
    target_cli: str | None = None
    target_netconf: str | None = None
    persist_id: str | None = None
    diff: str = ""
    error: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


_FIELDS = (
    "platform",
    "phase",
    "services",
    "snapshot_cli",
    "snapshot_netconf",
    "change_cli",
    "change_netconf",
    "target_cli",
    "target_netconf",
    "persist_id",
    "diff",
    "error",
)


class ResourceOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, ro: ResourceOrder) -> None:
        row = self.session.get(ResourceOrderRow, ro.id)
        now = _now()
        if row is None:
            row = ResourceOrderRow(id=ro.id, order_id=ro.order_id, device=ro.device, created_at=now)
            self.session.add(row)
        for name in _FIELDS:
            value = getattr(ro, name)
            if isinstance(value, Phase):
                value = value.value
            elif value is None and name in ("services", "change_cli", "diff"):
                value = "" if name == "diff" else []
            setattr(row, name, value)
        row.updated_at = now

    def set_phase(self, resource_order_id: str, phase: Phase, error: str | None = None) -> None:
        row = self.session.get(ResourceOrderRow, resource_order_id)
        if row is not None:
            row.phase, row.updated_at = phase.value, _now()
            if error is not None:
                row.error = error

    def of_order(self, order_id: str) -> list[ResourceOrder]:
        rows = self.session.scalars(
            select(ResourceOrderRow).where(ResourceOrderRow.order_id == order_id).order_by(ResourceOrderRow.device)
        )
        return [_resource_order(r) for r in rows]

    def get(self, resource_order_id: str) -> ResourceOrder | None:
        row = self.session.get(ResourceOrderRow, resource_order_id)
        return None if row is None else _resource_order(row)

    def list(self, limit: int = 10_000) -> list[ResourceOrder]:
        rows = self.session.scalars(select(ResourceOrderRow).order_by(ResourceOrderRow.created_at.desc()).limit(limit))
        return [_resource_order(r) for r in rows]


def _resource_order(row: ResourceOrderRow) -> ResourceOrder:
    return ResourceOrder(
        id=row.id,
        order_id=row.order_id,
        device=row.device,
        platform=row.platform,
        phase=Phase(row.phase),
        services=list(row.services),
        snapshot_cli=row.snapshot_cli,
        snapshot_netconf=row.snapshot_netconf,
        change_cli=list(row.change_cli),
        change_netconf=row.change_netconf,
        target_cli=row.target_cli,
        target_netconf=row.target_netconf,
        persist_id=row.persist_id,
        diff=row.diff,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class ExternalIds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def order_of(self, external_id: str) -> str | None:
        return self.session.scalar(
            select(OrderExternalIdRow.order_id).where(OrderExternalIdRow.external_id == external_id)
        )

    def claim(self, external_id: str, order_id: str) -> None:
        """Claim ``external_id`` for ``order_id``; the commit fails (IntegrityError) when another order has it."""
        self.session.add(OrderExternalIdRow(external_id=external_id, order_id=order_id))


class LeaseStore:
    """Devices held by the orders changing them, across processes; each call is its own transaction."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def acquire(self, order_id: str, devices: Iterable[str]) -> list[str]:
        """Take every device for ``order_id`` or none; the devices held by other orders when it fails."""
        wanted = sorted(set(devices))
        try:
            with self.session_factory() as session, session.begin():
                held = list(session.scalars(select(DeviceLeaseRow).where(DeviceLeaseRow.device.in_(wanted))))
                busy = [r.device for r in held if r.order_id != order_id]
                if busy:
                    return busy
                mine = {r.device for r in held}
                now = _now()
                for device in wanted:
                    if device not in mine:
                        session.add(DeviceLeaseRow(device=device, order_id=order_id, acquired_at=now))
        except (IntegrityError, OperationalError):
            return wanted  # someone took one between our read and our write: try again later
        return []

    def release(self, order_id: str) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(delete(DeviceLeaseRow).where(DeviceLeaseRow.order_id == order_id))

    def holders(self) -> dict[str, str]:
        with self.session_factory() as session:
            return {r.device: r.order_id for r in session.scalars(select(DeviceLeaseRow))}


class CancelRequests:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, order_id: str, state: str, reason: str, message: str, at: datetime) -> dict[str, Any]:
        row = CancelRequestRow(
            id=str(uuid.uuid4()),
            order_id=order_id,
            state=state,
            reason=reason,
            message=message,
            requested_at=at,
            effective_at=at if state == "done" else None,
        )
        self.session.add(row)
        return _cancel(row)

    def get(self, request_id: str) -> dict[str, Any] | None:
        row = self.session.get(CancelRequestRow, request_id)
        return None if row is None else _cancel(row)

    def list(self) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(CancelRequestRow).order_by(CancelRequestRow.requested_at.desc()))
        return [_cancel(r) for r in rows]


def _cancel(row: CancelRequestRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "order_id": row.order_id,
        "state": row.state,
        "reason": row.reason,
        "message": row.message,
        "requested_at": row.requested_at,
        "effective_at": row.effective_at,
    }
