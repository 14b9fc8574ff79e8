"""The hubs' database work. ``record`` runs inside the unit of work's transaction: an event and one
delivery per interested listener are stored with the change itself, so a change is never stored
without its event nor an event sent for a change that rolled back. The rest are short transactions
of their own, each safe to repeat: a delivery is marked only after its callback accepted it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bss_bridge.hub import query as hub_query
from bss_bridge.storage.bulk import bulk_insert
from bss_bridge.storage.tables import HubDeliveryRow, HubEventRow, HubListenerRow, table_of


@dataclass(frozen=True, slots=True)
class Published:
    """An event to publish on one API's hub: the TMF notification as it will be POSTed."""

    api: str
    event_type: str
    resource_id: str
    notification: dict[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.notification["eventId"])


@dataclass(frozen=True, slots=True)
class Listener:
    id: str
    api: str
    callback: str
    query: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Owed:
    delivery_id: int
    notification: dict[str, Any]


def _listener(row: HubListenerRow) -> Listener:
    return Listener(row.id, row.api, row.callback, row.query, row.created_at)


def record(session: Session, events: Iterable[Published], event_types: dict[str, frozenset[str]]) -> int:
    """Store ``events`` and what each listener is owed, in the caller's transaction, in their order.

    Rows go in by bulk inserts (``storage.bulk``: a bill run publishes one event per invoice); an event some listener
    wants is inserted on its own, for its id, after the ones before it."""
    listeners: dict[str, list[tuple[str, hub_query.Query]]] = {}
    waiting: list[dict[str, Any]] = []  # events no listener wants, not inserted yet
    count = 0
    for event in events:
        if event.api not in listeners:
            rows = session.scalars(select(HubListenerRow).where(HubListenerRow.api == event.api))
            listeners[event.api] = [(r.id, hub_query.parse(r.query, event_types.get(event.api, ()))) for r in rows]
        row = {
            "event_id": event.event_id,
            "api": event.api,
            "event_type": event.event_type,
            "resource_id": event.resource_id,
            "created_at": datetime.fromisoformat(event.notification["eventTime"]),
            "body": event.notification,
        }
        owed = [lid for lid, parsed in listeners[event.api] if hub_query.matches(parsed, event.notification)]
        count += 1
        if not owed:
            waiting.append(row)
            continue
        if waiting:
            bulk_insert(session, table_of(HubEventRow), waiting)
            waiting = []
        event_row = session.execute(insert(HubEventRow).returning(HubEventRow.id), row).scalar_one()
        deliveries = [{"event_id": event_row, "listener_id": lid, "attempts": 0} for lid in owed]
        session.execute(insert(table_of(HubDeliveryRow)), deliveries)
    if waiting:
        bulk_insert(session, table_of(HubEventRow), waiting)
    return count


class HubStore:
    def __init__(self, session_factory: sessionmaker[Session], event_types: dict[str, frozenset[str]]) -> None:
        self.session_factory = session_factory
        self.event_types = event_types

    def register(self, api: str, callback: str, query: str = "") -> Listener:
        hub_query.parse(query, self.event_types[api])  # refuse what could not be applied
        row = HubListenerRow(
            id=str(uuid.uuid4()), api=api, callback=callback, query=query, created_at=datetime.now(UTC), failures=0
        )
        with self.session_factory() as session, session.begin():
            session.add(row)
        return _listener(row)

    def unregister(self, api: str, listener_id: str) -> bool:
        with self.session_factory() as session, session.begin():
            row = session.get(HubListenerRow, listener_id)
            if row is None or row.api != api:
                return False
            session.delete(row)
            return True

    def listeners(self, api: str) -> list[Listener]:
        with self.session_factory() as session:
            rows = session.scalars(
                select(HubListenerRow).where(HubListenerRow.api == api).order_by(HubListenerRow.created_at)
            )
            return [_listener(r) for r in rows]

    def listener(self, api: str, listener_id: str) -> Listener | None:
        with self.session_factory() as session:
            row = session.get(HubListenerRow, listener_id)
            return None if row is None or row.api != api else _listener(row)

    def due(self, now: datetime) -> list[Listener]:
        """Listeners with something owed and no back-off in force."""
        with self.session_factory() as session:
            owed = select(HubDeliveryRow.listener_id).where(HubDeliveryRow.delivered_at.is_(None)).distinct()
            rows = session.scalars(
                select(HubListenerRow).where(
                    HubListenerRow.id.in_(owed),
                    HubListenerRow.next_attempt_at.is_(None) | (HubListenerRow.next_attempt_at <= now),
                )
            )
            return [_listener(r) for r in rows]

    def owed(self, listener_id: str, limit: int = 100) -> list[Owed]:
        """A listener's oldest undelivered notifications, in the order their changes committed."""
        with self.session_factory() as session:
            rows = session.execute(
                select(HubDeliveryRow.id, HubEventRow.body)
                .join(HubEventRow, HubEventRow.id == HubDeliveryRow.event_id)
                .where(HubDeliveryRow.listener_id == listener_id, HubDeliveryRow.delivered_at.is_(None))
                .order_by(HubDeliveryRow.event_id)
                .limit(limit)
            )
            return [Owed(delivery_id, body) for delivery_id, body in rows]

    def delivered(self, listener_id: str, delivery_ids: list[int], now: datetime) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                update(HubDeliveryRow)
                .where(HubDeliveryRow.id.in_(delivery_ids))
                .values(delivered_at=now, attempts=HubDeliveryRow.attempts + 1)
            )
            session.execute(
                update(HubListenerRow)
                .where(HubListenerRow.id == listener_id)
                .values(failures=0, next_attempt_at=None, last_error=None)
            )

    def failed(self, listener_id: str, delivery_id: int, error: str, retry_at: datetime) -> int:
        """Record a failed attempt; returns the listener's consecutive failures."""
        with self.session_factory() as session, session.begin():
            session.execute(
                update(HubDeliveryRow)
                .where(HubDeliveryRow.id == delivery_id)
                .values(attempts=HubDeliveryRow.attempts + 1)
            )
            session.execute(
                update(HubListenerRow)
                .where(HubListenerRow.id == listener_id)
                .values(failures=HubListenerRow.failures + 1, next_attempt_at=retry_at, last_error=error[:500])
            )
            return int(session.scalar(select(HubListenerRow.failures).where(HubListenerRow.id == listener_id)) or 0)

    def failures(self, listener_id: str) -> int:
        with self.session_factory() as session:
            return int(session.scalar(select(HubListenerRow.failures).where(HubListenerRow.id == listener_id)) or 0)

    def prune(self, before: datetime) -> int:
        """Forget events published before ``before`` that no listener is still owed; returns how many."""
        with self.session_factory() as session, session.begin():
            session.execute(
                delete(HubDeliveryRow).where(
                    HubDeliveryRow.delivered_at.is_not(None), HubDeliveryRow.delivered_at < before
                )
            )
            result = session.execute(
                delete(HubEventRow).where(
                    HubEventRow.created_at < before, HubEventRow.id.not_in(select(HubDeliveryRow.event_id))
                )
            )
            return int(cast(CursorResult[Any], result).rowcount or 0)

    def backlog(self) -> int:
        with self.session_factory() as session:
            return int(session.scalar(select(func.count()).where(HubDeliveryRow.delivered_at.is_(None))) or 0)

    def events(self, api: str | None = None) -> list[dict[str, Any]]:
        """Every stored notification, oldest first (for tests and the CLI)."""
        with self.session_factory() as session:
            query = select(HubEventRow.body).order_by(HubEventRow.id)
            if api is not None:
                query = query.where(HubEventRow.api == api)
            return list(session.scalars(query))
