"""The unit of work: one transaction, the repositories inside it, and what it publishes.

Leaving the ``with`` block without ``commit()`` rolls back: a handler that fails half-way stores
nothing. ``commit`` writes every aggregate handed out back to its rows and, in the same
transaction, the TMF notifications its events make (the hubs' outbox); the domain events are
released to the bus only once the commit succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Self, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bss_bridge.domain.events import Event
from bss_bridge.hub import store as hub_store
from bss_bridge.hub.store import Published
from bss_bridge.storage.billing_repository import InvoiceRepository
from bss_bridge.storage.order_repository import CancelRequestRepository, OrderRepository, SubscriptionRepository
from bss_bridge.storage.repositories import (
    AccountRepository,
    CustomerRepository,
    OfferingRepository,
    Repository,
    SpecificationRepository,
)
from bss_bridge.storage.ticket_repository import TicketRepository

Publisher = Callable[[Event, "UnitOfWork"], Iterable[Published]]
T = TypeVar("T")


def judged_again(attempt: Callable[[], T]) -> T:
    """``attempt`` (a whole unit of work: look for the id, then insert), and once more when the
    database refused its insert: a request with the same id committed first, unseen by the look.
    The second attempt sees it and answers as a request sent after it would (the existing resource
    for the same content again, else the conflict naming it). A second refusal is raised."""
    try:
        return attempt()
    except IntegrityError:
        return attempt()


def publish_nothing(event: Event, uow: UnitOfWork) -> Iterable[Published]:
    return ()


class UnitOfWork:
    """A unit of work over one session at a time; ``with uow:`` may be entered again afterwards."""

    customers: CustomerRepository
    accounts: AccountRepository
    specifications: SpecificationRepository
    offerings: OfferingRepository
    orders: OrderRepository
    cancellations: CancelRequestRepository
    subscriptions: SubscriptionRepository
    invoices: InvoiceRepository
    tickets: TicketRepository

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        publisher: Publisher = publish_nothing,
        event_types: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._publisher = publisher
        self._event_types = event_types or {}
        self._session: Session | None = None
        self.released: list[Event] = []
        self._recorded: list[Event] = []

    def __enter__(self) -> Self:
        session = self._session = self._session_factory()
        self.customers = CustomerRepository(session)
        self.accounts = AccountRepository(session)
        self.specifications = SpecificationRepository(session)
        self.offerings = OfferingRepository(session)
        self.orders = OrderRepository(session)
        self.cancellations = CancelRequestRepository(session)
        self.subscriptions = SubscriptionRepository(session)
        self.invoices = InvoiceRepository(session)
        self.tickets = TicketRepository(session)
        self._recorded = []
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    @property
    def session(self) -> Session:
        assert self._session is not None, "use the unit of work inside a 'with' block"
        return self._session

    def reading_sessions(self) -> sessionmaker[Session] | None:
        """Sessions of their own, outside the unit of work's transaction, for reads on another thread
        (a bill run's read-ahead). None on an in-memory SQLite database, where each connection is a
        database of its own."""
        engine = self.session.get_bind().engine
        if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
            return None
        return self._session_factory

    def _repositories(self) -> tuple[Repository, ...]:  # type: ignore[type-arg]
        return (
            self.customers,
            self.accounts,
            self.specifications,
            self.offerings,
            self.orders,
            self.cancellations,
            self.subscriptions,
            self.tickets,
        )

    def commit(self) -> None:
        repositories = self._repositories()
        for repository in repositories:  # in foreign-key order: what is referred to is stored first
            repository.write_back()
            self.session.flush()
        self.invoices.write_back()
        self.session.flush()
        events = [event for repository in repositories for event in repository.collect_events()]
        events += [*self.invoices.collect_events(), *self._recorded]
        self._recorded = []
        published = [p for event in events for p in self._publisher(event, self)]
        hub_store.record(self.session, published, self._event_types)
        self.session.commit()
        self.released.extend(events)

    def record(self, event: Event) -> None:
        """An event of something that is not an aggregate of a repository (a payment), published at commit."""
        self._recorded.append(event)

    def take_released(self) -> list[Event]:
        released, self.released = self.released, []
        return released
