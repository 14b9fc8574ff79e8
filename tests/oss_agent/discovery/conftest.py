"""Fixtures for discovery tests: an agent on a temporary SQLite database with a fake network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters import DriverRegistry, LldpNeighbor, RoutingNeighbor
from adapters.fake import FakeNetwork
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings, Inventory, load_inventory

RUNNING = """Building configuration...

Current configuration : 1234 bytes
!
! Last configuration change at 12:00:01 UTC Mon Nov 23 2026
frr version 8.4.4
frr defaults traditional
hostname {name}
!
interface eth1
 ip address 10.0.0.1/31
!
ntp clock-period 17179869
end
"""


def write_inventory(path: Path, names: list[str]) -> Inventory:
    lines = ["devices:"]
    for i, name in enumerate(names):
        lines.append(f"  - {{name: {name}, host: 127.0.0.{10 + i}, platform: frr, role: pe, site: s1}}")
    path.write_text("\n".join(lines) + "\n")
    return load_inventory(path)


@pytest.fixture
def fake_network() -> FakeNetwork:
    network = FakeNetwork()
    for name in ("r1", "r2"):
        state = network.add(name, interfaces=2, running=RUNNING.format(name=name))
        other = "r2" if name == "r1" else "r1"
        state.lldp = [LldpNeighbor("eth0", other, "eth0", remote_management_address="127.0.0.99")]
        state.routing = [RoutingNeighbor("ospf", "10.0.0.0", "Full/DR", True, interface="eth0")]
    return network


@pytest.fixture
def agent(tmp_path: Path, fake_network: FakeNetwork) -> Iterator[Agent]:
    registry = DriverRegistry()
    fake_network.register(registry)
    settings = AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "inventory.yaml")
    write_inventory(tmp_path / "inventory.yaml", ["r1", "r2"])
    wired = bootstrap(settings, registry=registry, upgrade_schema=True)
    yield wired
    wired.close()
