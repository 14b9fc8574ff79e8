"""The hubs' database work: subscriptions, fan-out of outbox rows, pending deliveries, back-off.

One store and one dispatcher serve every API's hub (TMF642 alarms, TMF639 resources): a subscription
belongs to one API and receives that API's events, rendered and filtered by the API's own rules
(:data:`APIS`). Short synchronous transactions, each safe to repeat: fan-out marks an outbox row only
together with the delivery rows it created, and a delivery is marked only after its callback accepted
it, so a restart resumes from the database alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from oss_agent.fault.hub import tmf639, tmf642
from oss_agent.storage.hub_repository import ALARM_API, numbered
from oss_agent.storage.hub_tables import HubDeliveryRow, HubOutboxRow, HubSubscriptionRow
from oss_agent.storage.resource_outbox import RESOURCE_API


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


@dataclass(frozen=True, slots=True)
class HubApi:
    """How one API's hub renders its outbox rows and applies its subscribers' queries."""

    render: Callable[[Session, HubOutboxRow, str], dict[str, Any]]
    parse_query: Callable[[str | None], dict[str, set[str]]]
    query_matches: Callable[[Mapping[str, set[str]], Mapping[str, Any]], bool]


def _alarm_event(session: Session, row: HubOutboxRow, base: str) -> dict[str, Any]:
    alarm = tmf642.render_alarm(numbered(session, row.payload["alarm"]), base)
    return tmf642.envelope(row.event_id, row.created_at.isoformat(), row.event_type, alarm)


def _resource_event(session: Session, row: HubOutboxRow, base: str) -> dict[str, Any]:
    resource = tmf639.render(row.payload["resource"], base)
    return tmf639.envelope(row.event_id, row.created_at.isoformat(), row.event_type, row.payload["fields"], resource)


APIS: dict[str, HubApi] = {
    ALARM_API: HubApi(_alarm_event, tmf642.parse_query, tmf642.query_matches),
    RESOURCE_API: HubApi(_resource_event, tmf639.parse_query, tmf639.query_matches),
}


class HubStore:
    def __init__(self, session_factory: sessionmaker[Session], base_url: str = "") -> None:
        self.session_factory = session_factory
        self.base_url = base_url.rstrip("/")

    def subscribe(self, callback: str, query: str = "", api: str = ALARM_API) -> Subscription:
        APIS[api].parse_query(query)  # refuse a query we could not apply
        row = HubSubscriptionRow(
            id=str(uuid.uuid4()),
            api=api,
            callback=callback,
            query=query or "",
            created_at=datetime.now(UTC),
            failures=0,
        )
        with self.session_factory() as session, session.begin():
            session.add(row)
        return _subscription(row)

    def unsubscribe(self, subscription_id: str, api: str = ALARM_API) -> bool:
        with self.session_factory() as session, session.begin():
            row = session.get(HubSubscriptionRow, subscription_id)
            if row is None or row.api != api:
                return False
            session.delete(row)
            return True

    def subscriptions(self, api: str = ALARM_API) -> list[Subscription]:
        with self.session_factory() as session:
            rows = session.scalars(
                select(HubSubscriptionRow)
                .where(HubSubscriptionRow.api == api)
                .order_by(HubSubscriptionRow.created_at)
            )
            return [_subscription(r) for r in rows]

    def get(self, subscription_id: str, api: str = ALARM_API) -> Subscription | None:
        with self.session_factory() as session:
            row = session.get(HubSubscriptionRow, subscription_id)
            return None if row is None or row.api != api else _subscription(row)

    def _body(self, session: Session, row: HubOutboxRow) -> dict[str, Any]:
        return APIS[row.api].render(session, row, self.base_url)

    def fan_out(self, limit: int = 500) -> int:
        """Turn new outbox rows into one delivery per matching subscription of their API; returns rows handled.

        A subscription gets its API's events committed after it was created, filtered by its query.
        """
        with self.session_factory() as session, session.begin():
            rows = list(
                session.scalars(
                    select(HubOutboxRow)
                    .where(HubOutboxRow.fanned_out.is_(False), HubOutboxRow.api.in_(list(APIS)))
                    .order_by(HubOutboxRow.id)
                    .limit(limit)
                )
            )
            if not rows:
                return 0
            subs: dict[str, list[tuple[HubSubscriptionRow, dict[str, set[str]]]]] = {}
            for sub in session.scalars(select(HubSubscriptionRow).where(HubSubscriptionRow.api.in_(list(APIS)))):
                subs.setdefault(sub.api, []).append((sub, APIS[sub.api].parse_query(sub.query)))
            for row in rows:
                listeners = subs.get(row.api, [])
                body = self._body(session, row) if listeners else None
                for sub, parsed in listeners:
                    matches = APIS[row.api].query_matches
                    if body is not None and sub.created_at <= row.created_at and matches(parsed, body):
                        session.add(HubDeliveryRow(outbox_id=row.id, subscription_id=sub.id, attempts=0))
                row.fanned_out = True
            return len(rows)

    def due(self, now: datetime) -> list[Subscription]:
        """Subscriptions with something to deliver and no back-off in force."""
        with self.session_factory() as session:
            pending = select(HubDeliveryRow.subscription_id).where(HubDeliveryRow.delivered_at.is_(None)).distinct()
            rows = session.scalars(
                select(HubSubscriptionRow).where(
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
