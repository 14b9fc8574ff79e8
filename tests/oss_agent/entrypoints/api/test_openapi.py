"""The OpenAPI document describes what the server does: schemathesis sends what the document allows
(and what it forbids) to every operation and checks each answer against it: status codes, bodies,
headers, content types, 5xx, and that the bearer token is really required.

Bounded: a few examples per operation (``EXAMPLES``), no deadline per example.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import RaiseAlarm
from oss_agent.entrypoints.api import create_app

from ....openapi_fuzz import findings

TOKEN = "schemathesis-token-value"
EXAMPLES = 10
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    data = tmp_path_factory.mktemp("openapi")
    settings_ = AgentSettings(data_dir=data, inventory_file=data / "inventory.yaml", api_token=SecretStr(TOKEN))
    agent = bootstrap(settings_, upgrade_schema=True)
    for n, (key, obj) in enumerate((("r1|unreachable", "r1"), ("r1:eth0|linkDown", "r1:eth0"))):
        spec = AlarmSpec(key, obj, AlarmType.COMMUNICATIONS, "linkDown", Severity.MAJOR, "down", (obj,))
        asyncio.run(agent.bus.handle(RaiseAlarm(spec, T0 + timedelta(minutes=n))))
    yield agent
    agent.close()


def test_the_server_does_what_its_openapi_document_says(agent: Agent) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(agent))
    operations, failures = findings(schema, {"Authorization": f"Bearer {TOKEN}"}, EXAMPLES)
    assert operations > 25
    assert not failures, "\n\n".join(failures)


def test_the_document_declares_400_not_422_and_the_bearer_challenge(agent: Agent) -> None:
    with TestClient(create_app(agent)) as client:
        document = client.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        refused = client.get("/fault/v1/kpis")
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert all("422" not in op["responses"] for op in operations)
    kpis = document["paths"]["/fault/v1/kpis"]["get"]["responses"]
    assert {"200", "400", "401"} <= set(kpis) and "WWW-Authenticate" in kpis["401"]["headers"]
    assert "404" in document["paths"]["/tmf-api/alarm/v4/alarm/{alarm_id}"]["get"]["responses"]
    limit = next(p for p in document["paths"]["/tmf-api/alarm/v4/alarm"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["anyOf"][0]["minimum"] == 1
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_date_filter_takes_a_date_alone_or_a_date_time(agent: Agent) -> None:
    with TestClient(create_app(agent)) as client:
        document = client.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    usage = document["paths"]["/tmf-api/usageManagement/v4/usage"]["get"]["parameters"]
    alarms = document["paths"]["/tmf-api/alarm/v4/alarm"]["get"]["parameters"]
    for name, params in (("usageDate", usage), ("alarmRaisedTime.lte", alarms), ("alarmClearedTime", alarms)):
        param = next(p for p in params if p["name"] == name)
        formats = [s["format"] for s in param["schema"]["anyOf"]]
        assert formats == ["date", "date-time"] and "a date alone: its UTC date" in param["description"], param
    repeats = next(p for p in alarms if p["name"] == "repeatCount.gt")
    assert repeats["schema"] == {"type": "number"}


@pytest.mark.parametrize("days", ["1e-12", "5e-324", "0", "-1", "nan", "inf", "3661", "many"])
def test_a_bad_kpi_window_is_a_400_in_the_tmf_error_shape(agent: Agent, days: str) -> None:
    with TestClient(create_app(agent)) as client:
        response = client.get("/fault/v1/kpis", params={"days": days}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "400" and "days" in response.json()["message"]


def test_performance_series_default_metric_is_valid_for_a_device_and_an_interface(agent: Agent) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(agent)) as client:
        device = client.get("/perf/v1/series", params={"device": "r1"}, headers=auth)
        interface = client.get("/perf/v1/series", params={"device": "r1", "interface": "eth0"}, headers=auth)
        wrong = client.get("/perf/v1/series", params={"device": "r1", "metric": "in_bps"}, headers=auth)
    assert device.status_code == 200 and device.json()["metric"] == "response_ms"
    assert interface.status_code == 200 and interface.json()["metric"] == "in_bps"
    assert wrong.status_code == 404 and "not a device metric" in wrong.json()["message"]


def test_unknown_parameters_are_refused_and_405_lists_every_method(agent: Agent) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(agent)) as client:
        typo = client.get("/fault/v1/kpis", params={"day": "3"}, headers=auth)
        wrong_method = client.put("/tmf-api/alarm/v4/alarm/1", json={}, headers=auth)
    assert typo.status_code == 400 and "unknown query parameter(s) 'day'; known: days" in typo.json()["message"]
    assert wrong_method.status_code == 405 and wrong_method.headers["Allow"] == "GET, HEAD, PATCH"
