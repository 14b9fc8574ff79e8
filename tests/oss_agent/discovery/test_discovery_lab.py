"""Discovery against the real lab: what the agent stores must match what the namespaces report."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from lab import faults
from lab.pytest_plugin import LabHandle
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings, load_inventory
from oss_agent.discovery.service import DeviceDiscoveryResult, discover_all
from oss_agent.discovery.topology import load_topology

pytestmark = pytest.mark.lab

DEVICES = ("pe1", "pe2", "p1", "ce1", "ce2")
LINKS = {  # lab/topologies/default.yaml
    "p1:eth1--pe1:eth1",
    "p1:eth2--pe2:eth1",
    "pe1:eth2--pe2:eth2",
    "ce1:eth1--pe1:eth3",
    "ce2:eth1--pe2:eth3",
}


def make_agent(lab: LabHandle, data_dir: Path) -> tuple[Agent, BlockingRunner]:
    runner = BlockingRunner(8)
    settings = AgentSettings(data_dir=data_dir, inventory_file=lab.options.inventory_path, device_timeout_s=8)
    return bootstrap(settings, registry=build_registry(runner), upgrade_schema=True), runner


@pytest.fixture(scope="module")
def discovered(lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Agent, dict[str, Any]]]:
    faults.wait_converged(lab.options)
    agent, runner = make_agent(lab, tmp_path_factory.mktemp("discovery"))
    started = time.monotonic()
    results = asyncio.run(discover_all(agent))
    elapsed = time.monotonic() - started
    try:
        yield agent, {"results": {r.device: r for r in results}, "elapsed": elapsed}
    finally:
        agent.close()
        runner.shutdown()


def ns(lab: LabHandle, device: str) -> str:
    return f"{lab.options.prefix}-{device}"


def vtysh_json(lab: LabHandle, device: str, command: str) -> Any:
    vty = lab.options.run_dir / device / "frr"
    out = subprocess.run(
        ["ip", "netns", "exec", ns(lab, device), "vtysh", "--vty_socket", str(vty), "-c", command],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    return json.loads(out)


def test_every_device_is_discovered(discovered: tuple[Agent, dict[str, Any]]) -> None:
    _, data = discovered
    results: dict[str, DeviceDiscoveryResult] = data["results"]
    assert set(results) == set(DEVICES)
    for name, result in results.items():
        assert result.ok and result.status == "ok", (name, result.errors)
    for router in ("pe1", "pe2", "p1"):
        assert results[router].config_version == 1, results[router].skipped
    print(f"discovery of {len(results)} devices took {data['elapsed']:.2f} s")


def test_addresses_match_ip_addr_in_the_namespaces(lab: LabHandle, discovered: tuple[Agent, dict[str, Any]]) -> None:
    agent, _ = discovered
    with agent.uow as uow:
        stored = uow.discovery.all_addresses()
        devices = {d.name: d for d in uow.devices.list()}
    for name in DEVICES:
        out = subprocess.run(["ip", "-n", ns(lab, name), "-j", "addr"], capture_output=True, text=True, check=True)
        expected = {
            (link["ifname"], f"{a['local']}/{a['prefixlen']}")
            for link in json.loads(out.stdout)
            for a in link.get("addr_info", [])
            if a.get("family") == "inet"
        }
        assert {(a.interface, a.address) for a in stored.get(name, []) if ":" not in a.address} == expected, name
        names = {link["ifname"] for link in json.loads(out.stdout)}
        assert set(devices[name].interfaces) == names, name


def test_ospf_and_bgp_neighbours_match_vtysh(lab: LabHandle, discovered: tuple[Agent, dict[str, Any]]) -> None:
    agent, _ = discovered
    with agent.uow as uow:
        neighbors = uow.discovery.neighbors()
    for router in ("pe1", "pe2", "p1"):
        ospf = vtysh_json(lab, router, "show ip ospf neighbor json")["neighbors"]
        expected_ospf = {entry[0]["ifaceAddress"] for entry in ospf.values()}
        stored = {n.neighbor for d, n in neighbors if d == router and n.protocol == "ospf"}
        assert stored == expected_ospf or stored == set(ospf), (router, stored, ospf)
        bgp = vtysh_json(lab, router, "show bgp ipv4 unicast summary json").get("peers", {})
        stored_bgp = {n.neighbor: n.state for d, n in neighbors if d == router and n.protocol == "bgp"}
        assert set(stored_bgp) == set(bgp), router
        assert all(state.lower() == "established" for state in stored_bgp.values()), stored_bgp


def test_the_result_counts_every_stored_adjacency(discovered: tuple[Agent, dict[str, Any]]) -> None:
    agent, data = discovered
    results: dict[str, DeviceDiscoveryResult] = data["results"]
    with agent.uow as uow:
        neighbors = uow.discovery.neighbors()
    for router in ("pe1", "pe2", "p1"):
        stored = [n for d, n in neighbors if d == router and n.protocol != "lldp"]
        assert results[router].routing_neighbors == len(stored) == 4, router  # 2 BGP (NAPALM) + 2 OSPF (SNMP)


def test_interface_descriptions_are_frr_s_own(lab: LabHandle, discovered: tuple[Agent, dict[str, Any]]) -> None:
    agent, _ = discovered
    with agent.uow as uow:
        devices = {d.name: d for d in uow.devices.list()}
    for router in ("pe1", "pe2", "p1"):
        frr = vtysh_json(lab, router, "show interface json")
        expected = {name: str(raw.get("description", "")) for name, raw in frr.items()}
        assert {n: i.description for n, i in devices[router].interfaces.items()} == expected, router
        assert expected["eth1"].startswith("core link to")


def test_a_cpe_os_version_is_its_kernel_release(lab: LabHandle, discovered: tuple[Agent, dict[str, Any]]) -> None:
    agent, _ = discovered
    with agent.uow as uow:
        devices = {d.name: d for d in uow.devices.list()}
    for cpe in ("ce1", "ce2"):
        release = subprocess.run(
            ["ip", "netns", "exec", ns(lab, cpe), "uname", "-r"], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert devices[cpe].os_version == f"Linux {release}", cpe


def test_links_from_lldp_match_the_lab_topology(discovered: tuple[Agent, dict[str, Any]]) -> None:
    agent, _ = discovered
    with agent.uow as uow:
        keys = {link.key for link in uow.links.list()}
    assert keys == LINKS
    topology = load_topology(agent.uow)
    assert [n["name"] for n in topology["nodes"]] == sorted(DEVICES)


def test_a_dead_device_fails_alone(lab: LabHandle, tmp_path: Path) -> None:
    agent, runner = make_agent(lab, tmp_path)
    faults.kill_device(lab.options, "ce2")
    try:
        results = {r.device: r for r in asyncio.run(discover_all(agent))}
    finally:
        faults.revive_device(lab.options, "ce2")
        agent.close()
        runner.shutdown()
    assert not results["ce2"].ok and results["ce2"].error
    assert all(results[name].ok for name in DEVICES if name != "ce2"), {n: r.errors for n, r in results.items()}


def test_crawl_finds_devices_missing_from_the_inventory(lab: LabHandle, tmp_path: Path) -> None:
    data = yaml.safe_load(lab.options.inventory_path.read_text())
    data["devices"] = [d for d in data["devices"] if d["name"] == "pe1"]
    small = tmp_path / "inventory.yaml"
    small.write_text(yaml.safe_dump(data))
    before = small.read_text()
    agent, runner = make_agent(lab, tmp_path)
    try:
        results = asyncio.run(discover_all(agent, load_inventory(small), crawl_subnets=[lab.options.mgmt_subnet]))
        with agent.uow as uow:
            stored = {d.name: d for d in uow.devices.list()}
    finally:
        agent.close()
        runner.shutdown()
    by_name = {r.device: r for r in results}
    assert set(by_name) == set(DEVICES), by_name
    assert by_name["pe1"].origin == "inventory"
    assert by_name["ce1"].origin == "crawl" and by_name["ce1"].found_from == "pe1"
    assert all(r.ok for r in results), {r.device: r.errors for r in results}
    assert stored["p1"].platform == "linux" and "discovered" in stored["p1"].tags
    assert small.read_text() == before
