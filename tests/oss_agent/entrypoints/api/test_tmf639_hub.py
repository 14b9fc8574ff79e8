"""TMF639's hub: listeners registered over the API receive ResourceCreate/AttributeValueChange/
StateChange/Delete events, valid against the TMF639 schemas, through the same outbox and dispatcher as
TMF642's alarms (each hub's listeners get their own API's events only)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.fake import FakeNetwork
from oss_agent.bootstrap import Agent
from oss_agent.discovery.service import discover_all
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import ProcessFaultSignals, RaiseAlarm
from oss_agent.domain.fault import FaultSignal
from oss_agent.entrypoints.api import create_app
from oss_agent.fault import signals
from oss_agent.fault.hub.store import HubStore
from oss_agent.fault.hub.tmf639 import RESOURCE_HUB
from oss_agent.storage.engine import make_session_factory

from ...fault.test_hub import Receiver, deliver_pending
from .conftest import Validator
from .fake_routers import INVENTORY, fake_network, make_agent

BASE = "/tmf-api/resourceInventoryManagement/v4"
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def network() -> FakeNetwork:
    return fake_network()


@pytest.fixture
def agent(tmp_path: Path, network: FakeNetwork) -> Iterator[Agent]:
    wired = make_agent(tmp_path, network)
    yield wired
    wired.close()


@pytest.fixture
def client(agent: Agent) -> Iterator[TestClient]:
    with TestClient(create_app(agent)) as test_client:
        yield test_client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.up()
    yield r
    r.close()


def test_register_list_retrieve_delete_and_refuse(client: TestClient, tmf639_validator: Validator) -> None:
    created = client.post(f"{BASE}/hub", json={"callback": "http://127.0.0.1:1/cb", "query": "category=interface"})
    assert created.status_code == 201
    tmf639_validator("EventSubscription").validate(created.json())
    sub_id = created.json()["id"]
    assert created.headers["Location"].endswith(f"{BASE}/hub/{sub_id}")
    alarm_hub = client.post("/tmf-api/alarm/v4/hub", json={"callback": "http://127.0.0.1:1/alarms"})
    listed = client.get(f"{BASE}/hub")
    tmf639_validator("EventSubscription", True).validate(listed.json())
    assert [s["id"] for s in listed.json()] == [sub_id] and listed.headers["X-Total-Count"] == "1"
    assert client.get(f"{BASE}/hub/{sub_id}").json() == created.json()
    assert client.get(f"{BASE}/hub/{alarm_hub.json()['id']}").status_code == 404  # another API's listener
    for bad in (
        {"callback": "ftp://x"},
        {"callback": "http://127.0.0.1:1/cb", "query": "eventType=AlarmCreateEvent"},
        {"callback": "http://127.0.0.1:1/cb", "query": "no pairs here"},
        {"query": "eventType=ResourceCreateEvent"},
    ):
        refused = client.post(f"{BASE}/hub", json=bad)
        assert refused.status_code == 400, bad
        tmf639_validator("Error").validate(refused.json())
    assert client.delete(f"{BASE}/hub/{sub_id}").status_code == 204
    gone = client.delete(f"{BASE}/hub/{sub_id}")
    assert gone.status_code == 404
    tmf639_validator("Error").validate(gone.json())
    assert client.get(f"{BASE}/hub").json() == []


def received(receiver: Receiver, path: str, tmf639_validator: Validator) -> list[dict[str, Any]]:
    """The notifications a listener got, each validated against its TMF639 event schema."""
    events = receiver.got(path)
    for event in events:
        tmf639_validator(event["eventType"]).validate(event)
        tmf639_validator("Resource").validate(event["event"]["resource"])
    return events


def test_listeners_get_every_resource_change_in_order(
    agent: Agent,
    client: TestClient,
    network: FakeNetwork,
    receiver: Receiver,
    tmf639_validator: Validator,
    tmp_path: Path,
) -> None:
    for path, query in (("all", None), ("states", "eventType=ResourceStateChangeEvent&category=interface")):
        body = {"callback": receiver.url(path), **({"query": query} if query else {})}
        assert client.post(f"{BASE}/hub", json=body).status_code == 201
    store = HubStore(make_session_factory(agent.engine), hub=RESOURCE_HUB)
    r1 = network.devices["r1"]

    async def scenario() -> None:
        await discover_all(agent)  # creates r1, r2, their interfaces and r1's adjacencies
        await agent.bus.handle(
            ProcessFaultSignals(
                (
                    FaultSignal(
                        "r1",
                        "linkDown",
                        "r1:eth1|linkDown",
                        True,
                        "trap",
                        T0,
                        signals.link_down_spec("r1", "eth1", "t"),
                    ),
                    FaultSignal(
                        "r2", "unreachable", "r2|unreachable", True, "poll", T0, signals.unreachable_spec("r2", "x")
                    ),
                )
            )
        )
        await agent.bus.handle(RaiseAlarm(AlarmSpec("x|y", "r1", AlarmType.EQUIPMENT, "z", Severity.MINOR), T0))
        r1.interfaces[0] = replace(r1.interfaces[0], description="uplink to the core")
        await discover_all(agent)
        (tmp_path / "inventory.yaml").write_text(INVENTORY.split("  - {name: r2")[0])  # r2 leaves the inventory
        await discover_all(agent)
        HubStore(make_session_factory(agent.engine)).fan_out()  # TMF642's hub: its listeners, none here
        await deliver_pending(store)

    asyncio.run(scenario())
    events = received(receiver, "all", tmf639_validator)
    seen = [
        (e["eventType"].removeprefix("Resource").removesuffix("Event"), e["event"]["resource"]["id"]) for e in events
    ]
    created = [rid for kind, rid in seen if kind == "Create"]
    assert created[:2] == ["r1", "r2"]  # the inventory sync, before discovery found their parts
    assert set(created) == {
        "r1",
        "r2",
        "r1:eth0",
        "r1:eth1",
        "r2:eth0",
        "r2:eth1",
        "r1|bgp|192.0.2.2",
        "r1|ospf|10.0.0.1",
    }
    by_kind = {
        kind: [e for e in events if e["eventType"] == f"Resource{kind}Event"]
        for kind in ("StateChange", "AttributeValueChange", "Delete")
    }
    states = [
        (e["event"]["resource"]["id"], e["event"]["resource"]["operationalState"]) for e in by_kind["StateChange"]
    ]
    # r1 and r2 answer their first discovery; the faults; the next discovery finds both well again
    assert states == [
        ("r1", "enable"),
        ("r2", "enable"),
        ("r1:eth1", "disable"),
        ("r2", "disable"),
        ("r1:eth1", "enable"),
        ("r2", "enable"),
    ]
    described = [e for e in by_kind["AttributeValueChange"] if e["event"]["resource"]["id"] == "r1:eth0"]
    assert [e["fieldPath"] for e in described] == ["description"]
    assert described[0]["event"]["resource"]["description"] == "uplink to the core"
    assert [e["event"]["resource"]["id"] for e in by_kind["Delete"]] == ["r2", "r2:eth0", "r2:eth1"]
    assert seen.index(("Delete", "r2")) > seen.index(("AttributeValueChange", "r1:eth0"))
    assert all("alarm" not in e["event"] for e in events)  # the alarm went to TMF642's hub, not here
    filtered = received(receiver, "states", tmf639_validator)
    assert [(e["event"]["resource"]["id"], e["event"]["resource"]["operationalState"]) for e in filtered] == [
        ("r1:eth1", "disable"),
        ("r1:eth1", "enable"),
    ]
    assert len({e["eventId"] for e in events}) == len(events)
