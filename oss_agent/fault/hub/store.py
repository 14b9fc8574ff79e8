"""The hub's database work: subscriptions, fan-out of outbox rows, pending deliveries, back-off.

Short synchronous transactions, each safe to repeat: fan-out marks an outbox row only together with
the delivery rows it created, and a delivery is marked only after its callback accepted it, so a
restart resumes from the database alone.

One store serves one API's hub (:class:`HubApi`: its name in the outbox, how its ``query`` is read
and applied, how an outbox row becomes a notification); TMF642's is the default.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from oss_agent.fault.hub.tmf642 import envelope, parse_query, query_matches, render_alarm
from oss_agent.storage.hub_repository import ALARM_API, numbered
from oss_agent.storage.hub_tables import HubDeliveryRow, HubOutboxRow, HubSubscriptionRow


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    callback: str
    query: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Pending:
    """One delivery owed: the row to mark and the notification to POST."""

    delivery_id: int
    body: dict[str, Any]


def _subscription(row: HubSubscriptionRow) -> Subscription:
    return Subscription(row.id, row.callback, row.query, row.created_at)


class HubApi(Protocol):
    """What differs from one API's hub to another."""

    name: str

    def parse_query(self, query: str) -> Any: ...
    def matches(self, parsed: Any, body: dict[str, Any]) -> bool: ...
    def body(self, session: Session, row: HubOutboxRow, base_url: str) -> dict[str, Any]: ...


class AlarmHub:
    """TMF642: alarm notifications, numbered and correlated when sent."""

    name = ALARM_API

    def parse_query(self, query: str) -> Any:
        return parse_query(query)

    def matches(self, parsed: Any, body: dict[str, Any]) -> bool:
        return query_matches(parsed, body)

    def body(self, session: Session, row: HubOutboxRow, base_url: str) -> dict[str, Any]:
        alarm = render_alarm(numbered(session, row.payload["alarm"]), base_url)
        return envelope(row.event_id, row.created_at.isoformat(), row.event_type, alarm)


ALARM_HUB = AlarmHub()


class HubStore:
    def __init__(self, session_factory: sessionmaker[Session], base_url: str = "", hub: HubApi = ALARM_HUB) -> None:
        self.session_factory = session_factory
        self.base_url = base_url.rstrip("/")
        self.hub = hub

    def subscribe(self, callback: str, query: str = "") -> Subscription:
        self.hub.parse_query(query)  # refuse a query we could not apply
        row = HubSubscriptionRow(
            id=str(uuid.uuid4()),
            api=self.hub.name,
            callback=callback,
            query=query or "",
            created_at=datetime.now(UTC),
            failures=0,
        )
        with self.session_factory() as session, session.begin():
            session.add(row)
        return _subscription(row)

    def unsubscribe(self, subscription_id: str) -> bool:
        with self.session_factory() as session, session.begin():
            row = session.get(HubSubscriptionRow, subscription_id)
            if row is None or row.api != self.hub.name:
                return False
            session.delete(row)
            return True

    def subscriptions(self) -> list[Subscription]:
        with self.session_factory() as session:
            rows = session.scalars(
                select(HubSubscriptionRow)
                .where(HubSubscriptionRow.api == self.hub.name)
                .order_by(HubSubscriptionRow.created_at)
            )
            return [_subscription(r) for r in rows]

    def get(self, subscription_id: str) -> Subscription | None:
        with self.session_factory() as session:
            row = session.get(HubSubscriptionRow, subscription_id)
            return None if row is None or row.api != self.hub.name else _subscription(row)

    def _body(self, session: Session, row: HubOutboxRow) -> dict[str, Any]:
        return self.hub.body(session, row, self.base_url)

    def fan_out(self, limit: int = 500) -> int:
        """Turn new outbox rows into one delivery per matching subscription; returns rows handled.

        A subscription gets the events committed after it was created, filtered by its query.
        """
        with self.session_factory() as session, session.begin():
            rows = list(
                session.scalars(
                    select(HubOutboxRow)
                    .where(HubOutboxRow.fanned_out.is_(False), HubOutboxRow.api == self.hub.name)
                    .order_by(HubOutboxRow.id)
                    .limit(limit)
                )
            )
            if not rows:
                return 0
            subs = [
                (s, self.hub.parse_query(s.query))
                for s in session.scalars(select(HubSubscriptionRow).where(HubSubscriptionRow.api == self.hub.name))
            ]
            for row in rows:
                body = self._body(session, row) if subs else None
                for sub, parsed in subs:
                    if body is not None and sub.created_at <= row.created_at and self.hub.matches(parsed, body):
                        session.add(HubDeliveryRow(outbox_id=row.id, subscription_id=sub.id, attempts=0))
                row.fanned_out = True
            return len(rows)

    def due(self, now: datetime) -> list[Subscription]:
        """Subscriptions with something to deliver and no back-off in force."""
        with self.session_factory() as session:
            pending = select(HubDeliveryRow.subscription_id).where(HubDeliveryRow.delivered_at.is_(None)).distinct()
            rows = session.scalars(
                select(HubSubscriptionRow).where(
                    HubSubscriptionRow.api == self.hub.name,
                    HubSubscriptionRow.id.in_(pending),
                    (HubSubscriptionRow.next_attempt_at.is_(None)) | (HubSubscriptionRow.next_attempt_at <= now),
                )
            )
            return [_subscription(r) for r in rows]

    def pending(self, subscription_id: str, limit: int = 100) -> list[Pending]:
        """The oldest undelivered events of one subscription, in the order they were committed."""
        with self.session_factory() as session, session.begin():  # numbering may write
            rows = session.execute(
                select(HubDeliveryRow.id, HubOutboxRow)
                .join(HubOutboxRow, HubOutboxRow.id == HubDeliveryRow.outbox_id)
                .where(HubDeliveryRow.subscription_id == subscription_id, HubDeliveryRow.delivered_at.is_(None))
                .order_by(HubDeliveryRow.outbox_id)
                .limit(limit)
            )
            return [Pending(delivery_id, self._body(session, outbox)) for delivery_id, outbox in rows]

    def mark_delivered(self, subscription_id: str, delivery_ids: list[int], now: datetime) -> None:
        with self.session_factory() as session, session.begin():
            if delivery_ids:
                session.execute(
                    update(HubDeliveryRow)
                    .where(HubDeliveryRow.id.in_(delivery_ids))
                    .values(delivered_at=now, attempts=HubDeliveryRow.attempts + 1)
                )
            session.execute(
                update(HubSubscriptionRow)
                .where(HubSubscriptionRow.id == subscription_id)
                .values(failures=0, next_attempt_at=None, last_error=None)
            )

    def back_off(self, subscription_id: str, delivery_id: int, error: str, delay: timedelta, now: datetime) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                update(HubDeliveryRow)
                .where(HubDeliveryRow.id == delivery_id)
                .values(attempts=HubDeliveryRow.attempts + 1)
            )
            session.execute(
                update(HubSubscriptionRow)
                .where(HubSubscriptionRow.id == subscription_id)
                .values(failures=HubSubscriptionRow.failures + 1, next_attempt_at=now + delay, last_error=error[:500])
            )

    def failures(self, subscription_id: str) -> int:
        with self.session_factory() as session:
            return (
                session.scalar(select(HubSubscriptionRow.failures).where(HubSubscriptionRow.id == subscription_id)) or 0
            )

    def prune(self, before: datetime) -> tuple[int, int]:
        """Forget what was delivered before ``before``: those deliveries, then the outbox rows that no
        delivery still needs. Undelivered events stay, however old (a subscriber that is down gets them
        later); deleting its subscription drops them. Returns (deliveries, outbox rows) removed."""
        with self.session_factory() as session, session.begin():
            delivered = session.execute(
                delete(HubDeliveryRow).where(
                    HubDeliveryRow.delivered_at.is_not(None), HubDeliveryRow.delivered_at < before
                )
            )
            still_owed = select(HubDeliveryRow.outbox_id)
            published = session.execute(
                delete(HubOutboxRow).where(
                    HubOutboxRow.fanned_out.is_(True),
                    HubOutboxRow.created_at < before,
                    HubOutboxRow.id.not_in(still_owed),
                )
            )
            deliveries, rows = cast(CursorResult[Any], delivered).rowcount, cast(CursorResult[Any], published).rowcount
        return int(deliveries or 0), int(rows or 0)

    def backlog(self) -> int:
        """Deliveries not yet made plus outbox rows not yet fanned out (for tests and metrics)."""
        with self.session_factory() as session:
            owed = session.scalar(select(func.count()).where(HubDeliveryRow.delivered_at.is_(None))) or 0
            new = session.scalar(select(func.count()).where(HubOutboxRow.fanned_out.is_(False))) or 0
            return int(owed) + int(new)
