"""Topologies, addressing, rendered configs and the inventory: pure functions, no root needed."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from lab import LabError
from lab.configs import DevicePaths, frr_conf, netconf_startup, shell_sshd_conf, snmpd_conf, sshd_conf
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
    hosts = {h.name: h for h in topo.hosts}
    lan1 = hosts["lan1"]
    assert (lan1.address, lan1.gateway, lan1.peer_if) == ("198.18.2.10/24", "198.18.2.1", "lan0")
    assert hosts["lan1"].mgmt_host == "198.51.100.31" and hosts["lan2"].address == "198.18.3.10/24"
    upstream = next(i for i in topo.device("p1").interfaces if i.name == "eth3")
    assert (upstream.kind, upstream.address, hosts["inet"].address) == ("upstream", "198.18.4.1/24", "198.18.4.10/24")


def test_sites_topology_is_the_benchmark_network() -> None:
    topo = resolve("sites:12", MGMT, LINKS, "oss")
    assert len(topo.devices) == 25 and len(topo.hosts) == 13
    assert {d.name for d in topo.devices if d.kind == "cpe"} == {f"ce{i}" for i in range(1, 13)}
    pe7 = topo.device("pe7")
    assert {i.peer for i in pe7.interfaces} == {"p1:eth7", "ce7:eth1"} and pe7.role == "pe"
    assert next(h for h in topo.hosts if h.name == "lan12").peer_device == "ce12"
    with pytest.raises(LabError, match="out of range"):
        resolve("sites:61", MGMT, LINKS, "oss")


@pytest.mark.parametrize(
    ("hosts", "message"),
    [
        ([{"name": "h1"}], "needs a name and an attach"),
        ([{"name": "h1", "attach": "pe1"}], "attach must name a CPE"),
        ([{"name": "h1", "attach": "ce1:eth9"}], "attach must name a CPE"),
        ([{"name": "h1", "attach": "pe1:eth1"}], "cabled already"),
        ([{"name": "h1", "attach": "ce1"}, {"name": "h2", "attach": "ce1"}], "already has a host"),
        ([{"name": "pe1", "attach": "ce1"}], "name is taken"),
    ],
)
def test_bad_hosts_are_lab_errors(tmp_path: Path, hosts: list[dict[str, str]], message: str) -> None:
    import yaml

    data = yaml.safe_load(Path("lab/topologies/default.yaml").read_text()) | {"hosts": hosts}
    path = tmp_path / "topo.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(LabError, match=message):
        resolve(path, MGMT, LINKS, "oss")


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
    assert "neighbor 198.19.255.2 next-hop-self" in frr  # a PE announces customer routes as its own
    assert "next-hop-self" not in frr_conf(topo.device("p1"), topo, tmp_path / "frr.log")
    assert "interface eth3\n description upstream to inet:eth0\n ip address 198.18.4.1/24" in frr_conf(
        topo.device("p1"), topo, tmp_path / "frr.log"
    )
    startup = netconf_startup(topo.device("pe1"))  # every port has its entry: a service only describes it
    assert [startup.count(f"<name>eth{i}</name>") for i in (1, 2, 3)] == [1, 1, 1]
    cpe_sshd = shell_sshd_conf("ce1", secrets, paths, tmp_path / "key", tmp_path / "shell-bin")
    assert f"ForceCommand {tmp_path / 'shell-bin' / 'lab-shell'}" in cpe_sshd
    listens = [line.split()[-1] for line in cpe_sshd.splitlines() if line.split()[:1] in (["Port"], ["Match"])]
    assert listens == ["22"]  # no NETCONF port (its paths may hold "830": pytest numbers its temp dirs)
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
    assert "ssh" not in ce1 and ce1["netconf"] is None and ce1["platform"] == "linux"  # a managed Linux CPE
    assert inv["probes"][0] == {
        "name": "lan1",
        "host": "198.51.100.31",
        "site": "customer1",
        "role": "customer",
        "address": "198.18.2.10",
        "attached_to": "ce1",
    }
    assert v3_access(secrets)["priv_protocol"] == "aes"


def test_lldpcli_json_parsing() -> None:
    one = '{"lldp": {"interface": {"eth1": {"chassis": {"pe1": {"id": {}}}}}}}'
    many = '{"lldp": {"interface": [{"eth1": {"chassis": {"p1": {}}}}, {"eth2": {"chassis": {"pe2": {}}}}]}}'
    assert parse_lldp_neighbors(one) == {"eth1": "pe1"}
    assert parse_lldp_neighbors(many) == {"eth1": "p1", "eth2": "pe2"}
    assert parse_lldp_neighbors("not json") == {}
