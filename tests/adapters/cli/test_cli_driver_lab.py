"""The CLI driver against the lab's FRR routers (vtysh over SSH).

Run with ``-p lab.pytest_plugin`` (root needed). Every test leaves the device as it found it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters import (
    AdapterError,
    AuthenticationError,
    ConfigurationRejectedError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    Secret,
)
from adapters.blocking import BlockingRunner
from adapters.cli import CliDriver
from adapters.target import DeviceTarget
from lab import faults
from lab.errors import LabError

pytestmark = pytest.mark.lab

Targets = Callable[[str], DeviceTarget]


def degrade(lab: Any, device: str) -> str:
    """Make the management link unusable: 3 s of delay where the lab can add it, else 100 % loss.

    This host's kernel lacks sch_netem and ``lab.faults.set_netem`` refuses delay without it (a lab
    limitation); total loss is what a very long delay looks like to a client, so the timeout path
    is the same. Returns which of the two was applied.
    """
    try:
        faults.set_netem(lab.options, device, delay_ms=3000)
        return "delay"
    except LabError:
        faults.set_netem(lab.options, device, loss_pct=100)
        return "loss"


def test_show_commands_are_parsed_and_the_session_is_reused(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        driver = CliDriver(lab_target("pe1"), runner)
        try:
            facts = await driver.get_facts()
            assert (facts.hostname, facts.vendor) == ("pe1", "FRRouting")
            names = {i.name for i in await driver.get_interfaces()}
            assert {"eth1", "eth2", "eth3", "lo", "mgmt0"} <= names
            routes = {r.prefix: r for r in await driver.get_routes()}
            assert "198.19.255.2/32" in routes and routes["198.19.255.2/32"].protocol == "ospf"
            neighbours = await driver.get_routing_neighbors()
            assert {n.neighbor for n in neighbours} == {"198.19.255.2", "198.19.255.3"}
            parsed = await driver.show("show ip route json")
            assert "198.19.255.3/32" in parsed
            assert driver.connects == 1
        finally:
            await driver.close()

    asyncio.run(scenario())


def vtysh_pids(netns: str) -> list[int]:
    from lab import shell

    return [
        pid
        for pid in shell.netns_pids([netns]).get(netns, [])
        if Path(f"/proc/{pid}/comm").read_text().strip() == "vtysh"
    ]


def test_a_session_the_device_closed_is_reopened_by_the_next_call(
    lab: Any, lab_target: Targets, runner: BlockingRunner
) -> None:
    """The liveness check asks paramiko (no byte typed into vtysh): a session whose vtysh is gone
    must still be seen as dead, so the next call opens a new one instead of failing."""
    from adapters.cli import session
    from lab import bringup

    async def scenario() -> None:
        driver = CliDriver(lab_target("pe1"), runner)
        try:
            assert (await driver.get_facts()).hostname == "pe1"
            connection = driver._session._connection
            assert connection is not None and session.alive(connection)
            served = vtysh_pids(bringup.namespace(lab.options, "pe1"))
            assert served, "no vtysh serving the driver's SSH session"
            for pid in served:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while session.alive(connection):
                assert time.monotonic() < deadline, "a session whose vtysh was killed still looks alive"
                await asyncio.sleep(0.05)
            assert (await driver.get_facts()).hostname == "pe1"
            assert driver.connects == 2
        finally:
            await driver.close()

    asyncio.run(scenario())


def test_a_refused_line_rejects_the_change_and_running_is_unchanged(
    lab_target: Targets, runner: BlockingRunner
) -> None:
    async def scenario() -> None:
        driver = CliDriver(lab_target("pe2"), runner)
        try:
            before = (await driver.get_config()).text
            with pytest.raises(ConfigurationRejectedError) as caught:
                await driver.send_config(
                    [
                        "interface lo",
                        " description must-not-stay",
                        "exit",
                        "router bgp 65000",
                        " neighbor 198.19.255.99 remote-as 65099",
                        "exit",
                        "interface eth3",
                        " frobnicate the widget",
                        "exit",
                    ]
                )
            assert "Unknown command:" in caught.value.device_message
            assert "frobnicate the widget" in caught.value.device_message
            after = (await driver.get_config()).text
            assert after == before
            assert "must-not-stay" not in after and "198.19.255.99" not in after
        finally:
            await driver.close()

    asyncio.run(scenario())


def test_an_accepted_change_is_live_saved_and_rolled_back(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        driver = CliDriver(lab_target("p1"), runner)
        before = (await driver.get_config()).text
        try:
            diff = await driver.load_candidate("interface eth1\n description cli-test\nexit\n")
            assert "+ description cli-test" in diff.text
            result = await driver.commit()
            assert result.committed and "cli-test" in result.diff.text
            assert "description cli-test" in await driver.run_command("show running-config")
            saved = await driver.save_config()
            assert "configuration saved" in saved  # a "% Warning: can't chown" line is the lab's, harmless
            rolled = await driver.rollback()
            assert rolled.committed
            assert (await driver.get_config()).text == before
        finally:
            driver = CliDriver(lab_target("p1"), runner)
            if "cli-test" in (await driver.get_config()).text:
                await driver.send_config(["interface eth1", " description core link to pe1:eth1", "exit"])
            await driver.save_config()
            await driver.close()

    asyncio.run(scenario())


def test_wrong_password_is_an_authentication_error_without_the_secret(
    lab_target: Targets, runner: BlockingRunner
) -> None:
    target = lab_target("pe1")
    assert target.ssh is not None
    wrong = "not-the-password-42"
    bad = dataclasses.replace(target, ssh=dataclasses.replace(target.ssh, password=Secret(wrong)))

    async def scenario() -> None:
        driver = CliDriver(bad, runner)
        with pytest.raises(AuthenticationError) as caught:
            await driver.get_facts()
        assert wrong not in str(caught.value)
        await driver.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("where", ["closed-port", "silent-address"])
def test_nothing_behind_the_address_is_unreachable_within_the_timeout(
    lab_target: Targets, runner: BlockingRunner, lab: Any, where: str
) -> None:
    target = lab_target("pe1")
    assert target.ssh is not None
    if where == "closed-port":
        host, port = "127.0.0.1", 1
    else:
        host, port = lab.options.mgmt_subnet.split("/")[0].rsplit(".", 1)[0] + ".250", 22
    nowhere = dataclasses.replace(target, host=host, ssh=dataclasses.replace(target.ssh, port=port, timeout_s=1.5))

    async def scenario() -> None:
        driver = CliDriver(nowhere, runner, timeout_s=6)
        started = time.monotonic()
        with pytest.raises(DeviceUnreachableError):
            await driver.get_facts()
        assert time.monotonic() - started < 6
        await driver.close()

    asyncio.run(scenario())


def test_a_degraded_link_times_out_and_other_devices_are_unaffected(
    lab: Any, lab_target: Targets, runner: BlockingRunner
) -> None:
    async def scenario() -> None:
        slow = CliDriver(lab_target("pe1"), runner, timeout_s=2)
        other = CliDriver(lab_target("pe2"), runner, timeout_s=5)
        try:
            await slow.open()
            await other.open()
            await slow.close()  # the lab's delay relay acts on new connections: open one through it
            degrade(lab, "pe1")
            stuck = asyncio.create_task(slow.run_command("show version"))
            started = time.monotonic()
            assert "FRRouting" in await other.run_command("show version")
            other_s = time.monotonic() - started
            with pytest.raises(DeviceTimeoutError):
                await stuck
            assert other_s < 1.0, f"the healthy device took {other_s:.2f} s"
            faults.clear_netem(lab.options, "pe1")
            assert (await slow.get_facts()).hostname == "pe1"  # a fresh session after the timeout
        finally:
            faults.clear_netem(lab.options, "pe1")
            await slow.close()
            await other.close()

    asyncio.run(scenario())


def test_ping_from_a_router_measures_the_round_trip_to_another_site(
    lab_target: Targets, runner: BlockingRunner
) -> None:
    async def scenario() -> None:
        driver = CliDriver(lab_target("pe1"), runner)
        try:
            answered = await driver.ping("198.19.255.2", count=3)  # pe2's loopback, across the core
            assert (answered.sent, answered.received) == (3, 3)
            assert answered.rtt_min_ms is not None and answered.rtt_max_ms is not None
            assert 0 < answered.rtt_min_ms <= (answered.rtt_avg_ms or 0) <= answered.rtt_max_ms
            unrouted = await driver.ping("198.18.99.9", count=2)  # no route: ping ends at once, all lost
            assert (unrouted.received, unrouted.loss_pct) == (0, 100.0)
            facts = await driver.get_facts()  # the session is back at the prompt and still usable
            assert facts.hostname == "pe1"
            with pytest.raises(AdapterError, match="not an address"):
                await driver.ping("198.19.255.2; show run")
        finally:
            await driver.close()

    asyncio.run(scenario())
