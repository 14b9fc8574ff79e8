"""The NAPALM driver: our FRR driver against the lab routers, stock ``ios`` against fakenos.

Run with ``-p lab.pytest_plugin``. Configuration tests restore the router in ``finally``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters import AuthenticationError, ConfigurationRejectedError, DeviceUnreachableError, Secret
from adapters.blocking import BlockingRunner
from adapters.cli import CliDriver
from adapters.napalm import NapalmDriver
from adapters.target import DeviceTarget, SshAccess

Targets = Callable[[str], DeviceTarget]
ModelCheck = Callable[[str, dict[str, Any]], None]
READ_GETTERS = ("get_facts", "get_interfaces", "get_interfaces_ip", "get_interfaces_counters", "get_bgp_neighbors")


@pytest.mark.lab
def test_frr_getters_on_the_lab_fit_napalm_models(
    lab_target: Targets, runner: BlockingRunner, napalm_models_ok: ModelCheck
) -> None:
    async def scenario() -> None:
        driver = NapalmDriver(lab_target("pe1"), runner)
        try:
            for getter in READ_GETTERS:
                napalm_models_ok(getter, await driver.napalm(getter))
            facts = await driver.get_facts()
            assert (facts.hostname, facts.vendor) == ("pe1", "FRRouting")
            interfaces = {i.name: i for i in await driver.get_interfaces()}
            assert "198.19.255.1/32" in {str(a.address) for a in interfaces["lo"].addresses}
            bgp = {n.neighbor: n for n in await driver.get_routing_neighbors()}
            assert set(bgp) == {"198.19.255.2", "198.19.255.3"}
            assert "hostname pe1" in (await driver.get_config()).text
            assert driver.connects == 1
        finally:
            await driver.close()

    asyncio.run(scenario())


@pytest.mark.lab
def test_frr_merge_compare_commit_live_then_rollback(lab_target: Targets, runner: BlockingRunner) -> None:
    route = "ip route 192.0.2.128/25 Null0"  # documentation prefix: blackholed, harmless

    async def scenario() -> None:
        driver = NapalmDriver(lab_target("pe2"), runner)
        cli = CliDriver(lab_target("pe2"), runner)
        before = (await cli.get_config()).text
        try:
            diff = await driver.load_candidate(f"{route}\ninterface lo\n description napalm-merge\nexit\n")
            assert f"+{route}" in diff.text and "+ description napalm-merge" in diff.text
            result = await driver.commit()
            assert result.committed
            # vtysh answers once staticd holds the route; zebra installs it a moment later
            deadline = time.monotonic() + 10
            while "192.0.2.128/25" not in await cli.show("show ip route json"):
                assert time.monotonic() < deadline, "the committed route never reached the RIB"
                await asyncio.sleep(0.05)
            assert (await driver.load_candidate("")).is_empty  # nothing left to merge
            await driver.discard()
            await driver.rollback()
            deadline = time.monotonic() + 10
            while "192.0.2.128/25" in await cli.show("show ip route json"):
                assert time.monotonic() < deadline, "the rolled-back route stayed in the RIB"
                await asyncio.sleep(0.05)
            assert (await cli.get_config()).text == before
        finally:
            if (await cli.get_config()).text != before:
                await cli.send_config([f"no {route}", "interface lo", " no description", "exit"])
            await cli.close()
            await driver.close()

    asyncio.run(scenario())


@pytest.mark.lab
def test_frr_replace_removes_what_the_replacement_lacks(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        driver = NapalmDriver(lab_target("p1"), runner)
        before = (await driver.get_config()).text
        try:
            replacement = before.replace(" ip ospf passive\n", " ip ospf passive\n description replaced\n", 1)
            diff = await driver.load_candidate(replacement, replace=True)
            changed = [line for line in diff.text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
            assert changed == ["+ description replaced"]
            await driver.commit()
            assert "description replaced" in await driver.run_command("show running-config")
            await driver.rollback()
            assert (await driver.get_config()).text == before
        finally:
            if (await driver.get_config()).text != before:
                await driver.load_candidate(before, replace=True)
                await driver.commit()
            await driver.close()

    asyncio.run(scenario())


@pytest.mark.lab
def test_frr_refused_commit_is_rejected_and_running_unchanged(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        driver = NapalmDriver(lab_target("pe1"), runner)
        before = (await driver.get_config()).text
        try:
            await driver.load_candidate("interface lo\n description napalm-bad\nexit\nthis is not frr\n")
            with pytest.raises(ConfigurationRejectedError) as caught:
                await driver.commit()
            assert "this is not frr" in caught.value.device_message
            assert (await driver.get_config()).text == before
        finally:
            await driver.discard()
            await driver.close()

    asyncio.run(scenario())


@pytest.mark.lab
def test_wrong_password_and_nothing_listening(lab_target: Targets, runner: BlockingRunner) -> None:
    target = lab_target("pe1")
    assert target.ssh is not None
    wrong = dataclasses.replace(target, ssh=dataclasses.replace(target.ssh, password=Secret("nope-nope-123")))
    closed = dataclasses.replace(target, host="127.0.0.1", ssh=dataclasses.replace(target.ssh, port=1, timeout_s=2))

    async def scenario() -> None:
        with pytest.raises(AuthenticationError) as caught:
            await NapalmDriver(wrong, runner).get_facts()
        assert "nope-nope-123" not in str(caught.value)
        started = time.monotonic()
        with pytest.raises(DeviceUnreachableError):
            await NapalmDriver(closed, runner, timeout_s=6).get_facts()
        assert time.monotonic() - started < 6

    asyncio.run(scenario())


@pytest.fixture
def fakenos_ios() -> Iterator[DeviceTarget]:
    """A fakenos Cisco IOS simulator on 127.0.0.1 on a free port, stopped at the end."""
    from fakenos import FakeNOS

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    inventory = {"hosts": {"r1": {"username": "oss", "password": "fake-pass", "port": port, "platform": "cisco_ios"}}}
    net = FakeNOS(inventory=inventory)
    net.start()
    try:
        yield DeviceTarget(
            "r1", "127.0.0.1", "cisco_ios", ssh=SshAccess("oss", port, Secret("fake-pass"), timeout_s=10)
        )
    finally:
        net.stop()


def test_stock_ios_driver_read_getters_against_fakenos(
    fakenos_ios: DeviceTarget, runner: BlockingRunner, napalm_models_ok: ModelCheck
) -> None:
    async def scenario() -> None:
        driver = NapalmDriver(fakenos_ios, runner)
        try:
            for getter in ("get_facts", "get_interfaces", "get_interfaces_counters"):
                napalm_models_ok(getter, await driver.napalm(getter))
            facts = await driver.get_facts()
            assert facts.hostname == "r1" and facts.vendor == "Cisco" and facts.serial
            interfaces = await driver.get_interfaces()
            assert len(interfaces) > 5
            assert len(await driver.get_interface_counters()) == len(interfaces)
            assert await driver.get_lldp_neighbors()
            assert (await driver.get_config()).text
            assert driver.connects == 1
        finally:
            await driver.close()

    asyncio.run(scenario())
