"""SNMP parsers from a walk recorded on a lab FRR router (pe1): pure functions, no network."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.models import OperStatus
from adapters.snmp import ber, mib, parsers

WALK = Path(__file__).parent / "data" / "frr_pe1.walk.json"


def recorded() -> list[ber.VarBind]:
    out: list[ber.VarBind] = []
    for row in json.loads(WALK.read_text()):
        oid = ber.parse_oid(row["oid"])
        if "hex" in row:
            out.append((oid, row["tag"], bytes.fromhex(row["hex"])))
        elif "value_oid" in row:
            out.append((oid, row["tag"], ber.parse_oid(row["value_oid"])))
        else:
            out.append((oid, row["tag"], row.get("int")))
    return out


VARBINDS = recorded()


def test_facts_from_the_system_group() -> None:
    system = {oid: value for oid, _, value in VARBINDS if oid[: len(mib.SYSTEM)] == mib.SYSTEM}
    facts = parsers.facts(system)
    assert facts.hostname == "pe1"
    assert facts.vendor == "net-snmp"
    assert facts.uptime_s > 0


@pytest.mark.parametrize(
    ("descr", "os_version", "model"),
    [
        (
            "Linux ce1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64",
            "Linux 6.1.0-18-amd64",
            "x86_64",
        ),
        (
            "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE5, RELEASE SOFTWARE (fc1)\r\n"
            "Technical Support: http://www.cisco.com/techsupport\r\nCopyright (c) 1986-2012 by Cisco Systems, Inc.",
            "IOS 12.2(55)SE5",
            "",
        ),
        (
            "Cisco IOS Software [Amsterdam], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.3.4, RELEASE",
            "IOS 17.3.4",
            "",
        ),
        (
            "Cisco IOS XR Software (Cisco ASR9K Series), Version 6.1.4[Default]\r\nCopyright (c) 2017",
            "IOS XR 6.1.4",
            "",
        ),
        ("Cisco NX-OS(tm) n9000, Software (n9000-dk9), Version 9.3(8), RELEASE SOFTWARE Copyright", "NX-OS 9.3(8)", ""),
        (
            "Juniper Networks, Inc. mx480 internet router, kernel JUNOS 15.1R7.9, Build date: 2018-06-22 00:50:55 UTC",
            "JUNOS 15.1R7.9",
            "",
        ),
        (
            "Arista Networks EOS version 4.20.1F running on an Arista Networks DCS-7050SX-64",
            "EOS 4.20.1F",
            "DCS-7050SX-64",
        ),
        ("Hardware: Intel64 Family 6 - Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)", "6.3", ""),
        ("oss-agent lab cpe ce1 (Linux net-snmp)", "", ""),  # free text: no version, not its first word
        ("", "", ""),
    ],
)
def test_os_version_and_model_from_sys_descr(descr: str, os_version: str, model: str) -> None:
    facts = parsers.facts({mib.SYS_DESCR: descr.encode(), mib.SYS_NAME: b"x"})
    assert (facts.os_version, facts.model) == (os_version, model)


def test_interfaces_with_addresses() -> None:
    addresses = parsers.ipv4_addresses(parsers.table(VARBINDS, mib.IP_ADDR_ENTRY))
    for ifindex, extra in parsers.ipv6_addresses(parsers.table(VARBINDS, mib.IP_ADDRESS_ENTRY)).items():
        addresses.setdefault(ifindex, []).extend(extra)
    interfaces = parsers.interfaces(
        parsers.table(VARBINDS, mib.IF_ENTRY), parsers.table(VARBINDS, mib.IFX_ENTRY), addresses
    )
    by_name = {i.name: i for i in interfaces}
    assert {"lo", "mgmt0", "eth1", "eth2", "eth3"} <= set(by_name)
    mgmt = by_name["mgmt0"]
    assert mgmt.oper_status is OperStatus.UP and mgmt.admin_up
    assert mgmt.mac is not None and len(mgmt.mac) == 17
    assert mgmt.mtu == 1500 and mgmt.if_type == "ethernetCsmacd"
    assert ipaddress.IPv4Interface("100.64.8.11/24") in [a.address for a in mgmt.addresses]
    assert ipaddress.IPv4Interface("198.18.0.0/31") in [a.address for a in by_name["eth1"].addresses]
    assert by_name["lo"].if_type == "softwareLoopback"
    assert any(a.address.version == 6 for a in mgmt.addresses)


def test_counters_prefer_64_bit() -> None:
    now = datetime.now(UTC)
    counters = parsers.counters(
        parsers.table(VARBINDS, mib.IF_ENTRY), parsers.table(VARBINDS, mib.IFX_ENTRY), 12.5, now
    )
    mgmt = next(c for c in counters if c.name == "mgmt0")
    assert mgmt.counter_bits == 64
    assert mgmt.in_octets > 0 and mgmt.out_octets > 0
    assert (mgmt.device_uptime_s, mgmt.read_at) == (12.5, now)


def test_counters_fall_back_to_32_bit_without_ifxtable() -> None:
    counters = parsers.counters(parsers.table(VARBINDS, mib.IF_ENTRY), {}, 1.0, datetime.now(UTC))
    assert {c.counter_bits for c in counters} == {32}
    assert next(c for c in counters if c.name == "mgmt0").in_octets > 0


def test_lldp_neighbours_with_management_addresses() -> None:
    neighbours = parsers.lldp_neighbors(
        parsers.table(VARBINDS, mib.LLDP_LOC_PORT_ENTRY),
        parsers.table(VARBINDS, mib.LLDP_REM_ENTRY),
        parsers.table(VARBINDS, mib.LLDP_REM_MAN_ADDR_ENTRY),
    )
    seen = {(n.local_interface, n.remote_system_name, n.remote_port, n.remote_management_address) for n in neighbours}
    assert seen == {
        ("eth1", "p1", "eth1", "100.64.8.13"),
        ("eth2", "pe2", "eth2", "100.64.8.12"),
        ("eth3", "ce1", "eth1", "100.64.8.21"),
    }


def test_bgp_and_ospf_neighbours() -> None:
    local_as = next(v for oid, _, v in VARBINDS if oid == mib.BGP_LOCAL_AS)
    bgp = parsers.bgp_neighbors(local_as, parsers.table(VARBINDS, mib.BGP_PEER_ENTRY))
    assert {(n.neighbor, n.state, n.remote_as, n.local_as) for n in bgp} == {
        ("198.19.255.2", "established", 65000, 65000),
        ("198.19.255.3", "established", 65000, 65000),
    }
    ospf = parsers.ospf_neighbors(parsers.table(VARBINDS, mib.OSPF_NBR_ENTRY))
    assert {(n.neighbor, n.router_id, n.is_up) for n in ospf} == {
        ("198.18.0.1", "198.19.255.3", True),
        ("198.18.0.5", "198.19.255.2", True),
    }


def test_exception_values_and_short_indexes_are_ignored() -> None:
    rows = parsers.table(
        [((*mib.IF_ENTRY, 2, 1), ber.TAG_NO_SUCH_INSTANCE, None), ((*mib.IF_ENTRY,), ber.TAG_INTEGER, 1)], mib.IF_ENTRY
    )
    assert rows == {}


def test_health_averages_processor_loads_and_reads_ram_usage() -> None:
    loads = [
        ((*mib.HR_PROCESSOR_LOAD, 196608), ber.TAG_INTEGER, 30),
        ((*mib.HR_PROCESSOR_LOAD, 196609), ber.TAG_INTEGER, 50),
    ]
    storage = {
        (1,): {2: mib.HR_STORAGE_RAM, 4: 1024, 5: 1000, 6: 250},
        (3,): {2: (1, 3, 6, 1, 2, 1, 25, 2, 1, 3), 4: 1024, 5: 500, 6: 500},  # virtual memory: not RAM
    }
    assert parsers.health(loads, storage) == (40.0, 25.0)
    assert parsers.health([], {}) == (None, None)
