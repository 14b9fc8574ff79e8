"""A small discovered network for the TMF639 tests: two fake routers, cabled and adjacent.

r1 eth1 (10.0.0.0/31) faces r2 eth1 (10.0.0.1/31); LLDP sees the cable from both ends, r1 has an OSPF
adjacency to 10.0.0.1 and a BGP session to r2's loopback 192.0.2.2.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import replace
from pathlib import Path

from adapters import DriverRegistry, InterfaceAddress, LldpNeighbor, RoutingNeighbor
from adapters.fake import FakeNetwork
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.discovery.service import discover_all

INVENTORY = """devices:
  - {name: r1, host: 127.0.0.11, platform: frr, role: pe}
  - {name: r2, host: 127.0.0.12, platform: frr, role: pe}
"""


def fake_network() -> FakeNetwork:
    network = FakeNetwork()
    for name, me, other in (("r1", 0, "r2"), ("r2", 1, "r1")):
        state = network.add(name, interfaces=2, running=f"hostname {name}\n")
        address = InterfaceAddress(ipaddress.ip_interface(f"10.0.0.{me}/31"))
        loopback = InterfaceAddress(ipaddress.ip_interface(f"192.0.2.{me + 1}/32"))
        first, second = state.interfaces
        state.interfaces = [replace(first, addresses=(loopback,)), replace(second, addresses=(address,))]
        state.lldp = [LldpNeighbor("eth1", other, "eth1")]
    network.devices["r1"].routing = [
        RoutingNeighbor("ospf", "10.0.0.1", "Full/DR", True),
        RoutingNeighbor("bgp", "192.0.2.2", "Established", True),
    ]
    return network


def make_agent(tmp_path: Path, network: FakeNetwork) -> Agent:
    registry = DriverRegistry()
    network.register(registry)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY)
    settings = AgentSettings(data_dir=tmp_path, inventory_file=inventory)
    return bootstrap(settings, registry=registry, upgrade_schema=True)


def discovered_agent(tmp_path: Path, network: FakeNetwork) -> Agent:
    agent = make_agent(tmp_path, network)
    asyncio.run(discover_all(agent))
    return agent
