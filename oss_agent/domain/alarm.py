"""Alarms after ITU-T X.733 and TMF642: one alarm per fault, found again by its reduction key.

A repeated fault updates the alarm (repeat count, severity) instead of raising a new one; a cleared
alarm is history and a new occurrence raises a new alarm. Symptoms point at their root cause.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from oss_agent.domain.errors import InvalidTransitionError
from oss_agent.domain.events import (
    AlarmAcknowledged,
    AlarmCleared,
    AlarmCommented,
    AlarmCorrelated,
    AlarmRaised,
    AlarmUnacknowledged,
    AlarmUncorrelated,
    AlarmUpdated,
    Event,
)


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INDETERMINATE = "indeterminate"
    CLEARED = "cleared"


class AlarmType(StrEnum):
    COMMUNICATIONS = "communicationsAlarm"
    QUALITY_OF_SERVICE = "qualityOfServiceAlarm"
    PROCESSING_ERROR = "processingErrorAlarm"
    EQUIPMENT = "equipmentAlarm"
    ENVIRONMENTAL = "environmentalAlarm"


class AlarmState(StrEnum):
    RAISED = "raised"
    UPDATED = "updated"
    CLEARED = "cleared"


@dataclass(frozen=True, slots=True)
class AlarmSpec:
    """What a source knows about a fault when it reports it."""

    reduction_key: str
    managed_object: str
    alarm_type: AlarmType
    probable_cause: str
    severity: Severity
    specific_problem: str = ""
    affected_resources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlarmComment:
    author: str
    text: str
    at: datetime


@dataclass
class Alarm:
    """One fault on one managed object, over its whole life."""

    id: str
    reduction_key: str
    managed_object: str
    alarm_type: AlarmType
    probable_cause: str
    severity: Severity
    raised_at: datetime
    changed_at: datetime
    specific_problem: str = ""
    state: AlarmState = AlarmState.RAISED
    cleared_at: datetime | None = None
    acknowledged: bool = False
    ack_user: str | None = None
    ack_at: datetime | None = None
    repeat_count: int = 0
    root_cause_id: str | None = None
    affected_resources: list[str] = field(default_factory=list)
    comments: list[AlarmComment] = field(default_factory=list)
    flapping: bool = False
    occurrences_in_window: int = 1
    # the severity the fault had when it cleared (``severity`` itself becomes ``cleared``): MTTR per severity
    cleared_severity: Severity | None = None
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def raise_new(cls, spec: AlarmSpec, at: datetime, alarm_id: str | None = None) -> Alarm:
        alarm = cls(
            id=alarm_id or str(uuid.uuid4()),
            reduction_key=spec.reduction_key,
            managed_object=spec.managed_object,
            alarm_type=spec.alarm_type,
            probable_cause=spec.probable_cause,
            severity=spec.severity,
            raised_at=at,
            changed_at=at,
            specific_problem=spec.specific_problem,
            affected_resources=list(spec.affected_resources),
        )
        alarm.events.append(AlarmRaised(alarm.id, alarm.reduction_key, alarm.severity.value))
        return alarm

    @property
    def is_active(self) -> bool:
        return self.state is not AlarmState.CLEARED

    def repeat(self, spec: AlarmSpec, at: datetime, times: int = 1) -> None:
        """The same fault was reported again (``times`` times, the last with ``spec`` at ``at``)."""
        if not self.is_active:
            raise InvalidTransitionError(f"alarm {self.id} is cleared; a new occurrence raises a new alarm")
        if times < 1:
            raise ValueError(f"a repeat happens at least once, not {times} times")
        self.repeat_count += times
        self.severity = spec.severity
        self.state = AlarmState.UPDATED
        self.changed_at = at
        # Updates not yet published coalesce: a storm of repeats in one transaction is one update event
        # carrying the final count, not thousands of intermediate ones.
        if self.events and isinstance(self.events[-1], AlarmUpdated):
            self.events.pop()
        self.events.append(AlarmUpdated(self.id, self.repeat_count, self.severity.value))

    def clear(self, at: datetime) -> None:
        """The fault is gone. Clearing a cleared alarm changes nothing."""
        if not self.is_active:
            return
        self.state = AlarmState.CLEARED
        self.cleared_severity = self.severity
        self.severity = Severity.CLEARED
        self.cleared_at = at
        self.changed_at = at
        self.events.append(AlarmCleared(self.id, at))

    def acknowledge(self, user: str, at: datetime) -> None:
        if not user:
            raise InvalidTransitionError("acknowledging an alarm needs the user's name")
        self.acknowledged, self.ack_user, self.ack_at = True, user, at
        self.events.append(AlarmAcknowledged(self.id, user))

    def unacknowledge(self, user: str = "") -> None:
        self.acknowledged, self.ack_user, self.ack_at = False, None, None
        self.events.append(AlarmUnacknowledged(self.id, user))

    def add_comment(self, author: str, text: str, at: datetime) -> None:
        if not text.strip():
            raise InvalidTransitionError("a comment needs some text")
        self.comments.append(AlarmComment(author, text, at))
        self.events.append(AlarmCommented(self.id, author))

    def mark_flapping(self, occurrences: int) -> None:
        """The same fault came and went ``occurrences`` times within the flap window."""
        self.flapping = True
        self.occurrences_in_window = occurrences

    def mark_symptom_of(self, root: Alarm) -> None:
        if root.id == self.id:
            raise InvalidTransitionError("an alarm cannot be its own root cause")
        if self.root_cause_id == root.id:
            return
        self.root_cause_id = root.id
        # an alarm raised in this same change is published once, already showing its root
        if not any(isinstance(e, AlarmRaised) for e in self.events):
            self.events.append(AlarmCorrelated(self.id, root.id))

    def unmark_symptom_of(self, root: Alarm) -> bool:
        """No longer a symptom of ``root``; False (nothing changed) if it was not one of its symptoms."""
        if self.root_cause_id != root.id:
            return False
        self.root_cause_id = None
        self.events.append(AlarmUncorrelated(self.id, root.id))
        return True


def group_under(root: Alarm, symptoms: list[Alarm], roots_of_others: set[str]) -> None:
    """Make ``symptoms`` symptoms of ``root`` (TMF642 groupAlarms), keeping correlation one level deep,
    as the correlator makes it: the root is no symptom itself and no symptom is the root of others
    (so no cycle can form). Checked for all before any changes: all or nothing."""
    if root.root_cause_id is not None:
        raise InvalidTransitionError(f"alarm {root.id} is itself a symptom of {root.root_cause_id}")
    for alarm in symptoms:
        if alarm.id == root.id:
            raise InvalidTransitionError("an alarm cannot be its own root cause")
        if alarm.id in roots_of_others:
            raise InvalidTransitionError(f"alarm {alarm.id} is the root cause of other alarms; ungroup them first")
    for alarm in symptoms:
        alarm.mark_symptom_of(root)
