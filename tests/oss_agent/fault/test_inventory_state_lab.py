"""The resource inventory follows the real lab between discoveries: TMF639 shows a link that went down
as disabled while its alarm is open (and enabled again once it is back), a killed device as disabled
beside its critical alarm, a lost OSPF adjacency as a resource its alarm points at; TMF639's hub tells
a listener each change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from adapters.snmp.traps import TrapReceiver
from lab import faults, shell
from lab.bringup import namespace
from lab.pytest_plugin import LabHandle
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings, load_inventory
from oss_agent.discovery.service import discover_all
from oss_agent.entrypoints.api import create_app
from oss_agent.fault.hub import Dispatcher
from oss_agent.fault.hub.store import HubStore
from oss_agent.fault.hub.tmf639 import RESOURCE_HUB
from oss_agent.fault.pipeline import FaultPipeline, InterfaceNames
from oss_agent.performance.poller import Poller
from oss_agent.performance.store import PerfStore
from oss_agent.storage.engine import make_session_factory

from .test_fault_lab import alarm, until
from .test_hub import FAST, Receiver

pytestmark = pytest.mark.lab

RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"


@asynccontextmanager
async def running_agent(lab: LabHandle, tmp_path: Path) -> AsyncIterator[tuple[Agent, Poller, TestClient]]:
    """What ``oss-agent run`` wires, on the lab: discovery done, polls on demand, traps and the hub live."""
    runner = BlockingRunner(8)
    settings = AgentSettings(data_dir=tmp_path, inventory_file=lab.options.inventory_path, device_timeout_s=8)
    agent = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True)
    inventory = load_inventory(lab.options.inventory_path)
    targets = {n: inventory.target(n) for n in inventory.names()}
    names = InterfaceNames(agent.uow)
    poller = Poller(targets, PerfStore(agent.engine), bus=agent.bus, names=names, poll_timeout_s=3.0)
    host, port = lab.trap_address
    receiver = TrapReceiver(host, port, communities=[lab.secrets.snmp_ro])
    stop = asyncio.Event()
    dispatcher = Dispatcher(HubStore(make_session_factory(agent.engine), hub=RESOURCE_HUB), FAST)
    task: asyncio.Task[None] | None = None
    try:
        await discover_all(agent)
        await receiver.start()
        pipeline = FaultPipeline(agent.bus, receiver, {t.host: n for n, t in targets.items()}, names)
        task = asyncio.create_task(pipeline.run(stop))
        dispatcher.start()
        with TestClient(create_app(agent)) as client:
            yield agent, poller, client
    finally:
        stop.set()
        if task is not None:
            await task
        await dispatcher.stop()
        receiver.close()
        poller.manager.close()
        agent.close()
        runner.shutdown()


def states(client: TestClient, resource_id: str) -> tuple[str, str]:
    body = client.get(f"{RESOURCES}/{resource_id}").json()
    return body.get("resourceStatus", "?"), body.get("operationalState", "?")


def ospf_alarm(client: TestClient) -> dict[str, Any] | None:
    alarms = client.get("/tmf-api/alarm/v4/alarm", params={"probableCause": "ospfNeighborDown"}).json()
    active = [a for a in alarms if a["state"] != "cleared" and a["alarmedObject"]["id"].startswith("pe1|ospf|")]
    return active[0] if active else None


async def whole(lab: LabHandle, client: TestClient, poller: Poller, resource_id: str, timeout_s: float = 20.0) -> None:
    """Wait until TMF639 shows ``resource_id`` available and enabled, polling its device as the
    running agent does: the lab as the tests before left it. In two CI runs the port showed down
    at this point (once it came back as polled), the cause unknown; if it stays so, the failure says
    what the alarms and the devices' links were."""
    device = resource_id.split(":")[0]
    try:
        await until(
            f"{resource_id} available",
            lambda: states(client, resource_id) == ("available", "enable"),
            timeout_s,
            lambda: poller.poll(device),
        )
    except AssertionError as exc:
        alarms = [
            (a["alarmedObject"]["id"], a["probableCause"], a["state"], a.get("alarmRaisedTime"))
            for a in client.get("/tmf-api/alarm/v4/alarm").json()
        ]
        links = await asyncio.to_thread(_links, lab)
        shown = f"{str(exc).splitlines()[0]}: it is {states(client, resource_id)}"
        raise AssertionError(f"{shown}; alarms {alarms}; links {links}") from None


def _links(lab: LabHandle) -> dict[str, str]:
    return {
        name: shell.run(["ip", "-n", namespace(lab.options, name), "-br", "link"], check=False).stdout
        for name in ("pe1", "pe2", "p1")
    }


def state_events(receiver: Receiver, resource_id: str) -> list[str]:
    return [
        e["event"]["resource"]["operationalState"]
        for e in receiver.got("states")
        if e["event"]["resource"]["id"] == resource_id
    ]


def test_a_link_down_shows_in_tmf639_with_its_alarms_and_recovers(lab: LabHandle, tmp_path: Path) -> None:
    receiver = Receiver()
    receiver.up()

    async def scenario() -> None:
        async with running_agent(lab, tmp_path) as (agent, poller, client):
            await poller.poll("pe1")  # learns ifIndex -> name, as the running agent has
            assert await poller.check_routing("pe1") == []
            await whole(lab, client, poller, "pe1:eth2")
            # subscribed now: the changes this test makes are the ones its listener must be told
            HubStore(make_session_factory(agent.engine), hub=RESOURCE_HUB).subscribe(
                receiver.url("states"), "eventType=ResourceStateChangeEvent"
            )
            await asyncio.to_thread(faults.link_down, lab.options, "pe1", "eth2")
            try:
                await until("TMF639 shows pe1:eth2 down", lambda: states(client, "pe1:eth2")[1] == "disable", 10.0)
                assert alarm(agent, "pe1:eth2|linkDown") is not None
                await until("OSPF alarm", lambda: ospf_alarm(client), 20.0, lambda: poller.check_routing("pe1"))
                raised = ospf_alarm(client)
                assert raised is not None
                adjacency = client.get(raised["alarmedObject"]["href"])
                assert adjacency.status_code == 200, raised["alarmedObject"]
                assert (adjacency.json()["category"], adjacency.json()["operationalState"]) == (
                    "routingAdjacency",
                    "disable",
                )
                await poller.poll("pe1")  # a poll while it is down keeps it down (no flap back)
                down = client.get(f"{RESOURCES}/pe1:eth2").json()  # the lab shuts the port: locked, not failed
                assert (down["resourceStatus"], down["operationalState"], down["administrativeState"]) == (
                    "suspended",
                    "disable",
                    "locked",
                )
            finally:
                await asyncio.to_thread(faults.link_up, lab.options, "pe1", "eth2")
            await until("TMF639 shows pe1:eth2 up", lambda: states(client, "pe1:eth2")[1] == "enable", 10.0)
            adjacency_id = raised["alarmedObject"]["id"]
            await until(
                "adjacency up",
                lambda: states(client, adjacency_id)[1] == "enable",
                30.0,
                lambda: poller.check_routing("pe1"),
            )
            for resource in ("pe1:eth2", adjacency_id):  # each change of state, as the listener got them
                await until(f"{resource} events", lambda r=resource: state_events(receiver, r)[-1:] == ["enable"], 10.0)
                seen = state_events(receiver, resource)
                assert [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]] == ["disable", "enable"], seen

    try:
        asyncio.run(scenario())
    finally:
        receiver.close()


def test_a_killed_device_is_disabled_beside_its_critical_alarm(lab: LabHandle, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(lab, tmp_path) as (agent, poller, client):
            await poller.poll("ce2")
            assert states(client, "ce2") == ("available", "enable")
            await asyncio.to_thread(faults.kill_device, lab.options, "ce2")
            try:
                await until(
                    "ce2 unreachable", lambda: alarm(agent, "ce2|unreachable"), 20.0, lambda: poller.poll("ce2")
                )
                root = alarm(agent, "ce2|unreachable")
                assert root is not None and root.severity.value == "critical"
                assert states(client, "ce2") == ("alarm", "disable")
            finally:
                await asyncio.to_thread(faults.revive_device, lab.options, "ce2")
            await until(
                "ce2 back", lambda: states(client, "ce2") == ("available", "enable"), 20.0, lambda: poller.poll("ce2")
            )
            assert alarm(agent, "ce2|unreachable") is None

    asyncio.run(scenario())
