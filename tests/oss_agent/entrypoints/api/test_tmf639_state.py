"""TMF639 resources follow what polls and traps observe between discoveries, routing adjacencies are
resources, and every alarm's ``alarmedObject`` (and ``affectedResource``) resolves to one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.snmp import ber, mib
from adapters.snmp.traps import Notification
from oss_agent.bootstrap import Agent
from oss_agent.discovery.service import discover_all
from oss_agent.domain.commands import ProcessFaultSignals, RecordPolledInterfaces
from oss_agent.domain.fault import FaultSignal
from oss_agent.domain.model import InterfaceState
from oss_agent.entrypoints.api import create_app
from oss_agent.fault import signals
from oss_agent.performance.thresholds import DEFAULT_RULES, Crossing
from oss_agent.storage.repository import DeviceRepository
from oss_agent.storage.resource_outbox import ResourceOutbox

from .conftest import Validator
from .fake_routers import discovered_agent, fake_network

BASE = "/tmf-api/resourceInventoryManagement/v4"
ALARMS = "/tmf-api/alarm/v4"
T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
IF2 = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 2)  # ifIndex 2: eth1


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    wired = discovered_agent(tmp_path, fake_network())
    yield wired
    wired.close()


@pytest.fixture
def client(agent: Agent) -> Iterator[TestClient]:
    with TestClient(create_app(agent)) as test_client:
        yield test_client


def apply(agent: Agent, *found: FaultSignal) -> None:
    asyncio.run(agent.bus.handle(ProcessFaultSignals(found)))


def trap(device: str, oid: ber.Oid, *varbinds: ber.VarBind) -> FaultSignal:
    note = Notification("127.0.0.11", 161, "v2c", "c", oid, 100, varbinds, False, T0.timestamp())
    return signals.classify(note, device, T0, lambda _device, index: {1: "eth0", 2: "eth1"}.get(index))


def state(client: TestClient, resource_id: str) -> tuple[str, str, str | None]:
    body = client.get(f"{BASE}/resource/{resource_id}").json()
    return body["resourceStatus"], body.get("operationalState"), body.get("administrativeState")


def test_a_device_s_state_follows_its_polls(agent: Agent, client: TestClient, tmf639_validator: Validator) -> None:
    assert state(client, "r1") == ("available", "enable", "unlocked")
    key = signals.unreachable_key("r1")
    apply(agent, FaultSignal("r1", "unreachable", key, True, "poll", T0, signals.unreachable_spec("r1", "timeout")))
    body = client.get(f"{BASE}/resource/r1").json()
    tmf639_validator("Resource").validate(body)
    assert (body["resourceStatus"], body["operationalState"]) == ("alarm", "disable")
    apply(agent, FaultSignal("r1", "reachable", key, False, "poll", T0))
    assert state(client, "r1") == ("available", "enable", "unlocked")


def test_an_interface_s_state_follows_traps_and_polls(agent: Agent, client: TestClient) -> None:
    apply(agent, trap("r1", mib.LINK_DOWN, (IF2, ber.TAG_INTEGER, 2)))
    assert state(client, "r1:eth1") == ("alarm", "disable", "unlocked")
    apply(agent, trap("r1", mib.LINK_UP, (IF2, ber.TAG_INTEGER, 2)))
    assert state(client, "r1:eth1") == ("available", "enable", "unlocked")
    shut = trap("r1", mib.LINK_DOWN, (IF2, ber.TAG_INTEGER, 2), ((*signals.IF_ADMIN, 2), ber.TAG_INTEGER, 2))
    apply(agent, shut)
    assert state(client, "r1:eth1") == ("suspended", "disable", "locked")
    polled = (
        InterfaceState("eth0", 1, "", "ethernetCsmacd", 10**9, 1500, None, True, "up"),
        InterfaceState("eth1", 2, "", "ethernetCsmacd", 10**9, 1500, None, True, "lowerLayerDown"),
        InterfaceState("eth7", 7, "", "ethernetCsmacd", 10**9, 1500, None, True, "up"),  # new since discovery
    )
    asyncio.run(agent.bus.handle(RecordPolledInterfaces("r1", T0, polled)))
    body = client.get(f"{BASE}/resource/r1:eth1").json()
    assert (body["operationalState"], body["administrativeState"]) == ("disable", "unlocked")
    assert {"name": "operStatus", "value": "lowerLayerDown", "valueType": "string"} in body["resourceCharacteristic"]
    assert state(client, "r1:eth7") == ("available", "enable", "unlocked")
    with agent.uow as uow:
        kinds = [k for k, _, _ in uow.changes.for_device("r1")]
    assert kinds.count("InterfaceStatusChanged") == 4 and kinds.count("InterfaceAdminStateChanged") == 2


def test_routing_adjacencies_are_resources_whose_state_follows_traps(
    agent: Agent, client: TestClient, tmf639_validator: Validator
) -> None:
    listed = client.get(f"{BASE}/resource", params={"category": "routingAdjacency"}).json()
    tmf639_validator("Resource", True).validate(listed)
    assert [r["id"] for r in listed] == ["r1|bgp|192.0.2.2", "r1|ospf|10.0.0.1"]
    ospf = {r["id"]: r for r in listed}["r1|ospf|10.0.0.1"]
    relations = {(r["relationshipType"], r["resource"]["id"]) for r in ospf["resourceRelationship"]}
    assert relations == {("isContainedIn", "r1"), ("reliesOn", "r1:eth1")}  # eth1's subnet holds the neighbour
    device = client.get(f"{BASE}/resource/r1").json()
    assert {"r1|bgp|192.0.2.2", "r1|ospf|10.0.0.1"} <= {r["resource"]["id"] for r in device["resourceRelationship"]}
    peer = ((*signals.BGP_PEER_REMOTE_ADDR, 192, 0, 2, 2), ber.TAG_IPADDRESS, bytes([192, 0, 2, 2]))
    apply(agent, trap("r1", mib.BGP_BACKWARD_TRANSITION, peer))
    assert state(client, "r1|bgp|192.0.2.2") == ("alarm", "disable", "unlocked")
    apply(agent, trap("r1", mib.BGP_ESTABLISHED, peer))
    assert state(client, "r1|bgp|192.0.2.2") == ("available", "enable", "unlocked")


def alarm_kinds() -> list[FaultSignal]:
    """A signal raising each kind of alarm the agent produces, built by the code that builds them."""
    ospf = ((*signals.OSPF_NBR_STATE, 10, 0, 0, 1, 0), ber.TAG_INTEGER, 1)
    unknown_peer = ((*signals.BGP_PEER_REMOTE_ADDR, 192, 0, 2, 9), ber.TAG_IPADDRESS, bytes([192, 0, 2, 9]))
    crossing = Crossing(True, DEFAULT_RULES[0], "r2", "eth0", 97.5)
    return [
        trap("r1", mib.LINK_DOWN, (IF2, ber.TAG_INTEGER, 2)),
        trap("r2", mib.LINK_DOWN, (IF2, ber.TAG_INTEGER, 2), ((*signals.IF_ADMIN, 2), ber.TAG_INTEGER, 2)),
        FaultSignal("r2", "operDown", "r2:eth0|linkDown", True, "poll", T0, signals.link_down_spec("r2", "eth0", "p")),
        FaultSignal("r2", "unreachable", "r2|unreachable", True, "poll", T0, signals.unreachable_spec("r2", "x")),
        trap("r1", mib.AUTHENTICATION_FAILURE),
        trap("r1", mib.BGP_BACKWARD_TRANSITION, unknown_peer),  # a session discovery has not seen yet
        trap("r1", mib.OSPF_NBR_STATE_CHANGE, ospf),
        FaultSignal(
            "r1",
            "bgpNeighborDown",
            "r1|bgp|192.0.2.2",
            True,
            "poll",
            T0,
            signals.routing_spec("r1", "bgp", "192.0.2.2", "seen by polling"),
        ),
        crossing.signal(T0),
    ]


def test_every_alarm_refers_to_resources_that_exist(
    agent: Agent, client: TestClient, tmf639_validator: Validator
) -> None:
    apply(agent, *alarm_kinds())
    alarms: list[dict[str, Any]] = client.get(f"{ALARMS}/alarm").json()
    causes = {a["probableCause"] for a in alarms}
    assert causes == {
        "linkDown",
        "lossOfSignal",
        "authenticationFailure",
        "bgpNeighborDown",
        "ospfNeighborDown",
        "thresholdCrossed",
    }
    assert len(alarms) == len(alarm_kinds())
    for alarm in alarms:
        for ref in [alarm["alarmedObject"], *alarm["affectedResource"]]:
            response = client.get(ref["href"])
            assert response.status_code == 200, (alarm["probableCause"], ref)
            tmf639_validator("Resource").validate(response.json())
            assert response.json()["id"] == ref["id"]


def test_an_adjacency_gone_from_the_device_stays_while_its_alarm_is_open(tmp_path: Path) -> None:
    network = fake_network()
    agent = discovered_agent(tmp_path, network)
    try:
        ospf = ((*signals.OSPF_NBR_STATE, 10, 0, 0, 1, 0), ber.TAG_INTEGER, 1)
        apply(agent, trap("r1", mib.OSPF_NBR_STATE_CHANGE, ospf))
        network.devices["r1"].routing = network.devices["r1"].routing[1:]  # the dead neighbour leaves the table
        asyncio.run(discover_all(agent))
        with TestClient(create_app(agent)) as client:
            assert state(client, "r1|ospf|10.0.0.1") == ("alarm", "disable", "unlocked")
            apply(agent, trap("r1", mib.OSPF_NBR_STATE_CHANGE, (ospf[0], ber.TAG_INTEGER, 8)))  # Full again
            asyncio.run(discover_all(agent))  # cleared, and still not in the table: gone
            assert client.get(f"{BASE}/resource/r1|ospf|10.0.0.1").status_code == 404
            assert [
                r["id"] for r in client.get(f"{BASE}/resource", params={"category": "routingAdjacency"}).json()
            ] == ["r1|bgp|192.0.2.2"]
    finally:
        agent.close()


def test_a_failing_outbox_write_stores_no_change_and_no_history(
    agent: Agent, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> int:
        raise RuntimeError("outbox unavailable")

    with agent.uow as uow:
        history = len(uow.changes.for_device("r1"))
    monkeypatch.setattr(ResourceOutbox, "record", broken)
    report = asyncio.run(agent.bus.handle(ProcessFaultSignals((trap("r1", mib.LINK_DOWN, (IF2, ber.TAG_INTEGER, 2)),))))
    assert report.result.dropped == 1  # the batch's one signal could not be stored: dropped alone, counted
    assert state(client, "r1:eth1") == ("available", "enable", "unlocked")
    with agent.uow as uow:
        assert len(uow.changes.for_device("r1")) == history
        assert uow.alarms.list() == []  # the alarm of that batch is not stored either


def test_signals_repeating_what_is_stored_load_no_device(
    agent: Agent, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = trap("r1", mib.LINK_DOWN, (IF2, ber.TAG_INTEGER, 2))
    apply(agent, down)

    def loaded(*args: object) -> dict[str, object]:
        raise AssertionError("a storm of repeats loaded a device")

    monkeypatch.setattr(DeviceRepository, "get_many", loaded)
    apply(agent, *[down] * 50, FaultSignal("r1", "reachable", "r1|unreachable", False, "poll", T0))
    assert state(client, "r1:eth1") == ("alarm", "disable", "unlocked")
