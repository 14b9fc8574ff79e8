"""Configuration backup and drift against the real lab: a change made out of band, over vtysh or over
NETCONF, is versioned, diffed, and reported as drift on every discovery until someone approves it.

Each test puts the device's configuration back in ``finally``.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from adapters.netconf.driver import NetconfDriver
from lab.pytest_plugin import LabHandle
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings, Inventory, load_inventory
from oss_agent.discovery.configs import config_diff
from oss_agent.discovery.service import DeviceDiscoveryResult, discover_all
from oss_agent.domain.commands import ApproveConfiguration

pytestmark = pytest.mark.lab

PREFIX_LIST = "ip prefix-list OSS-INVENTORY-TEST seq 5 permit 203.0.113.0/24"
CONTACT = "noc-inventory-test@example.net"
SYSTEM = '<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system"><contact>{}</contact></system>'


@pytest.fixture
def pe1_only(lab: LabHandle, tmp_path: Path) -> Iterator[tuple[Agent, Inventory]]:
    """An agent whose inventory holds pe1 alone (a discovery of one device is quick)."""
    data = yaml.safe_load(lab.options.inventory_path.read_text())
    data["devices"] = [d for d in data["devices"] if d["name"] == "pe1"]
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data))
    runner = BlockingRunner(4)
    settings = AgentSettings(data_dir=tmp_path, inventory_file=path, device_timeout_s=8)
    agent = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True)
    try:
        yield agent, load_inventory(path)
    finally:
        agent.close()
        runner.shutdown()


async def discover(agent: Agent) -> DeviceDiscoveryResult:
    (result,) = await discover_all(agent)
    assert result.ok and result.status == "ok", result.errors
    return result


def vtysh(lab: LabHandle, *commands: str) -> None:
    vty = lab.options.run_dir / "pe1" / "frr"
    args = [arg for command in commands for arg in ("-c", command)]
    subprocess.run(
        ["ip", "netns", "exec", f"{lab.options.prefix}-pe1", "vtysh", "--vty_socket", str(vty), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


def test_an_out_of_band_vtysh_change_stays_drifted_until_approved(
    lab: LabHandle, pe1_only: tuple[Agent, Inventory]
) -> None:
    agent, _ = pe1_only

    async def scenario() -> None:  # one event loop: the agent's thread pool belongs to it
        baseline = await discover(agent)
        assert (baseline.config_version, baseline.drifted) == (1, False)
        vtysh(lab, "configure terminal", PREFIX_LIST)
        try:
            first, second = await discover(agent), await discover(agent)
            assert (first.config_version, first.config_changed, first.drifted) == (2, True, True)
            assert (second.config_version, second.config_changed, second.drifted) == (2, False, True)
            assert f"+{PREFIX_LIST}" in config_diff(agent.uow, "pe1")["diff"]
            await agent.bus.handle(ApproveConfiguration("pe1", "tester", datetime.now(UTC)))
            assert (await discover(agent)).drifted is False
        finally:
            vtysh(lab, "configure terminal", f"no {PREFIX_LIST}")

    asyncio.run(scenario())


def test_a_change_committed_over_netconf_is_backed_up_and_drifts(
    lab: LabHandle, pe1_only: tuple[Agent, Inventory]
) -> None:
    agent, inventory = pe1_only
    runner = BlockingRunner(2)

    async def commit_contact() -> str:
        driver = NetconfDriver(inventory.target("pe1"), runner)
        try:
            before = (await driver.get_config()).text
            await driver.load_candidate(SYSTEM.format(CONTACT))
            await driver.commit(message="out of band")
            return before
        finally:
            await driver.close()

    async def restore(before: str) -> None:
        driver = NetconfDriver(inventory.target("pe1"), runner)
        try:
            if (await driver.get_config()).text != before:
                await driver.load_candidate(before, replace=True)
                await driver.commit(message="test cleanup")
            assert (await driver.get_config()).text == before
        finally:
            await driver.close()

    async def scenario() -> None:
        baseline = await discover(agent)
        assert baseline.configs["netconf"] == {"version": 1, "changed": True, "drifted": False}
        assert baseline.configs["running"]["version"] == 1
        before: str | None = None
        try:
            before = await commit_contact()
            changed = await discover(agent)
            assert changed.config_changed and changed.drifted
            assert changed.configs["netconf"] == {"version": 2, "changed": True, "drifted": True}
            assert changed.configs["running"] == {"version": 1, "changed": False, "drifted": False}
            diff = config_diff(agent.uow, "pe1", datastore="netconf")
            assert (diff["old"], diff["new"], diff["approved_version"]) == (1, 2, 1)
            assert f"+    <contact>{CONTACT}</contact>" in diff["diff"]
            assert (await discover(agent)).configs["netconf"]["drifted"]
            await agent.bus.handle(ApproveConfiguration("pe1", "tester", datetime.now(UTC), datastore="netconf"))
            assert (await discover(agent)).drifted is False
        finally:
            if before is not None:
                await restore(before)

    try:
        asyncio.run(scenario())
    finally:
        runner.shutdown()
