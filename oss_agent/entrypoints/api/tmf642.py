"""TMF642 Alarm Management: the alarm list, PATCH, and the task operations (ack, unack, clear, comment,
group, ungroup).

Every change goes through the message bus as one command over all the alarms it names, so a task
either changes every matched alarm or none; a request is validated completely before that command
is sent, so a bad request changes nothing. Resource shape and mapping: ``oss_agent.fault.hub.tmf642``.
The event hub is in :mod:`oss_agent.entrypoints.api.tmf642_hub`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import select

from oss_agent.domain import commands
from oss_agent.domain.errors import DomainError, InvalidTransitionError, NotFoundError
from oss_agent.entrypoints.api.tmf import (
    FIELDS,
    LIMIT,
    OFFSET,
    Filterable,
    TmfError,
    list_response,
    parse_fields,
    select_fields,
)
from oss_agent.entrypoints.api.tmf642_bodies import (
    AckBody,
    AlarmPatch,
    AlarmRefIn,
    ClearBody,
    CommentBody,
    RegroupBody,
)
from oss_agent.fault.hub.tmf642 import BASE, SYSTEM_ID, render_alarm
from oss_agent.fault.hub.views import alarm_snapshots
from oss_agent.storage.hub_tables import AlarmTaskRow

router = APIRouter(prefix=BASE, tags=["TMF642 alarm management"])

_REF = ("id", "href", "@referredType")
ALARM_FILTERS = Filterable(
    strings=frozenset(
        {
            *("href", "@type", "@baseType", "externalAlarmId", "sourceSystemId", "reportingSystemId"),
            *("alarmType", "perceivedSeverity", "probableCause", "specificProblem", "state", "ackState"),
            *("ackUserId", "ackSystemId", "clearUserId", "clearSystemId", "alarmedObjectType", "alarmDetails"),
            *("plannedOutageIndicator", "proposedRepairedActions", "reductionKey", "alarmedObject.@type"),
            *("comment.comment", "comment.userId", "comment.systemId", "comment.@type"),
            *(f"{ref}.{key}" for ref in ("alarmedObject", "affectedResource") for key in _REF),
            *(f"{ref}.{key}" for ref in ("parentAlarm", "correlatedAlarm") for key in _REF),
            *(f"crossedThresholdInformation.{key}" for key in ("indicatorName", "direction", "@type")),
            "crossedThresholdInformation.thresholdCrossingDescription",
            *(f"crossedThresholdInformation.threshold.{key}" for key in ("id", "name", "@referredType")),
        }
    ),
    numbers=frozenset({"id", "repeatCount", "occurrencesInWindow"}),
    dates=frozenset({"alarmRaisedTime", "alarmReportingTime", "alarmChangedTime", "alarmClearedTime", "comment.time"}),
    booleans=frozenset({"isRootCause", "flapping", "alarmEscalation", "serviceAffecting"}),
)
_TASK_REFS: tuple[str, ...] = ("parentAlarm", "correlatedAlarm", "ackedAlarm", "unAckedAlarm", "clearedAlarm")
_TASK_REFS += ("commentedAlarm", "groupedAlarm", "unGroupedAlarm")
TASK_FILTERS = Filterable(
    strings=frozenset(
        {
            *("id", "href", "@type", "state", "sourceSystemId", "ackUserId", "ackSystemId", "clearUserId"),
            *("clearSystemId", "comment.comment", "comment.userId", "comment.systemId"),
            *(f"{ref}.{key}" for ref in _TASK_REFS for key in ("href", "@referredType")),
        }
    ),
    numbers=frozenset({f"{ref}.id" for ref in _TASK_REFS}),
    dates=frozenset({"ackTime", "alarmClearedTime", "alarmChangedTime", "comment.time"}),
)
ALARM_ID: Any = Path(pattern=r"^[0-9]+$", description="The alarm's id (an integer, as TMF642 v4 types it)")
PATCHABLE = frozenset(
    {"ackState", "ackUserId", "ackSystemId", "comment", "state", "clearUserId", "clearSystemId", "alarmClearedTime"}
)


def origin(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def alarms(request: Request) -> list[dict[str, Any]]:
    base = origin(request)
    return [render_alarm(s, base) for s in alarm_snapshots(request.app.state.session_factory)]


async def send(request: Request, command: commands.Command) -> Any:
    """Hand a command to the bus; the domain's refusals become TMF errors (nothing was stored)."""
    try:
        return (await request.app.state.agent.bus.handle(command)).result
    except NotFoundError as exc:
        raise TmfError(404, str(exc)) from exc
    except InvalidTransitionError as exc:  # the request is sound, the alarms' state refuses it
        raise TmfError(409, str(exc)) from exc
    except DomainError as exc:
        raise TmfError(400, str(exc)) from exc


def _number(alarm_id: str) -> int:
    if not alarm_id.isdigit():
        raise TmfError(400, f"alarm id must be an integer, got {alarm_id!r}")
    return int(alarm_id)


def _one(request: Request, alarm_id: str) -> dict[str, Any]:
    number = _number(alarm_id)
    for item in alarms(request):
        if item["id"] == number:
            return item
    raise TmfError(404, f"no alarm with id {alarm_id!r}")


@router.get(
    "/alarm", summary="List or find Alarm objects", openapi_extra={"parameters": ALARM_FILTERS.parameters()}
)
def list_alarms(
    request: Request,
    response: Response,
    fields: str | None = FIELDS,
    offset: int = OFFSET,
    limit: int | None = LIMIT,
) -> list[dict[str, Any]]:
    """Filters (TMF630): ``perceivedSeverity=critical,major``, ``alarmedObject.id=pe1``, ``alarmRaisedTime.gte=...``."""
    return list_response(request, response, alarms(request), fields, offset, limit, ALARM_FILTERS)


@router.get("/alarm/{alarm_id}", summary="Retrieves an Alarm by ID")
def retrieve_alarm(request: Request, alarm_id: str = ALARM_ID, fields: str | None = FIELDS) -> dict[str, Any]:
    return select_fields(_one(request, alarm_id), parse_fields(fields))


@router.patch("/alarm/{alarm_id}", summary="Acknowledge, unacknowledge, comment or clear an Alarm")
async def patch_alarm(request: Request, body: AlarmPatch, alarm_id: str = ALARM_ID) -> dict[str, Any]:
    """Only what an operator may change: ``ackState`` (+``ackUserId``), new ``comment`` entries, ``state=cleared``."""
    current = _one(request, alarm_id)
    target = (current["externalAlarmId"],)
    todo: list[commands.Command] = []
    if body.ack_state == "acknowledged":
        todo.append(commands.AcknowledgeAlarms(target, str(body.ack_user_id), datetime.now(UTC)))
    elif body.ack_state == "unacknowledged":
        todo.append(commands.UnacknowledgeAlarms(target, body.ack_user_id or "", datetime.now(UTC)))
    known = {(c["comment"], c.get("userId")) for c in current["comment"]}
    for c in body.comment or []:
        if (c.comment, c.user_id) not in known:
            todo.append(commands.CommentAlarms(target, c.user_id or "api", c.comment, _utc(c.time)))
    if body.state == "cleared":
        todo.append(commands.ClearAlarmsById(target, body.clear_user_id or "api", _utc(body.alarm_cleared_time)))
    for command in todo:
        await send(request, command)
    return _one(request, alarm_id)


# --- task operations ---------------------------------------------------------------------------


def _equal(wanted: Any, actual: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(k in actual and _equal(v, actual[k]) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(actual, list) and all(any(_equal(w, a) for a in actual) for w in wanted)
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return wanted is actual
    return wanted == actual or str(wanted) == str(actual)


def matched(request: Request, patterns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alarms equal to every attribute of at least one pattern (TMF642's alarmPattern rule)."""
    if any(not p for p in patterns):
        raise TmfError(400, "an empty alarmPattern would match every alarm; name at least one attribute")
    return [a for a in alarms(request) if any(_equal(p, a) for p in patterns)]


def _refs(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": a["id"], "href": a["href"], "@referredType": "Alarm"} for a in items]


def _save(request: Request, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    task_id = str(uuid.uuid4())
    body = {
        "id": task_id,
        "href": f"{origin(request)}{BASE}/{kind}/{task_id}",
        **body,
        "@type": kind[0].upper() + kind[1:],
    }
    with request.app.state.session_factory() as session, session.begin():
        session.add(AlarmTaskRow(id=task_id, kind=kind, body=body, created_at=datetime.now(UTC)))
    return body


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None:
        raise TmfError(400, "times need a time zone")
    return value.astimezone(UTC)


@router.post("/ackAlarms", status_code=201, summary="Acknowledge the alarms matching any pattern")
async def ack_alarms(request: Request, body: AckBody) -> dict[str, Any]:
    targets, at = matched(request, body.alarm_pattern), _utc(body.ack_time)
    if targets:
        await send(
            request, commands.AcknowledgeAlarms(tuple(a["externalAlarmId"] for a in targets), body.ack_user_id, at)
        )
    out = body.model_dump(by_alias=True, exclude_none=True) | {"ackTime": at.isoformat(), "state": "done"}
    return _save(request, "ackAlarms", out | {"ackedAlarm": _refs(targets)})


@router.post("/unAckAlarms", status_code=201, summary="Unacknowledge the alarms matching any pattern")
async def unack_alarms(request: Request, body: AckBody) -> dict[str, Any]:
    targets, at = matched(request, body.alarm_pattern), _utc(body.ack_time)
    if targets:
        ids = tuple(a["externalAlarmId"] for a in targets)
        await send(request, commands.UnacknowledgeAlarms(ids, body.ack_user_id, at))
    out = body.model_dump(by_alias=True, exclude_none=True) | {"ackTime": at.isoformat(), "state": "done"}
    return _save(request, "unAckAlarms", out | {"unAckedAlarm": _refs(targets)})


@router.post("/clearAlarms", status_code=201, summary="Clear the alarms matching any pattern")
async def clear_alarms(request: Request, body: ClearBody) -> dict[str, Any]:
    targets, at = matched(request, body.alarm_pattern), _utc(body.alarm_cleared_time)
    cleared: list[str] = []
    if targets:
        ids = tuple(a["externalAlarmId"] for a in targets)
        cleared = await send(request, commands.ClearAlarmsById(ids, body.clear_user_id, at))
    out = body.model_dump(by_alias=True, exclude_none=True) | {"alarmClearedTime": at.isoformat(), "state": "done"}
    return _save(
        request, "clearAlarms", out | {"clearedAlarm": _refs([a for a in targets if a["externalAlarmId"] in cleared])}
    )


@router.post("/commentAlarms", status_code=201, summary="Comment the alarms matching any pattern")
async def comment_alarms(request: Request, body: CommentBody) -> dict[str, Any]:
    at, text = _utc(body.comment.time), body.comment.comment
    targets = matched(request, body.alarm_pattern)
    author = body.comment.user_id or "api"
    if targets:
        await send(request, commands.CommentAlarms(tuple(a["externalAlarmId"] for a in targets), author, text, at))
    given = body.comment.model_dump(by_alias=True, exclude_none=True)
    comment = {"systemId": SYSTEM_ID, **given, "time": at.isoformat(), "userId": author}
    out = body.model_dump(by_alias=True, exclude_none=True) | {"comment": comment, "state": "done"}
    return _save(request, "commentAlarms", out | {"commentedAlarm": _refs(targets)})


def _referred(by_number: dict[int, dict[str, Any]], ref: AlarmRefIn, name: str) -> dict[str, Any]:
    number = int(ref.id)
    if number not in by_number:
        raise TmfError(404, f"{name}: no alarm with id {number}")
    return by_number[number]


async def _regroup(request: Request, body: RegroupBody, kind: str, done_key: str, group: bool) -> dict[str, Any]:
    by_number = {a["id"]: a for a in alarms(request)}
    parent = _referred(by_number, body.parent_alarm, "parentAlarm")
    members = {
        m["id"]: m
        for m in (_referred(by_number, ref, f"correlatedAlarm[{i}]") for i, ref in enumerate(body.correlated_alarm))
    }
    at = _utc(body.alarm_changed_time)
    ids = tuple(m["externalAlarmId"] for m in members.values())
    root = parent["externalAlarmId"]
    command = commands.GroupAlarms(root, ids) if group else commands.UngroupAlarms(root, ids)
    changed = set(await send(request, command))
    out = body.model_dump(by_alias=True, exclude_none=True) | {
        "alarmChangedTime": at.isoformat(),
        "parentAlarm": _refs([parent])[0],
        "correlatedAlarm": _refs(list(members.values())),
        "state": "done",
    }
    done = [m for m in members.values() if m["externalAlarmId"] in changed]
    return _save(request, kind, out | {done_key: _refs(done)})


REGROUP_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "an alarm named in the body does not exist"},
    409: {"description": "the alarms' correlation refuses it (a symptom as parent, a root as symptom, a cycle)"},
}


@router.post(
    "/groupAlarms", status_code=201, summary="Correlate alarms under a root cause alarm", responses=REGROUP_ERRORS
)
async def group_alarms(request: Request, body: RegroupBody) -> dict[str, Any]:
    """All or nothing: the parent must be no symptom itself, and no alarm grouped may be another's root."""
    return await _regroup(request, body, "groupAlarms", "groupedAlarm", group=True)


@router.post(
    "/unGroupAlarms",
    status_code=201,
    summary="Uncorrelate alarms from their root cause alarm",
    responses=REGROUP_ERRORS,
)
async def ungroup_alarms(request: Request, body: RegroupBody) -> dict[str, Any]:
    """``unGroupedAlarm`` lists those that were symptoms of the parent; the others are left as they were."""
    return await _regroup(request, body, "unGroupAlarms", "unGroupedAlarm", group=False)


def _task_routes(kind: str) -> None:
    """GET list and GET by id for one task kind, answered from what was stored when it ran."""

    def list_tasks(
        request: Request,
        response: Response,
        fields: str | None = FIELDS,
        offset: int = OFFSET,
        limit: int | None = LIMIT,
    ) -> list[dict[str, Any]]:
        with request.app.state.session_factory() as session:
            rows = session.scalars(
                select(AlarmTaskRow).where(AlarmTaskRow.kind == kind).order_by(AlarmTaskRow.created_at)
            )
            bodies = [r.body for r in rows]
        return list_response(request, response, bodies, fields, offset, limit, TASK_FILTERS)

    def get_task(request: Request, task_id: str, fields: str | None = FIELDS) -> dict[str, Any]:
        with request.app.state.session_factory() as session:
            row = session.get(AlarmTaskRow, task_id)
            if row is None or row.kind != kind:
                raise TmfError(404, f"no {kind} task with id {task_id!r}")
            return select_fields(row.body, parse_fields(fields))

    router.add_api_route(
        f"/{kind}",
        list_tasks,
        methods=["GET"],
        summary=f"List {kind} tasks",
        openapi_extra={"parameters": TASK_FILTERS.parameters()},
    )
    router.add_api_route(f"/{kind}/{{task_id}}", get_task, methods=["GET"], summary=f"Retrieve a {kind} task")


for _kind in ("ackAlarms", "unAckAlarms", "clearAlarms", "commentAlarms", "groupAlarms", "unGroupAlarms"):
    _task_routes(_kind)
