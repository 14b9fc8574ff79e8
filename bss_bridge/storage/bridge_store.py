"""The bridge's progress in the BSS's database: short transactions, each safe to repeat.

Every write here is keyed by the id the message carries (an event's ``eventId``, a request's
``externalId``, an incident's key), so doing it twice leaves one row: a restart after a crash at
any point redoes what was not recorded, and what was recorded is not done again.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bss_bridge.storage.bridge_tables import (
    BridgeInboxRow,
    BridgeListenerRow,
    BridgeRequestRow,
    BridgeServiceRow,
    BridgeStateRow,
)

PENDING, SENT, DONE = "pending", "sent", "done"


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    source: str
    event_id: str
    event_type: str
    body: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class Request:
    key: str
    kind: str
    product_order_id: str | None
    item_id: str | None
    subscription_id: str | None
    body: dict[str, Any]
    state: str
    service_order_id: str | None
    outcome: str | None
    attempts: int
    created_at: datetime
    done_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewRequest:
    key: str
    kind: str
    body: dict[str, Any]
    product_order_id: str | None = None
    item_id: str | None = None
    subscription_id: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    subscription_id: str
    service_id: str
    customer_id: str
    service_spec: str
    network_state: str
    generation: int


def _request(row: BridgeRequestRow) -> Request:
    return Request(
        row.key,
        row.kind,
        row.product_order_id,
        row.item_id,
        row.subscription_id,
        dict(row.body),
        row.state,
        row.service_order_id,
        row.outcome,
        row.attempts,
        row.created_at,
        row.done_at,
    )


def _link(row: BridgeServiceRow) -> Link:
    return Link(
        row.subscription_id, row.service_id, row.customer_id, row.service_spec, row.network_state, row.generation
    )


class BridgeStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    # -- inbox: hub notifications, unique per source and eventId, handled in arrival order ---------

    def receive(self, source: str, event_id: str, event_type: str, body: dict[str, Any], now: datetime) -> bool:
        """Keep a notification; False when it was received before (a repeat is dropped here)."""
        try:
            with self.session_factory() as session, session.begin():
                session.add(
                    BridgeInboxRow(
                        source=source,
                        event_id=event_id[:128],
                        event_type=event_type[:64],
                        body=body,
                        received_at=now,
                        attempts=0,
                    )
                )
        except IntegrityError:
            return False
        return True

    def inbox_due(self, source: str, now: datetime, limit: int = 100) -> list[InboxItem]:
        """The oldest unhandled notifications of ``source``, in order; none while the first one waits
        for its retry (a later one never overtakes it)."""
        with self.session_factory() as session:
            rows = list(
                session.scalars(
                    select(BridgeInboxRow)
                    .where(BridgeInboxRow.source == source, BridgeInboxRow.processed_at.is_(None))
                    .order_by(BridgeInboxRow.id)
                    .limit(limit)
                )
            )
        if rows and rows[0].next_attempt_at is not None and rows[0].next_attempt_at > now:
            return []
        return [InboxItem(r.id, r.source, r.event_id, r.event_type, dict(r.body), r.attempts) for r in rows]

    def inbox_done(self, ids: Iterable[int], now: datetime, error: str | None = None) -> None:
        """Handled (or, with ``error``, given up on and kept for an operator)."""
        with self.session_factory() as session, session.begin():
            session.execute(
                update(BridgeInboxRow)
                .where(BridgeInboxRow.id.in_(list(ids)))
                .values(processed_at=now, last_error=error)
            )

    def inbox_retry(self, row_id: int, error: str, retry_at: datetime) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                update(BridgeInboxRow)
                .where(BridgeInboxRow.id == row_id)
                .values(attempts=BridgeInboxRow.attempts + 1, next_attempt_at=retry_at, last_error=error[:2000])
            )

    def inbox_backlog(self) -> dict[str, int]:
        with self.session_factory() as session:
            rows = session.execute(
                select(BridgeInboxRow.source, func.count())
                .where(BridgeInboxRow.processed_at.is_(None))
                .group_by(BridgeInboxRow.source)
            )
            return {source: int(count) for source, count in rows}

    def inbox_failed(self) -> list[tuple[str, str, str]]:
        """Notifications given up on: (source, eventId, why)."""
        with self.session_factory() as session:
            rows = session.execute(
                select(BridgeInboxRow.source, BridgeInboxRow.event_id, BridgeInboxRow.last_error).where(
                    BridgeInboxRow.processed_at.is_not(None), BridgeInboxRow.last_error.is_not(None)
                )
            )
            return [(s, e, str(r)) for s, e, r in rows]

    def prune_inbox(self, before: datetime) -> int:
        with self.session_factory() as session, session.begin():
            result = session.execute(
                delete(BridgeInboxRow).where(
                    BridgeInboxRow.processed_at.is_not(None),
                    BridgeInboxRow.processed_at < before,
                    BridgeInboxRow.last_error.is_(None),
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # -- requests: the outbox towards the OSS, one TMF641 order per externalId ------------------

    def add_requests(self, requests: Iterable[NewRequest], now: datetime) -> list[str]:
        """Owe these orders to the OSS; a key owed before is left as it is. Returns the new keys."""
        added = []
        with self.session_factory() as session, session.begin():
            for new in requests:
                if session.get(BridgeRequestRow, new.key) is not None:
                    continue
                session.add(
                    BridgeRequestRow(
                        key=new.key,
                        kind=new.kind,
                        product_order_id=new.product_order_id,
                        item_id=new.item_id,
                        subscription_id=new.subscription_id,
                        body=new.body,
                        state=PENDING,
                        detail="",
                        attempts=0,
                        created_at=now,
                    )
                )
                added.append(new.key)
        return added

    def request(self, key: str) -> Request | None:
        with self.session_factory() as session:
            row = session.get(BridgeRequestRow, key)
            return None if row is None else _request(row)

    def request_of_order(self, service_order_id: str) -> Request | None:
        with self.session_factory() as session:
            row = session.scalars(
                select(BridgeRequestRow).where(BridgeRequestRow.service_order_id == service_order_id)
            ).first()
            return None if row is None else _request(row)

    def requests(
        self,
        *,
        states: Iterable[str] | None = None,
        order_id: str | None = None,
        subscription_id: str | None = None,
        kind: str | None = None,
    ) -> list[Request]:
        query = select(BridgeRequestRow).order_by(BridgeRequestRow.created_at, BridgeRequestRow.key)
        if states is not None:
            query = query.where(BridgeRequestRow.state.in_(list(states)))
        if order_id is not None:
            query = query.where(BridgeRequestRow.product_order_id == order_id)
        if subscription_id is not None:
            query = query.where(BridgeRequestRow.subscription_id == subscription_id)
        if kind is not None:
            query = query.where(BridgeRequestRow.kind == kind)
        with self.session_factory() as session:
            return [_request(r) for r in session.scalars(query)]

    def due(self, now: datetime, limit: int = 50) -> list[Request]:
        """Requests not yet accepted by the OSS whose back-off has passed, oldest first."""
        with self.session_factory() as session:
            rows = session.scalars(
                select(BridgeRequestRow)
                .where(
                    BridgeRequestRow.state == PENDING,
                    BridgeRequestRow.next_attempt_at.is_(None) | (BridgeRequestRow.next_attempt_at <= now),
                )
                .order_by(BridgeRequestRow.created_at, BridgeRequestRow.key)
                .limit(limit)
            )
            return [_request(r) for r in rows]

    def retry_request(self, key: str, error: str, retry_at: datetime) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                update(BridgeRequestRow)
                .where(BridgeRequestRow.key == key, BridgeRequestRow.state == PENDING)
                .values(attempts=BridgeRequestRow.attempts + 1, next_attempt_at=retry_at, last_error=error[:2000])
            )

    def sent(self, key: str, service_order_id: str, now: datetime) -> None:
        """The OSS has the order (under this id): from now on its outcome is awaited, not sent again."""
        with self.session_factory() as session, session.begin():
            session.execute(
                update(BridgeRequestRow)
                .where(BridgeRequestRow.key == key, BridgeRequestRow.state == PENDING)
                .values(
                    state=SENT,
                    service_order_id=service_order_id,
                    sent_at=now,
                    attempts=BridgeRequestRow.attempts + 1,
                    last_error=None,
                )
            )

    def done(self, key: str, outcome: str, detail: str, now: datetime) -> None:
        """Its outcome has been applied to the BSS."""
        with self.session_factory() as session, session.begin():
            session.execute(
                update(BridgeRequestRow)
                .where(BridgeRequestRow.key == key, BridgeRequestRow.state != DONE)
                .values(state=DONE, outcome=outcome, detail=detail[:2000], done_at=now)
            )

    # -- which service realises which subscription --------------------------------------------

    def link(self, subscription_id: str) -> Link | None:
        with self.session_factory() as session:
            row = session.get(BridgeServiceRow, subscription_id)
            return None if row is None else _link(row)

    def links(self, *, states: Iterable[str] | None = None, service_ids: Iterable[str] | None = None) -> list[Link]:
        query = select(BridgeServiceRow).order_by(BridgeServiceRow.subscription_id)
        if states is not None:
            query = query.where(BridgeServiceRow.network_state.in_(list(states)))
        if service_ids is not None:
            query = query.where(BridgeServiceRow.service_id.in_(list(service_ids)))
        with self.session_factory() as session:
            return [_link(r) for r in session.scalars(query)]

    def set_link(
        self, subscription_id: str, service_id: str, customer_id: str, service_spec: str, state: str, now: datetime
    ) -> None:
        with self.session_factory() as session, session.begin():
            row = session.get(BridgeServiceRow, subscription_id)
            if row is None:
                session.add(
                    BridgeServiceRow(
                        subscription_id=subscription_id,
                        service_id=service_id,
                        customer_id=customer_id,
                        service_spec=service_spec,
                        network_state=state,
                        generation=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                row.service_id, row.network_state, row.updated_at = service_id, state, now

    def set_network_state(self, subscription_id: str, state: str, now: datetime) -> None:
        with self.session_factory() as session, session.begin():
            session.execute(
                update(BridgeServiceRow)
                .where(BridgeServiceRow.subscription_id == subscription_id)
                .values(network_state=state, updated_at=now)
            )

    def add_state_request(self, subscription_id: str, generation: int, request: NewRequest, now: datetime) -> bool:
        """Owe the OSS the ``generation``-th state change of a subscription; False if another process
        took that generation first (then nothing is added)."""
        with self.session_factory() as session, session.begin():
            taken = session.execute(
                update(BridgeServiceRow)
                .where(
                    BridgeServiceRow.subscription_id == subscription_id,
                    BridgeServiceRow.generation == generation - 1,
                )
                .values(generation=generation, updated_at=now)
            )
            if not getattr(taken, "rowcount", 0):
                return False
            session.add(
                BridgeRequestRow(
                    key=request.key,
                    kind=request.kind,
                    subscription_id=subscription_id,
                    body=request.body,
                    state=PENDING,
                    detail="",
                    attempts=0,
                    created_at=now,
                )
            )
        return True

    # -- registrations on the hubs, and small named values -------------------------------------

    def listener(self, name: str) -> BridgeListenerRow | None:
        with self.session_factory() as session:
            row = session.get(BridgeListenerRow, name)
            if row is not None:
                session.expunge(row)
            return row

    def save_listener(self, name: str, hub: str, callback: str, subscription_id: str, now: datetime) -> None:
        with self.session_factory() as session, session.begin():
            row = session.get(BridgeListenerRow, name)
            if row is None:
                session.add(
                    BridgeListenerRow(
                        name=name, hub=hub, callback=callback, subscription_id=subscription_id, registered_at=now
                    )
                )
            else:
                row.hub, row.callback, row.subscription_id, row.registered_at = hub, callback, subscription_id, now

    def listeners(self) -> list[tuple[str, str, str | None]]:
        with self.session_factory() as session:
            rows = session.scalars(select(BridgeListenerRow).order_by(BridgeListenerRow.name))
            return [(r.name, r.hub, r.subscription_id) for r in rows]

    def value(self, name: str) -> str | None:
        with self.session_factory() as session:
            row = session.get(BridgeStateRow, name)
            return None if row is None else row.value

    def set_value(self, name: str, value: str, now: datetime) -> None:
        with self.session_factory() as session, session.begin():
            row = session.get(BridgeStateRow, name)
            if row is None:
                session.add(BridgeStateRow(name=name, value=value, updated_at=now))
            else:
                row.value, row.updated_at = value, now

    def token(self, now: datetime) -> str:
        """The secret in the bridge's callback URLs (so only a hub it registered with can post to it)."""
        found = self.value("callback-token")
        if found is not None:
            return found
        try:
            with self.session_factory() as session, session.begin():
                session.add(BridgeStateRow(name="callback-token", value=secrets.token_urlsafe(24), updated_at=now))
        except IntegrityError:
            pass  # another process made it first
        found = self.value("callback-token")
        assert found is not None
        return found


def retry_at(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
