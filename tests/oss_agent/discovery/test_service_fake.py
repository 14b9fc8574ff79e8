"""discover_all and config versioning over the fake network: no devices, no lab."""

from __future__ import annotations

import asyncio

from adapters import DeviceUnreachableError
from adapters.fake import FakeNetwork
from oss_agent.bootstrap import Agent
from oss_agent.discovery.service import discover_all


def test_discovers_every_device_and_stores_facts_links_config(agent: Agent, fake_network: FakeNetwork) -> None:
    seen: list[tuple[str, int]] = []
    results = asyncio.run(discover_all(agent, progress=lambda r, total: seen.append((r.device, total))))
    assert [r.device for r in results] == ["r1", "r2"]
    assert all(r.ok and r.status == "ok" for r in results), results
    assert sorted(seen) == [("r1", 2), ("r2", 2)]
    assert results[0].config_version == 1 and results[0].config_changed
    with agent.uow as uow:
        device = uow.devices.get("r1")
        assert device is not None
        assert (device.vendor, device.model, device.serial) == ("Fake", "fake-1", "SN-r1")
        assert set(device.interfaces) == {"eth0", "eth1"}
        assert [link.key for link in uow.links.list()] == ["r1:eth0--r2:eth0"]
        assert {n.protocol for _, n in uow.discovery.neighbors("r1")} == {"lldp", "ospf"}
        kinds = [kind for kind, _, _ in uow.changes.for_device("r1")]
        assert "LldpNeighborAppeared" in kinds and "RoutingAdjacencyChanged" in kinds
        assert "ConfigurationVersioned" in kinds


def test_one_failing_device_is_reported_and_the_others_succeed(agent: Agent, fake_network: FakeNetwork) -> None:
    fake_network.devices["r2"].fail_with = DeviceUnreachableError("no route", device="r2")
    results = {r.device: r for r in asyncio.run(discover_all(agent))}
    assert results["r1"].ok
    assert not results["r2"].ok and results["r2"].status == "failed"
    assert results["r2"].error is not None and "no route" in results["r2"].error
    with agent.uow as uow:
        status = uow.discovery.statuses()
        assert status["r2"].last_error and status["r2"].last_success_at is None
        assert status["r1"].last_error is None


def test_neighbour_and_adjacency_changes_are_history(agent: Agent, fake_network: FakeNetwork) -> None:
    asyncio.run(discover_all(agent))
    state = fake_network.devices["r1"]
    state.lldp = []
    state.routing = [type(state.routing[0])("ospf", "10.0.0.0", "Init/DROther", False, interface="eth0")]
    asyncio.run(discover_all(agent))
    with agent.uow as uow:
        changes = [(kind, detail) for kind, detail, _ in uow.changes.for_device("r1")]
        assert ("LldpNeighborLost", {"interface": "eth0", "remote_device": "r2", "remote_port": "eth0"}) in changes
        adjacency = [d for k, d in changes if k == "RoutingAdjacencyChanged"]
        assert adjacency[-1] == {"protocol": "ospf", "neighbor": "10.0.0.0", "old": "Full/DR", "new": "Init/DROther"}
        # r2 still sees r1 on eth0, so the link stays until r2 loses it as well
        assert [link.key for link in uow.links.list()] == ["r1:eth0--r2:eth0"]
