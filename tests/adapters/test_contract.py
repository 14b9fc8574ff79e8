"""The southbound contract: registry choice, the fake driver's workflow, errors and secrets."""

from __future__ import annotations

import asyncio

import pytest

from adapters import (
    AdapterError,
    BaseDriver,
    Capability,
    ConfigurationRejectedError,
    DeviceTarget,
    DeviceTimeoutError,
    DriverNotFoundError,
    DriverRegistry,
    Protocol,
    Secret,
    SnmpAccess,
    SshAccess,
    UnsupportedOperationError,
)
from adapters.fake import FakeNetwork
from adapters.registry import ANY_PLATFORM

TARGET = DeviceTarget(
    "pe1",
    "198.51.100.11",
    "frr",
    snmp=SnmpAccess("v2c", community=Secret("very-secret-community")),
    ssh=SshAccess("oss", password=Secret("very-secret-password")),
)


class SnmpOnly(BaseDriver):
    protocol = Protocol.SNMP
    capabilities = frozenset({Capability.INTERFACES, Capability.COUNTERS})


class NapalmFrr(BaseDriver):
    protocol = Protocol.NAPALM
    capabilities = frozenset({Capability.FACTS, Capability.CONFIG_WRITE})


def test_registry_follows_the_preference_order_and_the_device_access() -> None:
    registry = DriverRegistry()
    registry.register(ANY_PLATFORM, Protocol.SNMP, SnmpOnly, SnmpOnly.capabilities)
    registry.register("frr", Protocol.NAPALM, NapalmFrr, NapalmFrr.capabilities)
    assert registry.protocol_for(TARGET, Capability.INTERFACES) is Protocol.SNMP
    assert registry.protocol_for(TARGET, Capability.FACTS) is Protocol.NAPALM
    assert isinstance(registry.for_job(TARGET, Capability.CONFIG_WRITE), NapalmFrr)
    no_ssh = DeviceTarget("sw", "198.51.100.2", "frr", snmp=TARGET.snmp)
    with pytest.raises(DriverNotFoundError, match="no registered driver can do facts"):
        registry.protocol_for(no_ssh, Capability.FACTS)
    with pytest.raises(DriverNotFoundError, match="no netconf driver registered for platform frr"):
        registry.create(TARGET, Protocol.NETCONF)


def test_preferences_are_configurable() -> None:
    registry = DriverRegistry({Capability.INTERFACES: [Protocol.NAPALM, Protocol.SNMP]})
    registry.register(ANY_PLATFORM, Protocol.SNMP, SnmpOnly, frozenset(Capability))
    registry.register("frr", Protocol.NAPALM, NapalmFrr, frozenset(Capability))
    assert registry.protocol_for(TARGET, Capability.INTERFACES) is Protocol.NAPALM


def test_unsupported_operations_say_which_driver_and_device() -> None:
    with pytest.raises(UnsupportedOperationError, match=r"pe1: get_config: not supported by the snmp driver"):
        asyncio.run(SnmpOnly(TARGET).get_config())


def test_fake_driver_merge_diff_commit_rollback() -> None:
    network = FakeNetwork()
    network.add("pe1", running="hostname pe1\n")
    registry = DriverRegistry()
    network.register(registry)
    driver = registry.for_job(TARGET, Capability.CONFIG_WRITE)

    async def flow() -> None:
        diff = await driver.load_candidate("interface eth1\n description customer-a\n")
        assert "+interface eth1" in diff.text
        result = await driver.commit(message="activate")
        assert result.committed
        assert "description customer-a" in (await driver.get_config()).text
        with pytest.raises(ConfigurationRejectedError) as caught:
            await driver.load_candidate("% Invalid input detected\n")
        assert caught.value.device_message == "% Invalid input detected"
        assert "description customer-a" in (await driver.get_config()).text
        await driver.rollback()
        assert (await driver.get_config()).text == "hostname pe1\n"

    asyncio.run(flow())


def test_fake_driver_failure_injection() -> None:
    network = FakeNetwork()
    network.add("pe1").fail_with = DeviceTimeoutError("no answer in 2 s", device="pe1", operation="get_facts")
    with pytest.raises(DeviceTimeoutError, match="pe1: get_facts: no answer in 2 s"):
        asyncio.run(network.driver(TARGET).get_facts())


def test_secrets_never_show_in_repr_str_or_errors() -> None:
    text = repr(TARGET) + str(TARGET)
    assert "very-secret" not in text
    assert "Secret('***')" in text
    error = AdapterError("authentication failed", device=TARGET.name)
    assert "very-secret" not in str(error)
    assert TARGET.ssh is not None and TARGET.ssh.password is not None
    assert TARGET.ssh.password.reveal() == "very-secret-password"


def test_target_protocols_follow_its_access() -> None:
    assert TARGET.protocols() == {Protocol.SNMP, Protocol.CLI, Protocol.NAPALM}
