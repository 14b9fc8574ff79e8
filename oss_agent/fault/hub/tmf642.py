"""Our alarms in TMF642 v4's words: the Alarm resource, its event types, and the hub's ``query``.

Pure functions over the alarm snapshot written by the outbox (``storage.hub_repository``), so an
API answer and an event show the same alarm the same way.

Mapping decisions (TMF642 v4 leaves them open):
- ``id`` is the alarm's number (the swagger types it as an integer); our UUID is ``externalAlarmId``.
- ``state`` is ours (raised, updated, cleared; the v4 file does not enumerate states).
- ``isRootCause`` is true for an alarm that is not a symptom; a symptom names its root in
  ``parentAlarm``, a root lists its symptoms in ``correlatedAlarm``.
- Extension through ``@type: OssAgentAlarm`` (``@baseType: Alarm``), as TMF's polymorphism allows:
  ``reductionKey``, ``repeatCount``, ``flapping``, ``occurrencesInWindow`` and ``affectedResource``
  (TMF639 resource refs); ``alarmDetails`` repeats them as text for clients that ignore extensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from oss_agent.fault.hub import query as query_rules
from oss_agent.fault.hub.query import QueryError as QueryError  # where the API and the store look for it

BASE = "/tmf-api/alarm/v4"
RESOURCE_BASE = "/tmf-api/resourceInventoryManagement/v4/resource"
SYSTEM_ID = "oss-agent"
ALARM_TYPE = "OssAgentAlarm"

# Domain event -> (TMF642 event type, fieldPath for attribute changes)
EVENT_TYPES: dict[str, tuple[str, str | None]] = {
    "AlarmRaised": ("AlarmCreateEvent", None),
    "AlarmCleared": ("AlarmStateChangeEvent", None),
    "AlarmUpdated": ("AlarmAttributeValueChangeEvent", "perceivedSeverity"),
    "AlarmAcknowledged": ("AlarmAttributeValueChangeEvent", "ackState"),
    "AlarmUnacknowledged": ("AlarmAttributeValueChangeEvent", "ackState"),
    "AlarmCommented": ("AlarmAttributeValueChangeEvent", "comment"),
    "AlarmCorrelated": ("AlarmAttributeValueChangeEvent", "parentAlarm"),
    "AlarmUncorrelated": ("AlarmAttributeValueChangeEvent", "parentAlarm"),
}
KNOWN_EVENT_TYPES = frozenset(
    {"AlarmCreateEvent", "AlarmAttributeValueChangeEvent", "AlarmStateChangeEvent", "AlarmDeleteEvent"}
)


def event_type(domain_event: str) -> tuple[str, str | None]:
    """TMF event type for a domain event; alarm events we do not know yet are attribute changes."""
    return EVENT_TYPES.get(domain_event, ("AlarmAttributeValueChangeEvent", None))


def device_of(managed_object: str) -> str:
    """``pe1`` for ``pe1``, ``pe1:eth1`` and ``pe1|bgp|10.0.0.2`` (device names contain neither)."""
    return managed_object.split(":", 1)[0].split("|", 1)[0]


def _ref(base: str, number: int) -> dict[str, Any]:
    return {"id": str(number), "href": f"{base}{BASE}/alarm/{number}", "@referredType": "Alarm"}


def _resource_ref(base: str, resource_id: str) -> dict[str, Any]:
    return {
        "id": resource_id,
        "href": f"{base}{RESOURCE_BASE}/{quote(resource_id, safe=':')}",
        "@referredType": "Resource",
    }


def _threshold(s: Mapping[str, Any]) -> dict[str, Any] | None:
    if s["probable_cause"] != "thresholdCrossed":
        return None
    rule = str(s["reduction_key"]).rsplit("|threshold|", 1)[-1]
    return {
        "threshold": {"id": rule, "name": rule, "@referredType": "Threshold"},
        "indicatorName": rule,
        "direction": "up",
        "thresholdCrossingDescription": s["specific_problem"] or rule,
        "@type": "CrossedThresholdInformation",
    }


def details_text(s: Mapping[str, Any]) -> str:
    parts = [f"reductionKey={s['reduction_key']}", f"repeatCount={s['repeat_count']}"]
    if s["flapping"]:
        parts.append(f"flapping=true ({s['occurrences_in_window']} occurrences in the flap window)")
    return "; ".join(parts)


def render_alarm(s: Mapping[str, Any], base: str = "") -> dict[str, Any]:
    """The TMF642 Alarm for a snapshot; ``base`` is the API's origin (empty: relative hrefs)."""
    number = int(s["number"])
    managed = str(s["managed_object"])
    item: dict[str, Any] = {
        "id": number,
        "href": f"{base}{BASE}/alarm/{number}",
        "@type": ALARM_TYPE,
        "@baseType": "Alarm",
        "externalAlarmId": s["id"],
        "sourceSystemId": SYSTEM_ID,
        "reportingSystemId": SYSTEM_ID,
        "alarmType": s["alarm_type"],
        "perceivedSeverity": s["severity"],
        "probableCause": s["probable_cause"],
        "specificProblem": s["specific_problem"],
        "state": s["state"],
        "ackState": "acknowledged" if s["acknowledged"] else "unacknowledged",
        "alarmRaisedTime": s["raised_at"],
        "alarmReportingTime": s["raised_at"],
        "alarmChangedTime": s["changed_at"],
        "alarmedObjectType": "networkInterface" if ":" in managed.split("|", 1)[0] else "networkDevice",
        "alarmedObject": {**_resource_ref(base, managed), "@type": "AlarmedObject"},
        "isRootCause": s["root_cause_id"] is None,
        "plannedOutageIndicator": "InService",
        "alarmDetails": details_text(s),
        "comment": [
            {"comment": c["text"], "userId": c["author"], "time": c["at"], "systemId": SYSTEM_ID, "@type": "Comment"}
            for c in s["comments"]
        ],
        "reductionKey": s["reduction_key"],
        "repeatCount": s["repeat_count"],
        "flapping": s["flapping"],
        "occurrencesInWindow": s["occurrences_in_window"],
        "affectedResource": [_resource_ref(base, r) for r in s["affected_resources"]],
    }
    if s["cleared_at"]:
        item["alarmClearedTime"] = s["cleared_at"]
    if s["ack_user"]:
        item["ackUserId"], item["ackSystemId"] = s["ack_user"], SYSTEM_ID
    if s.get("root_cause_number") is not None:
        item["parentAlarm"] = [_ref(base, int(s["root_cause_number"]))]
    if s.get("symptom_numbers"):
        item["correlatedAlarm"] = [_ref(base, int(n)) for n in s["symptom_numbers"]]
    threshold = _threshold(s)
    if threshold is not None:
        item["crossedThresholdInformation"] = threshold
    return item


def envelope(event_id: str, event_time: str, domain_event: str, alarm: dict[str, Any]) -> dict[str, Any]:
    """The notification POSTed to a subscriber's callback."""
    kind, field_path = event_type(domain_event)
    body: dict[str, Any] = {
        "eventId": event_id,
        "eventTime": event_time,
        "eventType": kind,
        "event": {"alarm": alarm},
    }
    if field_path is not None:
        body["fieldPath"] = field_path
    return body


def parse_query(
    query: str | None, known: frozenset[str] = KNOWN_EVENT_TYPES, resource: str = "alarm"
) -> dict[str, set[str]]:
    """``eventType=AlarmCreateEvent&perceivedSeverity=critical,major`` (see :mod:`.query`); another
    hub passes its own event types and subject."""
    return query_rules.parse_query(query, known, resource)


def query_matches(parsed: Mapping[str, set[str]], event: Mapping[str, Any]) -> bool:
    """Whether an envelope (see :func:`envelope`) passes a parsed query."""
    return query_rules.query_matches(parsed, event, "alarm")
