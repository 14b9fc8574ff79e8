"""The outbox and the alarm numbers, written inside the unit of work's transaction.

``Outbox.record`` is called by ``SqlAlchemyUnitOfWork.commit`` after the aggregates were written
back and before the session commits: the event rows and the alarm change succeed or fail together.
Rows hold our own vocabulary (domain event name, an alarm snapshot); what TMF calls them is the
hub's business (``oss_agent.fault.hub``), so storage stays free of any API.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oss_agent.domain.alarm import Alarm
from oss_agent.domain.events import (
    AlarmRaised,
    Event,
    ServiceAttributesChanged,
    ServiceCreated,
    ServiceOrderStateChanged,
    ServiceOrderSubmitted,
    ServiceStateChanged,
)
from oss_agent.domain.service import Service
from oss_agent.domain.service_order import ServiceOrder
from oss_agent.storage.hub_tables import AlarmNumberRow, HubOutboxRow
from oss_agent.storage.orm import AlarmRow

ALARM_API = "alarm"
ORDER_API = "serviceOrdering"
SERVICE_API = "serviceInventory"
# domain event -> the hub's event type
PROVISIONING_EVENTS: dict[type[Event], tuple[str, str]] = {
    ServiceOrderSubmitted: (ORDER_API, "ServiceOrderCreateEvent"),
    ServiceOrderStateChanged: (ORDER_API, "ServiceOrderStateChangeEvent"),
    ServiceCreated: (SERVICE_API, "ServiceCreateEvent"),
    ServiceStateChanged: (SERVICE_API, "ServiceStateChangeEvent"),
    ServiceAttributesChanged: (SERVICE_API, "ServiceAttributeValueChangeEvent"),
}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def alarm_snapshot(
    alarm: Alarm, number: int, root_number: int | None = None, symptom_numbers: Iterable[int] = ()
) -> dict[str, Any]:
    """The alarm as plain JSON, in our field names: what the outbox keeps and the API renders."""
    return {
        "id": alarm.id,
        "number": number,
        "reduction_key": alarm.reduction_key,
        "managed_object": alarm.managed_object,
        "alarm_type": alarm.alarm_type.value,
        "probable_cause": alarm.probable_cause,
        "specific_problem": alarm.specific_problem,
        "severity": alarm.severity.value,
        "state": alarm.state.value,
        "raised_at": _iso(alarm.raised_at),
        "changed_at": _iso(alarm.changed_at),
        "cleared_at": _iso(alarm.cleared_at),
        "acknowledged": alarm.acknowledged,
        "ack_user": alarm.ack_user,
        "ack_at": _iso(alarm.ack_at),
        "repeat_count": alarm.repeat_count,
        "root_cause_id": alarm.root_cause_id,
        "root_cause_number": root_number,
        "symptom_numbers": sorted(symptom_numbers),
        "affected_resources": list(alarm.affected_resources),
        "comments": [{"author": c.author, "text": c.text, "at": _iso(c.at)} for c in alarm.comments],
        "flapping": alarm.flapping,
        "occurrences_in_window": alarm.occurrences_in_window,
    }


def order_snapshot(order: ServiceOrder) -> dict[str, Any]:
    """The order as plain JSON in our field names (what the outbox keeps and the TMF641 view renders)."""
    return {
        "id": order.id,
        "external_id": order.external_id,
        "description": order.description,
        "state": order.state.value,
        "requested_at": _iso(order.requested_at),
        "requested_start": _iso(order.requested_start),
        "started_at": _iso(order.started_at),
        "completed_at": _iso(order.completed_at),
        "commit_started_at": _iso(order.commit_started_at),
        "category": order.category,
        "priority": order.priority,
        "related_party": list(order.related_party),
        "errors": list(order.errors),
        "cancellation_reason": order.cancellation_reason,
        "items": [
            {
                "id": i.item_id,
                "action": i.action.value,
                "spec": i.service_spec,
                "characteristics": dict(i.characteristics),
                "state": i.state.value,
                "service_id": i.service_id,
                "service_name": i.service_name,
                "depends_on": list(i.depends_on),
                "target_state": i.target_state,
                "error": i.error,
            }
            for i in order.items
        ],
    }


def service_snapshot(service: Service) -> dict[str, Any]:
    """The service as plain JSON in our field names (what the outbox keeps and the TMF638 view renders)."""
    return {
        "id": service.id,
        "name": service.name,
        "spec_id": service.spec_id,
        "state": service.state.value,
        "characteristics": dict(service.characteristics),
        "order_id": service.order_id,
        "order_item_id": service.order_item_id,
        "external_id": service.external_id,
        "related_party": list(service.related_party),
        "supporting_resources": list(service.supporting_resources),
        "in_sync": service.in_sync,
        "sync_detail": service.sync_detail,
        "checks": list(service.checks),
        "created_at": _iso(service.created_at),
        "updated_at": _iso(service.updated_at),
    }


class AlarmNumbers:
    """Stable integer ids for alarms, assigned once (TMF642 v4 types ``Alarm.id`` as an integer)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure(self, alarm_id: str) -> int:
        number = self.session.scalar(select(AlarmNumberRow.number).where(AlarmNumberRow.alarm_id == alarm_id))
        if number is not None:
            return number
        row = AlarmNumberRow(alarm_id=alarm_id)
        self.session.add(row)
        self.session.flush()
        return row.number

    def of(self, alarm_ids: Iterable[str]) -> dict[str, int]:
        wanted = list(set(alarm_ids))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(AlarmNumberRow.alarm_id, AlarmNumberRow.number).where(AlarmNumberRow.alarm_id.in_(wanted))
        )
        return {alarm_id: number for alarm_id, number in rows}

    def alarm_id(self, number: int) -> str | None:
        return self.session.scalar(select(AlarmNumberRow.alarm_id).where(AlarmNumberRow.number == number))

    def symptoms_of(self, alarm_id: str) -> list[int]:
        query = (
            select(AlarmNumberRow.number)
            .join(AlarmRow, AlarmRow.id == AlarmNumberRow.alarm_id)
            .where(AlarmRow.root_cause_id == alarm_id)
        )
        return list(self.session.scalars(query))


class Outbox:
    """Writes one outbox row per alarm event, in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.numbers = AlarmNumbers(session)

    def record(self, events: Iterable[Event], find_alarm: Callable[[str], Alarm | None]) -> int:
        """Add a row for each event that names an alarm (``alarm_id``); returns how many were added.

        Any alarm event counts, so events added to the domain later are published without a change here.
        """
        written = 0
        now = datetime.now(UTC)
        # Creations first (a stable sort keeps each alarm's own order): a change committed with them,
        # such as an older alarm becoming a symptom of a new root, never reaches a subscriber before
        # the alarm it refers to.
        for event in sorted(events, key=lambda e: not isinstance(e, AlarmRaised)):
            alarm_id = getattr(event, "alarm_id", None)
            if not isinstance(alarm_id, str):
                continue
            alarm = find_alarm(alarm_id)
            if alarm is None:
                continue
            if isinstance(event, AlarmRaised):
                self.session.flush()  # the alarm row must exist before its number refers to it
                self.session.add(AlarmNumberRow(alarm_id=alarm.id))
            # Numbers and correlations are resolved when the event is sent (``numbered``): two queries
            # fewer per event on the hot path, where a trap storm repeats alarms.
            snapshot = alarm_snapshot(alarm, 0)
            detail = {k: _plain(v) for k, v in asdict(event).items()}
            self.session.add(
                HubOutboxRow(
                    event_id=str(uuid.uuid4()),
                    api=ALARM_API,
                    event_type=type(event).__name__,
                    resource_id=alarm.id,
                    created_at=now,
                    payload={"alarm": snapshot, "detail": detail},
                    fanned_out=False,
                )
            )
            written += 1
        return written

    def record_provisioning(
        self,
        events: Iterable[Event],
        find_order: Callable[[str], ServiceOrder | None],
        find_service: Callable[[str], Service | None],
    ) -> int:
        return record_provisioning(self.session, events, find_order, find_service)


def record_provisioning(
    session: Session,
    events: Iterable[Event],
    find_order: Callable[[str], ServiceOrder | None],
    find_service: Callable[[str], Service | None],
) -> int:
    """Outbox rows for order and service events, each with the resource as committed."""
    written = 0
    now = datetime.now(UTC)
    for event in events:
        kind = PROVISIONING_EVENTS.get(type(event))
        if kind is None:
            continue
        api, event_type = kind
        payload: dict[str, Any]
        if api == ORDER_API:
            order = find_order(getattr(event, "order_id", ""))
            if order is None:
                continue
            resource_id, payload = order.id, {"order": order_snapshot(order)}
        else:
            service = find_service(getattr(event, "service_id", ""))
            if service is None:
                continue
            resource_id, payload = service.id, {"service": service_snapshot(service)}
        payload["detail"] = {k: _plain(v) for k, v in asdict(event).items()}
        session.add(
            HubOutboxRow(
                event_id=str(uuid.uuid4()),
                api=api,
                event_type=event_type,
                resource_id=resource_id,
                created_at=now,
                payload=payload,
                fanned_out=False,
            )
        )
        written += 1
    return written


def numbered(session: Session, snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot with its alarm's number, its root's and its symptoms' filled in from the database."""
    numbers = AlarmNumbers(session)
    root_id = snapshot["root_cause_id"]
    return {
        **snapshot,
        "number": numbers.ensure(snapshot["id"]),
        "root_cause_number": numbers.ensure(root_id) if root_id else None,
        "symptom_numbers": sorted(numbers.symptoms_of(snapshot["id"])),
    }
