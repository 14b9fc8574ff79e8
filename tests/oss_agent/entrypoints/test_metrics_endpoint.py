"""``/metrics`` of a real ``oss-agent run``: the trap receiver's refusals by reason, and each device's
poll duration and failures, so that an operator sees an attack or a sick device."""

from __future__ import annotations

import shlex
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from adapters.snmp import ber
from adapters.snmp.floods import v2c_trap
from oss_agent.entrypoints.bench.flood import COMMUNITY, AgentProcess, agent_process, free_port

ENGINE_ID = "8000000001020304"
INVENTORY = """\
devices:
  - name: sick-v2c
    host: 127.0.0.1
    platform: linux
    snmp: {{version: v2c, community: {{env: FLOOD_COMMUNITY}}, port: {port_a}, timeout_s: 0.3, retries: 0}}
  - name: sick-v3
    host: 127.0.0.2
    platform: linux
    snmp: {{version: v3, user: trapuser, auth_protocol: sha, auth_key: {{env: V3_AUTH}}, priv_protocol: aes,
           priv_key: {{env: V3_PRIV}}, engine_id: '0x{engine}', port: {port_b}, timeout_s: 0.3, retries: 0}}
"""
V3 = "-u trapuser -l authPriv -a SHA -A authpass123 -x AES -X privpass123"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
DEVICES = ("sick-v2c", "sick-v3")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(agent: AgentProcess) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(agent.metrics())
        for s in family.samples
    }


def until(agent: AgentProcess, ready: str, check: Callable[[Samples], bool]) -> Samples:
    """``/metrics`` once ``check(samples)`` holds (within a generous deadline: a busy machine)."""
    deadline = time.monotonic() + 60
    while True:
        agent.alive()
        found = samples(agent)
        if check(found):
            return found
        assert time.monotonic() < deadline, f"{ready}: {found}"
        time.sleep(0.2)


def snmptrap(arguments: str, port: int) -> None:
    subprocess.run(["snmptrap", *shlex.split(arguments.format(to=f"127.0.0.1:{port}"))], check=True, timeout=30)


def test_an_attack_and_a_sick_device_show_in_metrics(tmp_path: Path) -> None:
    inventory = INVENTORY.format(port_a=free_port(), port_b=free_port(), engine=ENGINE_ID)
    secrets = {"V3_AUTH": "authpass123", "V3_PRIV": "privpass123"}
    with agent_process(tmp_path, poll_interval_s=1, inventory=inventory, env=secrets) as agent:
        port = agent.trap_port
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"\x00 not SNMP at all", ("127.0.0.1", port))
            absurd = v2c_trap(COMMUNITY.encode(), ber.encode_oid((1, 3, 6, 1, 4, 1, 10**4301)))
            sender.sendto(absurd, ("127.0.0.1", port))
        snmptrap("-v2c -c wrong-community {to} '' " + LINK_DOWN, port)
        snmptrap(f"-v3 -e 0x80000000090909 {V3} {{to}} '' {LINK_DOWN}", port)  # an engine nobody configured
        snmptrap(f"-v3 -e 0x{ENGINE_ID} {V3.replace('authpass123', 'wrongpass1')} {{to}} '' {LINK_DOWN}", port)
        snmptrap(f"-v2c -c {COMMUNITY} {{to}} '' {LINK_DOWN} 1.3.6.1.2.1.31.1.1.1.1.3 s eth3", port)
        found = until(
            agent,
            "the traps counted and the sick devices' polls failed",
            lambda s: s.get(("oss_agent_notifications_received_total", ()), 0) >= 1
            and all(s.get(("oss_agent_device_poll_failures_total", (("device", d),)), 0) >= 2 for d in DEVICES),
        )
    refused = {labels[0][1]: value for (name, labels), value in found.items() if name.endswith("_refused_total")}
    assert refused == {
        "malformed": 2,
        "bad_community": 1,
        "unknown_engine": 1,
        "unknown_user": 0,
        "unsupported_security_level": 0,
        "failed_digest": 1,
        "not_in_time_window": 0,
        "decryption_error": 0,
    }
    dropped = {labels[0][1]: value for (name, labels), value in found.items() if name.endswith("_dropped_total")}
    assert dropped == {"queue_full": 0, "unprocessable": 0, "storage_unavailable": 0}
    assert found[("oss_agent_trap_datagrams_total", ())] == 6
    assert found[("oss_agent_trap_internal_errors_total", ())] == 0
    for device in DEVICES:
        label = (("device", device),)
        assert found[("oss_agent_device_poll_duration_seconds_count", label)] >= 2
        assert found[("oss_agent_device_poll_duration_seconds_sum", label)] > 0

