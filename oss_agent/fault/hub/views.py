"""Read models of the alarm list for the API and the CLI: snapshots with numbers and correlations.

One reader for both, so ``oss-agent alarms list`` and ``GET /alarm`` never disagree. Reads run in
their own session, apart from the bus's unit of work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from oss_agent.domain.alarm import Alarm
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage.hub_repository import AlarmNumbers, alarm_snapshot

MAX_ALARMS = 100_000


def _numbers(session_factory: sessionmaker[Session], alarms: list[Alarm]) -> dict[str, int]:
    with session_factory() as session:
        numbers = AlarmNumbers(session).of(a.id for a in alarms)
        missing = [a.id for a in alarms if a.id not in numbers]
        if missing:
            # Only alarms written without the unit of work lack a number; give them one now, in raise order.
            for alarm_id in missing:
                numbers[alarm_id] = AlarmNumbers(session).ensure(alarm_id)
            session.commit()
    return numbers


def alarm_snapshots(session_factory: sessionmaker[Session], *, active_only: bool = False) -> list[dict[str, Any]]:
    """Every alarm (newest first) as a snapshot with its number, its root's and its symptoms'."""
    uow = SqlAlchemyUnitOfWork(session_factory)
    with uow:
        alarms = list(reversed(uow.alarms.list(limit=MAX_ALARMS)))  # oldest first: numbers in raise order
    numbers = _numbers(session_factory, alarms)
    symptoms: dict[str, list[int]] = {}
    for alarm in alarms:
        if alarm.root_cause_id is not None:
            symptoms.setdefault(alarm.root_cause_id, []).append(numbers[alarm.id])
    out = [
        alarm_snapshot(
            alarm,
            numbers[alarm.id],
            numbers.get(alarm.root_cause_id) if alarm.root_cause_id else None,
            symptoms.get(alarm.id, ()),
        )
        for alarm in reversed(alarms)
        if not active_only or alarm.is_active
    ]
    return out


def resolve_alarm_id(session_factory: sessionmaker[Session], given: str) -> str | None:
    """Our alarm id for a TMF number (``12``) or an alarm UUID; None when there is no such alarm."""
    with session_factory() as session:
        if given.isdigit():
            return AlarmNumbers(session).alarm_id(int(given))
        uow_numbers = AlarmNumbers(session).of([given])
        if given in uow_numbers:
            return given
    uow = SqlAlchemyUnitOfWork(session_factory)
    with uow:
        return given if uow.alarms.get(given) is not None else None
