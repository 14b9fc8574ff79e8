"""The session lab's devices, proven from the root namespace with the agent's own client libraries.

Needs root: run with ``-p lab.pytest_plugin`` (or the plugin line in the root conftest).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from ncclient import manager
from netmiko import ConnectHandler

from lab import faults, status
from lab.pytest_plugin import LabHandle
from lab.snmp_client import (
    IF_HC_IN_OCTETS,
    LINK_DOWN,
    LINK_UP,
    LLDP_REM_SYS_NAME,
    SYS_CONTACT,
    SYS_LOCATION,
    SYS_NAME,
    TrapReceiver,
    get,
    if_index,
    set_string,
    v2c,
    v3,
    walk,
)

pytestmark = pytest.mark.lab

DEVICES = ("pe1", "pe2", "p1", "ce1", "ce2")
NEIGHBOURS = {
    "pe1": {"p1", "pe2", "ce1"},
    "pe2": {"p1", "pe1", "ce2"},
    "p1": {"pe1", "pe2"},
    "ce1": {"pe1"},
    "ce2": {"pe2"},
}
IETF_SYSTEM = "urn:ietf:params:xml:ns:yang:ietf-system"


def poll(what: str, check: Any, timeout_s: float, interval_s: float = 0.25) -> Any:
    """Re-run ``check`` until it returns something truthy; fail with ``what`` after the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s: {what}")
        time.sleep(interval_s)


def test_inventory_lists_every_device_with_secret_references(lab: LabHandle) -> None:
    assert [d["name"] for d in lab.inventory["devices"]] == list(DEVICES)
    community = lab.inventory["defaults"]["snmp"]["community"]
    assert set(community) == {"file"}
    assert (int(lab.options.secrets_dir.stat().st_mode) & 0o777) == 0o700
    for path in lab.options.secrets_dir.iterdir():
        assert (path.stat().st_mode & 0o777) == 0o600
    text = lab.options.inventory_path.read_text()
    assert lab.secrets.snmp_ro not in text and lab.secrets.ssh_password not in text
    assert lab.device("ce1")["netconf"] is None and lab.device("pe1")["platform"] == "frr"
    assert [p["name"] for p in lab.inventory["probes"]] == ["lan1", "lan2", "inet"]


def test_status_reports_every_device_healthy(lab: LabHandle) -> None:
    states = status(lab.options)
    assert {s.name for s in states} == set(DEVICES)
    assert all(s.healthy for s in states), [s for s in states if not s.healthy]


@pytest.mark.parametrize("name", DEVICES)
def test_sysname_over_v2c_and_v3(lab: LabHandle, name: str) -> None:
    host = lab.host(name)
    assert str(get(host, v2c(lab.secrets.snmp_ro), SYS_NAME)[SYS_NAME]) == name
    assert str(get(host, v3(lab.secrets), SYS_NAME)[SYS_NAME]) == name


def test_rw_community_sets_and_ro_community_is_refused(lab: LabHandle) -> None:
    host = lab.host("pe2")
    assert set_string(host, v2c(lab.secrets.snmp_rw), SYS_LOCATION, "rack 7, lab") is None
    assert str(get(host, v2c(lab.secrets.snmp_ro), SYS_LOCATION)[SYS_LOCATION]) == "rack 7, lab"
    assert set_string(host, v3(lab.secrets), SYS_CONTACT, "noc@lab") is None
    refused = set_string(host, v2c(lab.secrets.snmp_ro), SYS_CONTACT, "intruder")
    assert refused is not None and refused in ("noAccess", "notWritable", "authorizationError")
    assert str(get(host, v2c(lab.secrets.snmp_ro), SYS_CONTACT)[SYS_CONTACT]) == "noc@lab"


def test_hc_octets_grow_after_traffic(lab: LabHandle) -> None:
    host, auth = lab.host("pe1"), v2c(lab.secrets.snmp_ro)
    oid = f"{IF_HC_IN_OCTETS}.{if_index(host, auth, 'eth1')}"
    before = int(get(host, auth, oid)[oid])
    faults.send_traffic(lab.options, "p1", count=300)  # p1 eth1 -> pe1 eth1, 300 x ~1 kB
    # snmpd caches interface counters for about 3 s: poll until the new value shows
    poll(
        "ifHCInOctets of pe1 eth1 to grow by 300 kB",
        lambda: int(get(host, auth, oid)[oid]) - before >= 300_000,
        timeout_s=10,
    )


def test_link_down_and_up_traps_arrive_quickly(lab: LabHandle) -> None:
    host, auth = lab.host("pe1"), v2c(lab.secrets.snmp_ro)
    idx = if_index(host, auth, "eth2")
    receiver = TrapReceiver(lab.trap_address)
    try:
        # snmpd's monitor checks every second; its stock linkUpDownNotifications would take up to 60 s.
        # 15 s tells the two apart and leaves room for a busy machine (3 s failed under load).
        faults.link_down(lab.options, "pe1", "eth2")
        took = receiver.wait_for(host, LINK_DOWN, idx, deadline_s=15)
        faults.link_up(lab.options, "pe1", "eth2", wait=False)
        took_up = receiver.wait_for(host, LINK_UP, idx, deadline_s=15)
    finally:
        receiver.close()
        faults.link_up(lab.options, "pe1", "eth2", wait=False)
        faults.wait_converged(lab.options)
    assert took < 15 and took_up < 15


def test_vtysh_over_ssh_shows_the_other_pe_loopback(lab: LabHandle) -> None:
    conn = ConnectHandler(
        device_type="cisco_ios",
        host=lab.host("pe1"),
        username=lab.secrets.ssh_user,
        password=lab.secrets.ssh_password,
        fast_cli=False,
    )
    try:
        assert conn.find_prompt() == "pe1#"
        routes = conn.send_command("show ip route")
        bgp = conn.send_command("show bgp summary")
    finally:
        conn.disconnect()
    pe2 = lab.report.devices[1]
    assert pe2.name == "pe2"
    assert "198.19.255.2/32" in routes
    assert "198.19.255.2" in bgp


def test_netconf_candidate_lock_edit_commit_round_trip(lab: LabHandle) -> None:
    with manager.connect(
        host=lab.host("pe2"),
        port=830,
        username=lab.secrets.ssh_user,
        password=lab.secrets.ssh_password,
        hostkey_verify=False,
        allow_agent=False,
        look_for_keys=False,
        timeout=20,
    ) as session:
        assert any(":candidate" in cap for cap in session.server_capabilities)
        contact = f"noc-{time.monotonic_ns()}"
        config = f'<config><system xmlns="{IETF_SYSTEM}"><contact>{contact}</contact></system></config>'
        session.lock("candidate")
        try:
            session.edit_config(target="candidate", config=config)
            session.commit()
        finally:
            session.unlock("candidate")
        reply = session.get_config("running", filter=("subtree", f'<system xmlns="{IETF_SYSTEM}"/>'))
        assert contact in reply.data_xml
        state = session.get(
            filter=("subtree", '<interfaces-state xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"/>')
        )
        assert "<name>eth1</name>" in state.data_xml


@pytest.mark.parametrize("name", DEVICES)
def test_lldp_mib_lists_cabled_neighbours(lab: LabHandle, name: str) -> None:
    auth = v2c(lab.secrets.snmp_ro)
    seen = poll(
        f"{name} LLDP neighbours {NEIGHBOURS[name]}",
        lambda: (
            (names := {str(v) for v in walk(lab.host(name), auth, LLDP_REM_SYS_NAME).values()}) >= NEIGHBOURS[name]
            and names
        ),
        timeout_s=10,
    )
    assert seen == NEIGHBOURS[name]


def test_customer_lans_are_not_routed_before_a_service_is_activated(lab: LabHandle) -> None:
    from lab import shell  # the lab's own runner: ping from inside lan1's namespace

    def ping(source: str, target: str) -> int:
        command = ["ip", "netns", "exec", f"{lab.options.prefix}-{source}", "ping", "-c", "1", "-W", "1", target]
        return shell.run(command, check=False).returncode

    assert ping("lan1", "198.18.2.1") == 0  # the host reaches its CPE
    assert ping("lan1", "198.18.3.10") != 0  # but not the other site
    assert ping("lan1", "198.18.4.10") != 0  # nor the Internet host behind p1


def test_a_cpe_is_a_shell_that_may_configure_ip_and_tc_and_a_host_may_only_ping(lab: LabHandle) -> None:
    def session(host: str) -> Any:
        return ConnectHandler(
            device_type="linux", host=host, username=lab.secrets.ssh_user, password=lab.secrets.ssh_password
        )

    cpe = session(lab.host("ce2"))
    try:
        assert cpe.find_prompt() == "ce2$"
        added = cpe.send_command('tc qdisc add dev eth1 root tbf rate 5mbit burst 16kb latency 50ms; echo "rc=$?"')
        shown = cpe.send_command("tc qdisc show dev eth1")
        removed = cpe.send_command('tc qdisc del dev eth1 root; echo "rc=$?"')
    finally:
        cpe.disconnect()
    assert "rc=0" in added and "rate 5Mbit" in shown and "rc=0" in removed
    probe = next(p for p in lab.inventory["probes"] if p["name"] == "lan2")
    host = session(probe["host"])
    try:
        assert "1 received" in host.send_command("ping -c 1 -W 1 198.18.3.1")
        refused = host.send_command('ip route add 192.0.2.0/24 via 198.18.3.1; echo "rc=$?"')
    finally:
        host.disconnect()
    assert "rc=0" not in refused


def test_stop_and_start_snmp(lab: LabHandle) -> None:
    host, auth = lab.host("p1"), v2c(lab.secrets.snmp_ro)
    faults.stop_snmp(lab.options, "p1")
    try:
        with pytest.raises(RuntimeError):
            get(host, auth, SYS_NAME)
    finally:
        faults.start_snmp(lab.options, "p1")
    assert str(get(host, auth, SYS_NAME)[SYS_NAME]) == "p1"


def test_full_loss_on_the_management_link_silences_the_device(lab: LabHandle) -> None:
    host, auth = lab.host("ce1"), v2c(lab.secrets.snmp_ro)
    faults.set_netem(lab.options, "ce1", loss_pct=100)
    try:
        with pytest.raises(RuntimeError):
            get(host, auth, SYS_NAME)
    finally:
        faults.clear_netem(lab.options, "ce1")
    assert str(get(host, auth, SYS_NAME)[SYS_NAME]) == "ce1"


def test_delay_on_the_management_link_is_real_latency_for_snmp_and_ssh(lab: LabHandle) -> None:
    """On this host there is no sch_netem: the delay comes from lab.delay behind an nft redirect."""
    import socket

    host, auth = lab.host("pe2"), v2c(lab.secrets.snmp_ro)

    def timed(call: Any) -> tuple[Any, float]:
        started = time.monotonic()
        return call(), time.monotonic() - started

    def ssh_banner() -> bytes:
        with socket.create_connection((host, 22), timeout=5) as sock:
            return sock.recv(64)

    def fastest(call: Any) -> float:
        # the best of three: a delay slows every attempt, a busy CI machine only some
        return min(timed(call)[1] for _ in range(3))

    faults.set_netem(lab.options, "pe2", delay_ms=400)
    try:
        answer, slow = timed(lambda: get(host, auth, SYS_NAME))
        banner, slow_ssh = timed(ssh_banner)
        other = fastest(lambda: get(lab.host("pe1"), auth, SYS_NAME))
    finally:
        faults.clear_netem(lab.options, "pe2")
    cleared = fastest(lambda: get(host, auth, SYS_NAME))
    assert str(answer[SYS_NAME]) == "pe2" and banner.startswith(b"SSH-2.0-")
    assert 0.38 < slow < 2.0 and 0.38 < slow_ssh < 2.0
    assert other < 0.3 and cleared < 0.3


def test_kill_and_revive_a_device(lab: LabHandle) -> None:
    faults.kill_device(lab.options, "ce2")
    try:
        ce2 = next(s for s in status(lab.options) if s.name == "ce2")
        assert not ce2.ping_ok and not any(ce2.daemons.values())
    finally:
        faults.revive_device(lab.options, "ce2")
    assert all(s.healthy for s in status(lab.options))
