"""Pure parts of discovery: crawl decisions, change rules, and the SVG picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from adapters import DeviceTarget, LldpNeighbor, Secret, SnmpAccess
from oss_agent.discovery.crawl import candidates, device_name
from oss_agent.discovery.svg import ADJACENCY, DOWN, render_svg
from oss_agent.domain.discovery import AddressState, FactsState, NeighborState, address_changes, facts_changes
from oss_agent.domain.events import DeviceFactsChanged, InterfaceAddressAdded, InterfaceAddressRemoved

SNMP = SnmpAccess("v2c", community=Secret("c"))


def test_crawl_follows_new_neighbours_inside_the_subnets_only() -> None:
    source = DeviceTarget("pe1", "10.0.0.11", "frr", snmp=SNMP)
    neighbours = [
        LldpNeighbor("eth1", "p1.example.net", "eth1", remote_management_address="10.0.0.13"),
        LldpNeighbor("eth2", "pe2", "eth2", remote_management_address="10.0.0.12"),  # known by host
        LldpNeighbor("eth3", "far", "eth1", remote_management_address="192.0.2.9"),  # outside
        LldpNeighbor("eth4", "nomgmt", "eth1"),
        LldpNeighbor("eth5", "p1", "eth9", remote_management_address="10.0.0.13"),  # already queued
    ]
    found = candidates(source, neighbours, ["10.0.0.0/24"], {"pe1"}, {"10.0.0.11", "10.0.0.12"})
    assert [(c.target.name, c.target.host, c.target.platform, c.found_from) for c in found] == [
        ("p1", "10.0.0.13", "linux", "pe1")
    ]
    assert found[0].target.snmp == SNMP
    assert candidates(source, neighbours, [], set(), set()) == []
    assert device_name("", "10.0.0.9") == "host-10-0-0-9"


def test_change_rules() -> None:
    old = FactsState("FRRouting", "FRR", "8.4.4", "")
    assert facts_changes("r1", old, FactsState("FRRouting", "FRR", "8.4.5", "")) == [
        DeviceFactsChanged("r1", "os_version", "8.4.4", "8.4.5")
    ]
    assert facts_changes("r1", old, FactsState("", "", "", "")) == []
    assert address_changes("r1", [AddressState("eth1", "10.0.0.1/31")], [AddressState("eth1", "10.0.0.3/31")]) == [
        InterfaceAddressRemoved("r1", "eth1", "10.0.0.1/31"),
        InterfaceAddressAdded("r1", "eth1", "10.0.0.3/31"),
    ]
    assert NeighborState("lldp", "p1", "eth1", "eth1").family == "lldp"
    assert NeighborState("bgp", "10.0.0.2").key == "10.0.0.2"


def test_svg_is_well_formed_and_names_every_device() -> None:
    nodes = [{"name": n, "role": r, "host": "h"} for n, r in (("a<1>", "p"), ("b", "pe"), ("c", "cpe"), ("x", ""))]
    links = [{"a": "a<1>", "a_interface": "Gi0/1", "b": "b", "b_interface": "eth1"}]
    svg = render_svg({"nodes": nodes, "links": links})
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input
    texts = {el.text for el in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"a<1>", "b", "c", "x", "Gi0/1", "eth1"} <= texts
    assert render_svg({"nodes": nodes, "links": links}) == svg
    ET.fromstring(render_svg({"nodes": [], "links": []}))  # noqa: S314 - our own output


def test_svg_draws_each_adjacency_once_and_red_while_either_end_sees_it_down() -> None:
    nodes = [{"name": n, "role": "pe", "host": "h"} for n in ("a", "b")]
    adjacencies = [
        {"device": "a", "peer": "b", "protocol": "bgp", "up": True},
        {"device": "b", "peer": "a", "protocol": "bgp", "up": False},
        {"device": "a", "peer": "b", "protocol": "ospf", "up": True},
        {"device": "a", "peer": None, "protocol": "ospf", "up": True},  # a neighbour that is no device of ours
    ]
    root = ET.fromstring(render_svg({"nodes": nodes, "links": [], "adjacencies": adjacencies}))  # noqa: S314
    paths = {
        p.findtext("{http://www.w3.org/2000/svg}title"): p.get("stroke")
        for p in root.iter("{http://www.w3.org/2000/svg}path")
    }
    assert paths == {"bgp a - b": DOWN, "ospf a - b": ADJACENCY["ospf"][0]}
