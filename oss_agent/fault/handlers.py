"""Applying fault signals: one unit of work per batch, so a storm of 10,000 traps is a handful of
transactions, not 10,000.

Rules applied here:
- deduplication: a signal for a fault with an open alarm updates it (repeat count) instead of
  raising another; level-triggered sources (polls) do not count repeats;
- clearing by correlation: a clear signal (linkUp, a poll that no longer sees the fault) clears the
  open alarm with the same reduction key;
- root cause: while a device is unreachable, alarms on its own objects and on its neighbours' links
  to it are marked as symptoms of that one alarm, whichever arrived first;
- flapping: a fault raised again and again within the flap window is marked as flapping;
- every signal, alarming or not (unknown traps too), is kept as a fault event;
- one signal never costs its neighbours: a batch the storage refuses is split in halves, each applied
  on its own, down to the one signal refused, which is dropped and counted (``BatchResult.dropped``).
  An unavailable database is not split (every part would fail the same way): it is raised.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from oss_agent.domain.alarm import Alarm
from oss_agent.domain.commands import Command, ProcessFaultSignals
from oss_agent.domain.fault import FaultSignal
from oss_agent.provisioning.failpoints import Failpoints
from oss_agent.service_layer import resource_state
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage.fault_tables import FaultEventRow

logger = logging.getLogger(__name__)
FLAP_WINDOW = timedelta(minutes=10)
FLAP_OCCURRENCES = 3
# Fault events go in through Core, not the ORM's bulk path, which does bookkeeping for every row.
_FAULT_EVENTS = cast(Table, FaultEventRow.__table__)
# The database itself is unavailable (gone, locked, pool exhausted): splitting the batch would only
# repeat the failure once per signal.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
_ERRORS_KEPT = 20


@dataclass
class BatchResult:
    signals: int = 0
    raised: int = 0
    updated: int = 0
    cleared: int = 0
    events: int = 0
    symptoms: int = 0
    dropped: int = 0  # signals the storage refused, each alone (the first errors kept in ``errors``)
    errors: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)  # managed objects whose alarm was raised or cleared

    def add(self, other: BatchResult) -> None:
        for counted in ("raised", "updated", "cleared", "events", "symptoms", "dropped"):
            setattr(self, counted, getattr(self, counted) + getattr(other, counted))
        self.errors += other.errors[: _ERRORS_KEPT - len(self.errors)]
        self.changed |= other.changed


def _device_of(managed_object: str) -> str:
    return managed_object.split(":", 1)[0].split("|", 1)[0]


class _Correlator:
    """Root-cause marking against the alarms open in this unit of work."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self.uow = uow
        self._active: dict[str, Alarm] | None = None
        self._neighbours: dict[str, set[str]] | None = None  # device -> "other:ifname" facing it

    def active(self) -> dict[str, Alarm]:
        if self._active is None:
            self._active = {a.reduction_key: a for a in self.uow.alarms.list(active_only=True, limit=100_000)}
        return self._active

    def neighbour_ports(self, device: str) -> set[str]:
        if self._neighbours is None:
            self._neighbours = {}
            for link in self.uow.links.list():
                self._neighbours.setdefault(link.a.device, set()).add(str(link.b))
                self._neighbours.setdefault(link.b.device, set()).add(str(link.a))
        return self._neighbours.get(device, set())

    def _symptom_of(self, alarm: Alarm, root: Alarm) -> bool:
        device = _device_of(root.managed_object)
        return alarm.id != root.id and (
            _device_of(alarm.managed_object) == device or alarm.managed_object in self.neighbour_ports(device)
        )

    def on_raised(self, alarm: Alarm) -> int:
        """Mark ``alarm`` as a symptom, or as the root of already-open symptoms; returns marks made."""
        marked = 0
        active = self.active()
        if alarm.reduction_key.endswith("|unreachable"):
            for other in active.values():
                if other.is_active and other.root_cause_id is None and self._symptom_of(other, alarm):
                    other.mark_symptom_of(alarm)
                    marked += 1
        else:
            for root in active.values():
                if root.is_active and root.reduction_key.endswith("|unreachable") and self._symptom_of(alarm, root):
                    alarm.mark_symptom_of(root)
                    marked += 1
                    break
        active[alarm.reduction_key] = alarm
        return marked

    def on_cleared(self, alarm: Alarm) -> None:
        self.active().pop(alarm.reduction_key, None)


class _Repeats:
    """Repeats of open alarms, applied once per alarm and batch: a storm of 5,000 traps on 200
    interfaces is 200 ``repeat`` calls carrying the counts, not 5,000. A key's repeats are applied
    before anything else happens to it (a clear), so the order of changes per alarm is kept."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[Alarm, FaultSignal, int]] = {}

    def add(self, alarm: Alarm, signal: FaultSignal) -> None:
        _, _, times = self._pending.get(signal.reduction_key, (alarm, signal, 0))
        self._pending[signal.reduction_key] = (alarm, signal, times + 1)

    def apply(self, key: str) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            alarm, last, times = pending
            assert last.spec is not None
            alarm.repeat(last.spec, last.at, times)

    def apply_all(self) -> None:
        for key in list(self._pending):
            self.apply(key)


async def process_fault_signals(
    cmd: ProcessFaultSignals, uow: SqlAlchemyUnitOfWork, failpoints: Failpoints | None = None
) -> BatchResult:
    result = BatchResult(signals=len(cmd.signals))
    _apply_or_split(cmd.signals, uow, result)
    if failpoints is not None and failpoints.armed:  # committed, hub events owed (see ``Failpoints``)
        for managed_object in sorted(result.changed):
            await failpoints.reach(f"alarm-stored:{managed_object}")
    return result


def _apply_or_split(batch: Sequence[FaultSignal], uow: SqlAlchemyUnitOfWork, result: BatchResult) -> None:
    """Apply ``batch`` in one transaction; if it fails, each half on its own (in order), down to the
    signal that fails alone, which is dropped and counted."""
    try:
        result.add(_apply(batch, uow))
    except _UNAVAILABLE:
        raise
    except Exception as exc:
        if len(batch) > 1:
            half = len(batch) // 2
            _apply_or_split(batch[:half], uow, result)
            _apply_or_split(batch[half:], uow, result)
            return
        signal, said = batch[0], str(exc).splitlines()
        error = f"{signal.kind} from {signal.device}: {type(exc).__name__}: {said[0][:300] if said else ''}"
        result.dropped += 1
        if len(result.errors) < _ERRORS_KEPT:  # a batch of bad signals is not thousands of log lines
            result.errors.append(error)
            logger.warning("a fault signal could not be stored and was dropped alone (%s)", error)


def _apply(batch: Sequence[FaultSignal], uow: SqlAlchemyUnitOfWork) -> BatchResult:
    result = BatchResult(signals=len(batch))
    with uow:
        correlator = _Correlator(uow)
        repeats = _Repeats()
        keys = {signal.reduction_key for signal in batch if signal.reduction_key}
        found = uow.alarms.active_many(keys)  # one query for the batch, not one per fault
        open_alarms: dict[str, Alarm | None] = {key: found.get(key) for key in keys}
        rows: list[dict[str, Any]] = []
        for signal in batch:
            alarm_id = None
            if signal.reduction_key:
                alarm = open_alarms[signal.reduction_key]
                if signal.raised and signal.spec is not None:
                    if alarm is None:
                        alarm = _raise_new(uow, signal, correlator, result)
                        open_alarms[signal.reduction_key] = alarm
                        alarm_id = alarm.id
                    elif signal.count_repeat:
                        repeats.add(alarm, signal)
                        result.updated += 1
                        alarm_id = alarm.id
                elif alarm is not None:
                    repeats.apply(signal.reduction_key)
                    alarm.clear(signal.at)
                    correlator.on_cleared(alarm)
                    open_alarms[signal.reduction_key] = None
                    result.cleared += 1
                    result.changed.add(alarm.managed_object)
                    alarm_id = alarm.id
            rows.append(
                {
                    "at": signal.at,
                    "source": signal.source,
                    "device": signal.device,
                    "kind": signal.kind,
                    "detail": dict(signal.detail),
                    "alarm_id": alarm_id,
                }
            )
        repeats.apply_all()
        resource_state.apply_fault_signals(uow, batch)  # the resources' state commits with their alarms
        if rows:
            uow.session.execute(insert(_FAULT_EVENTS), rows)
            result.events = len(rows)
        uow.commit()
    return result


def _raise_new(uow: SqlAlchemyUnitOfWork, signal: FaultSignal, correlator: _Correlator, result: BatchResult) -> Alarm:
    assert signal.spec is not None
    alarm = Alarm.raise_new(signal.spec, signal.at)
    occurrences = uow.alarms.count_raised_since(signal.reduction_key, signal.at - FLAP_WINDOW) + 1
    if occurrences >= FLAP_OCCURRENCES:
        alarm.mark_flapping(occurrences)
    uow.alarms.add(alarm)
    result.symptoms += correlator.on_raised(alarm)
    result.raised += 1
    result.changed.add(alarm.managed_object)
    return alarm


COMMAND_HANDLERS: dict[type[Command], Callable[..., Awaitable[Any]]] = {ProcessFaultSignals: process_fault_signals}
