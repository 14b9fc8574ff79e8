"""TMF642 over alarms raised through the bus: schema-valid alarms, paging, filters, tasks, PATCH, errors, hub."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import ClearAlarm, RaiseAlarm
from oss_agent.entrypoints.api import create_app
from oss_agent.fault.hub.tmf642 import event_type
from oss_agent.storage.hub_tables import HubOutboxRow

BASE = "/tmf-api/alarm/v4"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
Validator = Callable[..., jsonschema.Draft4Validator]

SPECS = [
    AlarmSpec(
        "r1|unreachable", "r1", AlarmType.COMMUNICATIONS, "lossOfSignal", Severity.CRITICAL, "no answer", ("r1",)
    ),
    AlarmSpec(
        "r1:eth0|linkDown", "r1:eth0", AlarmType.COMMUNICATIONS, "linkDown", Severity.MAJOR, "down", ("r1:eth0",)
    ),
    AlarmSpec(
        "r2:eth1|threshold|utilisation-in",
        "r2:eth1",
        AlarmType.QUALITY_OF_SERVICE,
        "thresholdCrossed",
        Severity.MINOR,
        "in_util 95% > 90%",
    ),
]


def symptom_of_first(agent: Agent) -> None:
    """Make alarm 2 a symptom of alarm 1, as the correlator would (directly through the unit of work)."""
    with agent.uow as uow:
        alarms = sorted(uow.alarms.list(), key=lambda a: a.raised_at)
        alarms[1].mark_symptom_of(alarms[0])
        uow.commit()


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "inventory.yaml"), upgrade_schema=True)
    for n, spec in enumerate(SPECS):
        asyncio.run(agent.bus.handle(RaiseAlarm(spec, T0 + timedelta(minutes=n))))
    asyncio.run(agent.bus.handle(RaiseAlarm(SPECS[0], T0 + timedelta(minutes=5))))  # a repeat
    symptom_of_first(agent)
    yield agent
    agent.close()


@pytest.fixture
def client(agent: Agent) -> Iterator[TestClient]:
    with TestClient(create_app(agent)) as test_client:
        yield test_client


def by_id(client: TestClient) -> dict[int, dict[str, Any]]:
    return {a["id"]: a for a in client.get(f"{BASE}/alarm").json()}


def test_alarms_are_schema_valid_and_carry_our_fields(client: TestClient, tmf642_validator: Validator) -> None:
    response = client.get(f"{BASE}/alarm")
    assert response.status_code == 200
    body = response.json()
    tmf642_validator("Alarm", True).validate(body)
    assert response.headers["X-Total-Count"] == response.headers["X-Result-Count"] == "3"
    alarms = by_id(client)
    root, symptom, threshold = alarms[1], alarms[2], alarms[3]
    assert (root["perceivedSeverity"], root["state"], root["repeatCount"], root["ackState"]) == (
        "critical",
        "updated",
        1,
        "unacknowledged",
    )
    assert root["alarmedObject"]["id"] == "r1" and root["alarmedObjectType"] == "networkDevice"
    assert root["isRootCause"] is True and [r["id"] for r in root["correlatedAlarm"]] == ["2"]
    assert symptom["isRootCause"] is False and [r["id"] for r in symptom["parentAlarm"]] == ["1"]
    assert threshold["crossedThresholdInformation"]["indicatorName"] == "utilisation-in"
    assert "reductionKey=r1|unreachable" in root["alarmDetails"] and root["@baseType"] == "Alarm"
    assert client.get(root["href"]).json() == root


def test_paging_fields_and_filters(client: TestClient, tmf642_validator: Validator) -> None:
    response = client.get(f"{BASE}/alarm", params={"offset": 1, "limit": 1, "fields": "perceivedSeverity,state"})
    assert (response.headers["X-Total-Count"], response.headers["X-Result-Count"]) == ("3", "1")
    assert all(set(a) == {"id", "href", "@type", "perceivedSeverity", "state"} for a in response.json())
    tmf642_validator("Alarm", True).validate(response.json())

    def ids(**params: str) -> list[int]:
        return sorted(a["id"] for a in client.get(f"{BASE}/alarm", params=params).json())

    assert ids(perceivedSeverity="critical,minor") == [1, 3]
    assert ids(state="raised") == [2, 3]
    assert ids(ackState="unacknowledged") == [1, 2, 3]
    assert ids(alarmType="qualityOfServiceAlarm") == [3]
    assert ids(probableCause="linkDown") == [2]
    assert ids(**{"alarmedObject.id": "r1:eth0"}) == [2]
    assert ids(isRootCause="false") == [2]
    one = client.get(f"{BASE}/alarm/3", params={"fields": "probableCause"}).json()
    assert set(one) == {"id", "href", "@type", "probableCause"}


def test_tmf630_operators_on_dates_and_numbers(client: TestClient) -> None:
    def ids(**params: str) -> list[int]:
        response = client.get(f"{BASE}/alarm", params=params)
        assert response.status_code == 200, response.text
        return sorted(a["id"] for a in response.json())

    assert ids(**{"alarmRaisedTime.gt": "2026-11-20T08:00:30Z"}) == [2, 3]
    assert ids(**{"alarmRaisedTime.lte": "2026-11-20T09:01:00+01:00"}) == [1, 2]  # the same instant, another zone
    assert ids(**{"alarmRaisedTime.gte": "2026-11-20T08:01:00Z", "alarmRaisedTime.lt": "2026-11-20T08:02:00Z"}) == [2]
    assert ids(**{"alarmRaisedTime.gt": "2026-11-20"}) == []  # a date alone: after that UTC date
    assert ids(**{"alarmRaisedTime": "2026-11-20T08:00:00Z"}) == [1]
    assert ids(**{"alarmChangedTime.gt": "2026-11-20T08:04:00Z"}) == [1]  # the repeat changed it
    assert ids(**{"alarmClearedTime.lt": "2030-01-01T00:00:00Z"}) == []  # none cleared: no value to compare
    assert ids(**{"repeatCount.gte": "1"}) == [1]
    assert ids(**{"id.gt": "1", "id.lte": "2.5"}) == [2]
    assert ids(id="1,3") == [1, 3]
    assert ids(isRootCause="true", perceivedSeverity="critical,major") == [1]


# raised at these instants, numbered 1 to 6: around 20 November (UTC) and on the day after
DAY_EDGES = [
    datetime(2026, 11, 19, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
    datetime(2026, 11, 20, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
    datetime(2026, 11, 21, 12, 0, tzinfo=UTC),
]


@pytest.fixture
def days_client(tmp_path: Path) -> Iterator[TestClient]:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "inventory.yaml"), upgrade_schema=True)
    for n, at in enumerate(DAY_EDGES, start=1):
        spec = AlarmSpec(f"r{n}|unreachable", f"r{n}", AlarmType.COMMUNICATIONS, "lossOfSignal", Severity.MAJOR, "-")
        asyncio.run(agent.bus.handle(RaiseAlarm(spec, at)))
    with TestClient(create_app(agent)) as test_client:
        yield test_client
    agent.close()


def test_a_date_alone_is_the_utc_date_the_alarm_shows(days_client: TestClient) -> None:
    def ids(**params: str) -> list[int]:
        response = days_client.get(f"{BASE}/alarm", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == str(len(response.json()))
        return sorted(a["id"] for a in response.json())

    shown = {a["id"]: a["alarmRaisedTime"] for a in days_client.get(f"{BASE}/alarm").json()}
    assert shown[3] == "2026-11-20T12:00:00+00:00" and all(t.endswith("+00:00") for t in shown.values())
    assert ids(alarmRaisedTime="2026-11-20") == [2, 3, 4]  # any time of that date
    assert ids(**{"alarmRaisedTime.lte": "2026-11-20"}) == [1, 2, 3, 4]  # up to its end: noon included
    assert ids(**{"alarmRaisedTime.gt": "2026-11-20"}) == [5, 6]  # after it: noon excluded
    assert ids(**{"alarmRaisedTime.gte": "2026-11-20"}) == [2, 3, 4, 5, 6]  # from it on
    assert ids(**{"alarmRaisedTime.lt": "2026-11-20"}) == [1]  # before it
    assert ids(alarmRaisedTime="2026-11-19,2026-11-21") == [1, 5, 6]
    assert ids(alarmRaisedTime="2026-11-20T12:00:00Z, 2026-11-21") == [3, 5, 6]  # an instant among dates
    assert ids(alarmReportingTime="2026-11-21", alarmChangedTime="2026-11-21") == [5, 6]
    # a time keeps its instant semantics, UTC without an offset
    assert ids(**{"alarmRaisedTime.lte": "2026-11-20T13:00:00+01:00"}) == [1, 2, 3]
    assert ids(**{"alarmRaisedTime.lt": "2026-11-20T12:00:00"}) == [1, 2]
    assert ids(alarmRaisedTime="2026-11-20T00:00:00Z") == [2]
    # the ends of the calendar
    assert ids(**{"alarmRaisedTime.gt": "9999-12-31"}) == []
    assert ids(**{"alarmRaisedTime.lte": "9999-12-31"}) == [1, 2, 3, 4, 5, 6]
    assert ids(**{"alarmRaisedTime.lt": "0001-01-01"}) == []
    page = days_client.get(f"{BASE}/alarm", params={"alarmRaisedTime": "2026-11-20", "limit": 2})
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("3", "2")


@pytest.mark.parametrize(
    ("param", "value", "fragment"),
    [
        ("nosuch", "x", "cannot filter on 'nosuch'"),
        ("alarmRaisedTime", "2026-02-30", "alarmRaisedTime='2026-02-30': not a date"),
        ("alarmRaisedTime.lte", "2026-11-20T25:00:00Z", "alarmRaisedTime.lte='2026-11-20T25:00:00Z': not a date"),
        ("alarmRaisedTime.gte", "0001-01-01T00:00:00+01:00", "alarmRaisedTime.gte='0001-01-01T00:00:00+01:00': not"),
        ("alarmRaisedTime.gt", "yesterday", "alarmRaisedTime.gt='yesterday': not a date"),
        ("perceivedSeverity.gt", "major", "'perceivedSeverity.gt': .gt compares numbers and dates"),
        ("repeatCount.lt", "many", "repeatCount.lt='many': not a number"),
        ("repeatCount.lt", "nan", "repeatCount.lt='nan': not a number"),
        ("isRootCause", "maybe", "isRootCause='maybe': not a boolean"),
        ("alarmRaisedTime.between", "x", "cannot filter on 'alarmRaisedTime.between'"),
        ("alarmRaisedTime>", "2026-11-20", "cannot filter on 'alarmRaisedTime>'"),
    ],
)
def test_a_filter_the_api_cannot_apply_is_a_400_naming_it(
    client: TestClient, tmf642_validator: Validator, param: str, value: str, fragment: str
) -> None:
    response = client.get(f"{BASE}/alarm", params={param: value})
    assert response.status_code == 400
    tmf642_validator("Error").validate(response.json())
    assert fragment in response.json()["message"]


def test_task_operations(client: TestClient, tmf642_validator: Validator) -> None:
    ack = client.post(
        f"{BASE}/ackAlarms",
        json={"ackSystemId": "noc", "ackUserId": "ann", "alarmPattern": [{"perceivedSeverity": "critical"}, {"id": 3}]},
    )
    assert ack.status_code == 201
    tmf642_validator("AckAlarms").validate(ack.json())
    assert sorted(a["id"] for a in ack.json()["ackedAlarm"]) == [1, 3]
    assert client.get(ack.json()["href"]).json() == ack.json()
    assert client.get(f"{BASE}/ackAlarms").headers["X-Total-Count"] == "1"
    assert len(client.get(f"{BASE}/ackAlarms", params={"ackUserId": "ann", "ackedAlarm.id": "3"}).json()) == 1
    assert client.get(f"{BASE}/ackAlarms", params={"ackTime.lt": "2000-01-01T00:00:00Z"}).json() == []
    alarms = by_id(client)
    assert (alarms[1]["ackState"], alarms[1]["ackUserId"], alarms[2]["ackState"]) == (
        "acknowledged",
        "ann",
        "unacknowledged",
    )

    unack = client.post(
        f"{BASE}/unAckAlarms", json={"ackSystemId": "noc", "ackUserId": "ann", "alarmPattern": [{"id": 3}]}
    )
    assert unack.status_code == 201
    tmf642_validator("UnAckAlarms").validate(unack.json())
    assert by_id(client)[3]["ackState"] == "unacknowledged"

    comment = client.post(
        f"{BASE}/commentAlarms",
        json={
            "comment": {"comment": "field team sent", "userId": "bob"},
            "alarmPattern": [{"alarmedObject": {"id": "r1"}}],
        },
    )
    assert comment.status_code == 201
    tmf642_validator("CommentAlarms").validate(comment.json())
    assert [c["comment"] for c in by_id(client)[1]["comment"]] == ["field team sent"]

    clear = client.post(
        f"{BASE}/clearAlarms",
        json={
            "clearSystemId": "noc",
            "clearUserId": "ann",
            "alarmClearedTime": "2026-11-20T09:00:00Z",
            "alarmPattern": [{"probableCause": "linkDown"}],
        },
    )
    assert clear.status_code == 201
    tmf642_validator("ClearAlarms").validate(clear.json())
    cleared = by_id(client)[2]
    assert (cleared["state"], cleared["perceivedSeverity"], cleared["alarmClearedTime"]) == (
        "cleared",
        "cleared",
        "2026-11-20T09:00:00+00:00",
    )


def hub_changes(agent: Agent) -> list[tuple[str, str | None, str]]:
    """(TMF event type, fieldPath, alarm) of each outbox row, in order."""
    with Session(agent.engine) as session:
        rows = session.scalars(select(HubOutboxRow).order_by(HubOutboxRow.id))
        return [(*event_type(r.event_type), r.resource_id) for r in rows]


def test_group_and_ungroup_alarms(agent: Agent, client: TestClient, tmf642_validator: Validator) -> None:
    before = len(hub_changes(agent))
    grouped = client.post(
        f"{BASE}/groupAlarms",
        json={
            "sourceSystemId": "noc",
            "alarmChangedTime": "2026-11-20T09:00:00Z",
            "parentAlarm": {"id": 1},
            "correlatedAlarm": [{"id": 3}, {"id": "3"}],
        },
    )
    assert grouped.status_code == 201, grouped.text
    tmf642_validator("GroupAlarms").validate(grouped.json())
    assert [a["id"] for a in grouped.json()["groupedAlarm"]] == [3] and grouped.json()["parentAlarm"]["id"] == 1
    assert client.get(grouped.json()["href"]).json() == grouped.json()
    assert client.get(f"{BASE}/groupAlarms").headers["X-Total-Count"] == "1"
    alarms = by_id(client)
    assert [r["id"] for r in alarms[3]["parentAlarm"]] == ["1"] and alarms[3]["isRootCause"] is False
    assert [r["id"] for r in alarms[1]["correlatedAlarm"]] == ["2", "3"]
    third = by_id(client)[3]["externalAlarmId"]
    assert hub_changes(agent)[before:] == [("AlarmAttributeValueChangeEvent", "parentAlarm", third)]

    ungrouped = client.post(
        f"{BASE}/unGroupAlarms",
        json={
            "sourceSystemId": "noc",
            "alarmChangedTime": "2026-11-20T09:30:00Z",
            "parentAlarm": {"id": 1},
            "correlatedAlarm": [{"id": 2}, {"id": 3}],
        },
    )
    assert ungrouped.status_code == 201, ungrouped.text
    tmf642_validator("UnGroupAlarms").validate(ungrouped.json())
    assert [a["id"] for a in ungrouped.json()["unGroupedAlarm"]] == [2, 3]
    alarms = by_id(client)
    assert all(alarms[n]["isRootCause"] and "parentAlarm" not in alarms[n] for n in (1, 2, 3))
    assert "correlatedAlarm" not in alarms[1]
    assert [c[:2] for c in hub_changes(agent)[before + 1 :]] == [("AlarmAttributeValueChangeEvent", "parentAlarm")] * 2
    again = client.post(f"{BASE}/unGroupAlarms", json=ungrouped.json() | {"unGroupedAlarm": []})
    assert again.status_code == 201 and again.json()["unGroupedAlarm"] == []  # nothing was grouped any more


def test_patch_acknowledges_comments_and_clears(client: TestClient, tmf642_validator: Validator) -> None:
    patched = client.patch(
        f"{BASE}/alarm/3",
        json={"ackState": "acknowledged", "ackUserId": "cy", "comment": [{"comment": "known", "userId": "cy"}]},
    )
    assert patched.status_code == 200
    tmf642_validator("Alarm").validate(patched.json())
    assert (patched.json()["ackUserId"], patched.json()["comment"][0]["comment"]) == ("cy", "known")
    cleared = client.patch(f"{BASE}/alarm/3", json={"state": "cleared"}).json()
    assert cleared["state"] == "cleared"


REGROUP = {"sourceSystemId": "noc", "alarmChangedTime": "2026-11-20T09:00:00Z", "parentAlarm": {"id": 1}}
REGROUP["correlatedAlarm"] = [{"id": 3}]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/alarm/99", None, 404),
        ("GET", "/alarm/abc", None, 400),
        ("GET", "/alarm", {"limit": "0"}, 400),
        ("PATCH", "/alarm/1", {"perceivedSeverity": "minor"}, 400),
        ("PATCH", "/alarm/1", {"ackState": "acknowledged"}, 400),
        ("PATCH", "/alarm/1", {"ackState": "maybe", "ackUserId": "x"}, 400),
        ("PATCH", "/alarm/1", {"state": "raised"}, 400),
        ("PATCH", "/alarm/99", {"state": "cleared"}, 404),
        ("POST", "/ackAlarms", {"ackUserId": "x", "alarmPattern": [{"id": 1}]}, 400),
        ("POST", "/ackAlarms", {"ackSystemId": "s", "ackUserId": "x", "alarmPattern": []}, 400),
        ("POST", "/ackAlarms", {"ackSystemId": "s", "ackUserId": "x", "alarmPattern": [{}]}, 400),
        ("POST", "/clearAlarms", {"clearSystemId": "s", "clearUserId": "x", "alarmPattern": [{"id": 1}]}, 400),
        (
            "POST",
            "/clearAlarms",
            {"clearSystemId": "s", "clearUserId": "x", "alarmClearedTime": "yesterday", "alarmPattern": [{"id": 1}]},
            400,
        ),
        ("POST", "/commentAlarms", {"comment": {"comment": " "}, "alarmPattern": [{"id": 1}]}, 400),
        ("POST", "/groupAlarms", {**REGROUP, "parentAlarm": {"id": 2}}, 409),  # 2 is a symptom itself
        ("POST", "/groupAlarms", {**REGROUP, "parentAlarm": {"id": 3}, "correlatedAlarm": [{"id": 1}]}, 409),
        ("POST", "/groupAlarms", {**REGROUP, "correlatedAlarm": [{"id": 3}, {"id": 1}]}, 409),  # its own root
        ("POST", "/groupAlarms", {**REGROUP, "correlatedAlarm": [{"id": 3}, {"id": 99}]}, 404),
        ("POST", "/groupAlarms", {**REGROUP, "parentAlarm": {"id": "x"}}, 400),
        ("POST", "/groupAlarms", {**REGROUP, "correlatedAlarm": []}, 400),
        ("POST", "/unGroupAlarms", {k: v for k, v in REGROUP.items() if k != "alarmChangedTime"}, 400),
        ("GET", "/groupAlarms/nosuch", None, 404),
        ("POST", "/hub", {"callback": "ftp://x"}, 400),
        ("POST", "/hub", {"callback": "http://[::1/cb"}, 400),
        ("POST", "/hub", {"callback": "http://127.0.0.1:1/cb", "query": "perceivedSeverity"}, 400),
        ("POST", "/hub", {"callback": "http://127.0.0.1:1/cb", "query": "eventType=NoSuchEvent"}, 400),
        ("POST", "/hub", {"query": "eventType=AlarmCreateEvent"}, 400),
        ("DELETE", "/hub/nosuch", None, 404),
        ("DELETE", "/alarm/1", None, 405),
    ],
)
def test_errors_have_the_tmf_shape_and_change_nothing(
    client: TestClient, tmf642_validator: Validator, method: str, path: str, body: dict[str, Any] | None, status: int
) -> None:
    before = client.get(f"{BASE}/alarm").json()
    if method == "GET":
        response = client.get(f"{BASE}{path}", params=body)
    else:
        response = client.request(method, f"{BASE}{path}", json=body)
    assert response.status_code == status, response.text
    tmf642_validator("Error").validate(response.json())
    assert response.json()["status"] == str(status) and response.json()["message"]
    assert client.get(f"{BASE}/alarm").json() == before
    assert client.get(f"{BASE}/hub").json() == []


def test_hub_register_list_delete(client: TestClient, tmf642_validator: Validator) -> None:
    created = client.post(
        f"{BASE}/hub", json={"callback": "http://127.0.0.1:1/cb", "query": "perceivedSeverity=critical"}
    )
    assert created.status_code == 201
    tmf642_validator("EventSubscription").validate(created.json())
    listed = client.get(f"{BASE}/hub")
    assert [s["id"] for s in listed.json()] == [created.json()["id"]] and listed.headers["X-Total-Count"] == "1"
    assert client.delete(f"{BASE}/hub/{created.json()['id']}").status_code == 204
    assert client.get(f"{BASE}/hub").json() == []


def test_an_alarm_cleared_by_its_source_shows_its_times(agent: Agent, client: TestClient) -> None:
    asyncio.run(agent.bus.handle(ClearAlarm("r1|unreachable", T0 + timedelta(hours=1))))
    root = by_id(client)[1]
    assert root["alarmClearedTime"] == (T0 + timedelta(hours=1)).isoformat() and root["state"] == "cleared"
