"""Topologies, addressing, rendered configs and the inventory: pure functions, no root needed."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from lab import LabError
from lab.configs import DevicePaths, frr_conf, snmpd_conf, sshd_conf
from lab.inventory import build, v3_access
from lab.readiness import parse_lldp_neighbors
from lab.secrets import ensure
from lab.topology import resolve

MGMT, LINKS = "198.51.100.0/24", "198.18.0.0/15"


def test_default_topology_addressing() -> None:
    topo = resolve(None, MGMT, LINKS, "oss")
    hosts = {d.name: d.mgmt_host for d in topo.devices}
    assert hosts == {
        "pe1": "198.51.100.11",
        "pe2": "198.51.100.12",
        "p1": "198.51.100.13",
        "ce1": "198.51.100.21",
        "ce2": "198.51.100.22",
    }
    assert topo.mgmt_gateway == "198.51.100.1"
    pe1 = topo.device("pe1")
    access = next(i for i in pe1.interfaces if i.name == "eth3")
    assert access.address is None and access.planned_address == "198.18.1.0/31"
    ce1 = topo.device("ce1")
    assert ce1.gateway == "198.18.1.0" and ce1.lan == "198.18.2.1/24"
    everything = [i.address for d in topo.devices for i in d.interfaces if i.address]
    assert len(everything) == len(set(everything))
    assert all(ipaddress.ip_interface(a).ip in ipaddress.ip_network(LINKS) for a in everything)
    assert len(topo.ibgp_peers) == 3


def test_digest_changes_with_addressing_only_when_it_should() -> None:
    assert resolve(None, MGMT, LINKS, "oss").digest() == resolve("default", MGMT, LINKS, "oss").digest()
    assert resolve(None, MGMT, LINKS, "oss").digest() != resolve(None, "203.0.113.0/24", LINKS, "oss").digest()


def test_scale_topology_sizes() -> None:
    topo = resolve("scale:7", MGMT, LINKS, "oss")
    assert [d.name for d in topo.devices] == [f"s{i:03d}" for i in range(1, 8)]
    for dev in topo.devices:
        assert dev.ports % 2 == 0 and 24 <= dev.ports + 2 <= 48
    with pytest.raises(LabError, match="too small"):
        resolve("scale:300", MGMT, LINKS, "oss")
    assert len(resolve("scale:500", "198.51.96.0/22", LINKS, "oss").devices) == 500


@pytest.mark.parametrize(
    ("spec", "mgmt", "links", "prefix", "message"),
    [
        ("nosuch", MGMT, LINKS, "oss", "unknown topology"),
        ("scale:x", MGMT, LINKS, "oss", "device count"),
        (None, "198.18.0.0/24", LINKS, "oss", "overlaps"),
        (None, MGMT, "198.18.0.0/23", "oss", "too small"),
        (None, MGMT, LINKS, "averyverylongprefix", "longer than 15"),
    ],
)
def test_bad_requests_are_lab_errors(spec: str | None, mgmt: str, links: str, prefix: str, message: str) -> None:
    with pytest.raises(LabError, match=message):
        resolve(spec, mgmt, links, prefix)


def test_rendered_configs_hold_the_pitfall_fixes(tmp_path: Path) -> None:
    topo = resolve(None, MGMT, LINKS, "oss")
    secrets = ensure(tmp_path / "secrets", "oss")
    paths = DevicePaths(tmp_path / "pe1")
    snmpd = snmpd_conf(topo.device("pe1"), secrets, paths, "198.51.100.1", 16200)
    assert "monitor -S -r 1 -e labLinkDown" in snmpd and "trap2sink 198.51.100.1:16200" in snmpd
    assert "agentXPerms 0666" in snmpd and "sysName pe1" in snmpd
    assert f"rwcommunity {secrets.snmp_rw}" in snmpd and "sysContact" not in snmpd  # left writable
    frr = frr_conf(topo.device("pe1"), topo, tmp_path / "frr.log")
    assert "neighbor 198.19.255.2 timers 1 3" in frr and "ip ospf dead-interval 4" in frr
    assert "198.18.1.0" not in frr.replace("planned 198.18.1.0/31", "")  # access port left for a service
    sshd = sshd_conf(topo.device("pe1"), secrets, paths, tmp_path / "key")
    assert "Match LocalPort 22\n    ForceCommand /usr/bin/vtysh" in sshd
    assert "Match LocalPort 830\n    ForceCommand /usr/sbin/netconf-subsystem" in sshd


def test_secrets_are_owner_only_and_stable(tmp_path: Path) -> None:
    first = ensure(tmp_path / "s", "oss")
    again = ensure(tmp_path / "s", "oss")
    assert first == again and first.snmp_ro != first.snmp_rw
    assert (tmp_path / "s").stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (tmp_path / "s").iterdir())
    assert first.snmp_ro not in repr(first)


def test_inventory_matches_the_agent_format(tmp_path: Path) -> None:
    topo = resolve(None, MGMT, LINKS, "oss")
    secrets = ensure(tmp_path / "secrets", "oss")
    inv = build(topo, secrets)
    assert inv["defaults"]["ssh"] == {
        "port": 22,
        "username": "oss",
        "password": {"file": str(tmp_path / "secrets" / "ssh_password")},
    }
    assert inv["groups"]["pe"] == {"role": "pe"}
    ce1 = next(d for d in inv["devices"] if d["name"] == "ce1")
    assert ce1["ssh"] is None and ce1["netconf"] is None and ce1["platform"] == "linux"
    assert v3_access(secrets)["priv_protocol"] == "aes"


def test_lldpcli_json_parsing() -> None:
    one = '{"lldp": {"interface": {"eth1": {"chassis": {"pe1": {"id": {}}}}}}}'
    many = '{"lldp": {"interface": [{"eth1": {"chassis": {"p1": {}}}}, {"eth2": {"chassis": {"pe2": {}}}}]}}'
    assert parse_lldp_neighbors(one) == {"eth1": "pe1"}
    assert parse_lldp_neighbors(many) == {"eth1": "p1", "eth2": "pe2"}
    assert parse_lldp_neighbors("not json") == {}
