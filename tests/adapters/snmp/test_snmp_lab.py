"""The SNMP driver against the real lab devices (v2c fast path and v3 through pysnmp)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters import (
    AuthenticationError,
    ConfigurationRejectedError,
    DeviceTarget,
    DeviceTimeoutError,
    OperStatus,
    Secret,
)
from adapters.snmp import SnmpDriver, SnmpManager, ber, mib
from lab import faults
from lab.pytest_plugin import LabHandle
from oss_agent.config import Inventory, load_inventory

pytestmark = pytest.mark.lab

DEVICES = ("pe1", "pe2", "p1", "ce1", "ce2")


def inventory(lab: LabHandle, tmp_path: Path, snmp: dict[str, Any] | None = None) -> Inventory:
    """The lab's inventory, optionally with another SNMP access block for every device."""
    data = yaml.safe_load(lab.options.inventory_path.read_text())
    if snmp is not None:
        data["defaults"]["snmp"] = snmp
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_inventory(path)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def with_driver(target: DeviceTarget, work: Any) -> Any:
    manager = SnmpManager()
    try:
        return await work(SnmpDriver(target, manager))
    finally:
        manager.close()


def test_every_device_over_v2c(lab: LabHandle, tmp_path: Path) -> None:
    inv = inventory(lab, tmp_path)

    async def read_all() -> dict[str, Any]:
        manager = SnmpManager()
        try:
            drivers = {name: SnmpDriver(inv.target(name), manager) for name in DEVICES}
            facts = await asyncio.gather(*(d.get_facts() for d in drivers.values()))
            interfaces = await asyncio.gather(*(d.get_interfaces() for d in drivers.values()))
            return {
                "facts": dict(zip(DEVICES, facts, strict=True)),
                "interfaces": dict(zip(DEVICES, interfaces, strict=True)),
            }
        finally:
            manager.close()

    result = run(read_all())
    for name in DEVICES:
        assert result["facts"][name].hostname == name
        assert result["facts"][name].uptime_s > 0
        mgmt = next(i for i in result["interfaces"][name] if i.name == "mgmt0")
        assert mgmt.oper_status is OperStatus.UP
        assert lab.host(name) in [str(a.address.ip) for a in mgmt.addresses]


def test_lldp_and_routing_neighbours_match_the_topology(lab: LabHandle, tmp_path: Path) -> None:
    target = inventory(lab, tmp_path).target("pe1")

    async def read(driver: SnmpDriver) -> tuple[Any, Any]:
        return await driver.get_lldp_neighbors(), await driver.get_routing_neighbors()

    lldp, routing = run(with_driver(target, read))
    assert {n.remote_system_name for n in lldp} == {"p1", "pe2", "ce1"}
    assert all(n.remote_management_address == lab.host(n.remote_system_name) for n in lldp)
    bgp = [n for n in routing if n.protocol == "bgp"]
    ospf = [n for n in routing if n.protocol == "ospf"]
    assert bgp and all(n.is_up for n in bgp)
    assert ospf and all(n.is_up for n in ospf)


def test_v3_auth_priv_reads_and_sets(lab: LabHandle, tmp_path: Path) -> None:
    target = inventory(lab, tmp_path, lab.snmp_v3).target("p1")

    async def work(driver: SnmpDriver) -> tuple[str, list[ber.VarBind]]:
        facts = await driver.get_facts()
        await driver.set([(mib.SYS_LOCATION, ber.TAG_OCTET_STRING, b"set over v3")])
        return facts.hostname, await driver.get([mib.SYS_LOCATION])

    hostname, location = run(with_driver(target, work))
    assert hostname == "p1"
    assert location[0][2] == b"set over v3"


def test_v3_wrong_key_is_an_authentication_error(lab: LabHandle, tmp_path: Path) -> None:
    target = inventory(lab, tmp_path, lab.snmp_v3).target("p1")
    assert target.snmp is not None
    wrong = dataclasses.replace(target, snmp=dataclasses.replace(target.snmp, auth_key=Secret("not-the-key-123")))
    with pytest.raises(AuthenticationError) as caught:
        run(with_driver(wrong, lambda d: d.get_facts()))
    assert "not-the-key-123" not in str(caught.value)


def test_rw_community_sets_and_ro_community_is_refused(lab: LabHandle, tmp_path: Path) -> None:
    target = inventory(lab, tmp_path).target("pe2")
    assert target.snmp is not None
    read_only = dataclasses.replace(target, snmp=dataclasses.replace(target.snmp, write_community=None))

    async def work(driver: SnmpDriver) -> list[ber.VarBind]:
        await driver.set([(mib.SYS_CONTACT, ber.TAG_OCTET_STRING, b"noc@driver")])
        return await driver.get([mib.SYS_CONTACT])

    assert run(with_driver(target, work))[0][2] == b"noc@driver"
    with pytest.raises(ConfigurationRejectedError) as caught:
        run(with_driver(read_only, lambda d: d.set([(mib.SYS_CONTACT, ber.TAG_OCTET_STRING, b"intruder")])))
    assert caught.value.device_message.split()[0] in ("noAccess", "notWritable", "authorizationError")
    assert run(with_driver(target, lambda d: d.get([mib.SYS_CONTACT])))[0][2] == b"noc@driver"


def test_nothing_behind_the_address_times_out_within_its_budget(lab: LabHandle, tmp_path: Path) -> None:
    target = inventory(lab, tmp_path).target("pe1")
    assert target.snmp is not None
    nobody = dataclasses.replace(
        target, host="127.0.0.1", snmp=dataclasses.replace(target.snmp, port=9, timeout_s=0.5, retries=1)
    )
    started = time.monotonic()
    with pytest.raises(DeviceTimeoutError, match=r"no SNMP response from 127.0.0.1:9 within 0.5 s x 2 tries"):
        run(with_driver(nobody, lambda d: d.get_facts()))
    assert time.monotonic() - started < 3.0


def test_latency_on_one_device_times_it_out_and_leaves_others_fast(lab: LabHandle, tmp_path: Path) -> None:
    inv = inventory(lab, tmp_path)
    slow, fast = inv.target("ce1"), inv.target("ce2")
    assert slow.snmp is not None
    slow = dataclasses.replace(slow, snmp=dataclasses.replace(slow.snmp, timeout_s=0.3, retries=0))

    async def both() -> tuple[BaseException | None, float]:
        manager = SnmpManager()
        try:
            started = time.monotonic()
            fast_task = asyncio.create_task(SnmpDriver(fast, manager).get_facts())
            slow_result = await asyncio.gather(SnmpDriver(slow, manager).get_facts(), return_exceptions=True)
            await fast_task
            return (slow_result[0] if isinstance(slow_result[0], BaseException) else None), time.monotonic() - started
        finally:
            manager.close()

    faults.set_netem(lab.options, "ce1", delay_ms=800)
    try:
        error, _ = run(both())
        assert isinstance(error, DeviceTimeoutError)
        # the delay is latency, not loss: a patient client still gets its answer, about 0.8 s late
        patient_started = time.monotonic()
        patient = dataclasses.replace(slow, snmp=dataclasses.replace(slow.snmp, timeout_s=3.0))
        assert run(with_driver(patient, lambda d: d.get_facts())).hostname == "ce1"
        assert 0.75 < time.monotonic() - patient_started < 2.5
        fast_started = time.monotonic()
        assert run(with_driver(fast, lambda d: d.get_facts())).hostname == "ce2"
        assert time.monotonic() - fast_started < 1.0
    finally:
        faults.clear_netem(lab.options, "ce1")


def test_host_resources_memory(lab: LabHandle, tmp_path: Path) -> None:
    """Memory is there at once; net-snmp publishes hrProcessorLoad only after a minute of samples,
    so a fresh lab has no CPU figure yet (the parser's CPU path is tested in test_parsers.py)."""
    health = run(with_driver(inventory(lab, tmp_path).target("p1"), lambda d: d.get_health()))
    assert health.mem_used_pct is not None and 0.0 < health.mem_used_pct < 100.0
