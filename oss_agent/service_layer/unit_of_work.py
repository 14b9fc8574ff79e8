"""The unit of work: one transaction, the repositories inside it, and the events it produced.

Leaving the ``with`` block without ``commit()`` rolls back, so a handler that fails half-way leaves
nothing behind. Events are collected from every aggregate the repositories handed out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.orm import Session, sessionmaker

from oss_agent.domain.events import Event
from oss_agent.storage.discovery_repository import ConfigRepository, DiscoveryRepository
from oss_agent.storage.hub_repository import Outbox
from oss_agent.storage.pool_repository import Allocations
from oss_agent.storage.provisioning_repository import (
    CancelRequests,
    ExternalIds,
    RenderingRepository,
    ResourceOrderRepository,
    ServiceRepository,
)
from oss_agent.storage.repository import (
    AlarmRepository,
    ChangeLog,
    DeviceRepository,
    LinkRepository,
    ServiceOrderRepository,
)
from oss_agent.storage.resource_outbox import ResourceOutbox
from oss_agent.storage.usage_repository import UsageRepository


class UnitOfWork(Protocol):
    devices: DeviceRepository
    alarms: AlarmRepository
    orders: ServiceOrderRepository
    links: LinkRepository
    changes: ChangeLog
    discovery: DiscoveryRepository
    configs: ConfigRepository
    services: ServiceRepository
    renderings: RenderingRepository
    resource_orders: ResourceOrderRepository
    external_ids: ExternalIds
    cancel_requests: CancelRequests
    allocations: Allocations
    usage: UsageRepository

    def __enter__(self) -> Self: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def collect_new_events(self) -> Iterator[Event]: ...


class SqlAlchemyUnitOfWork:
    """A unit of work over one SQLAlchemy session."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._pending: list[Event] = []

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        self.devices = DeviceRepository(self._session)
        self.alarms = AlarmRepository(self._session)
        self.orders = ServiceOrderRepository(self._session)
        self.links = LinkRepository(self._session)
        self.changes = ChangeLog(self._session)
        self.discovery = DiscoveryRepository(self._session)
        self.configs = ConfigRepository(self._session)
        self.outbox = Outbox(self._session)
        self.resource_outbox = ResourceOutbox(self._session)
        self.alarm_numbers = self.outbox.numbers
        self.services = ServiceRepository(self._session)
        self.renderings = RenderingRepository(self._session)
        self.resource_orders = ResourceOrderRepository(self._session)
        self.external_ids = ExternalIds(self._session)
        self.cancel_requests = CancelRequests(self._session)
        self.allocations = Allocations(self._session)
        self.usage = UsageRepository(self._session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            self.rollback()
        finally:
            self._session.close()

    @property
    def session(self) -> Session:
        assert self._session is not None, "use the unit of work inside a 'with' block"
        return self._session

    def commit(self) -> None:
        # New rows first: a flush emits UPDATEs before INSERTs, so an existing alarm marked as the
        # symptom of a root raised in this same change would otherwise refer to a row not yet there.
        self.session.flush()
        for repository in (self.devices, self.alarms, self.orders, self.services):
            repository.write_back()
        # Events are taken before the commit so a handler never sees an event whose
        # aggregate was not stored; they are released only after it succeeds.
        device_events = list(self.devices.collect_events())
        taken = [
            *device_events,
            *self.alarms.collect_events(),
            *self.orders.collect_events(),
            *self.services.collect_events(),
        ]
        # The inventory history, in the same transaction as the change it tells of.
        self.changes.record_events(device_events, datetime.now(UTC))
        # The transactional outbox: alarm, resource, order and service events are stored for their hubs
        # in this same transaction.
        self.outbox.record(taken, self.alarms.get)
        self.resource_outbox.record(device_events, self.devices.removed_resources)
        self.outbox.record_provisioning(taken, self.orders.get, self.services.get)
        self.session.commit()
        self._pending.extend(taken)

    def rollback(self) -> None:
        self.session.rollback()

    def collect_new_events(self) -> Iterator[Event]:
        while self._pending:
            yield self._pending.pop(0)
