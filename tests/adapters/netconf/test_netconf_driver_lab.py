"""The NETCONF driver against the lab's yuma123 netconfd (run with ``-p lab.pytest_plugin``).

Every test that changes configuration puts the device's running configuration back in ``finally``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from adapters import (
    AuthenticationError,
    ConfigurationRejectedError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    OperStatus,
    Secret,
)
from adapters.blocking import BlockingRunner
from adapters.netconf import NetconfDriver
from adapters.netconf.parse import INTERFACES_STATE_FILTER
from adapters.target import DeviceTarget
from lab import faults
from lab.errors import LabError

pytestmark = pytest.mark.lab

Targets = Callable[[str], DeviceTarget]
IANA = "urn:ietf:params:xml:ns:yang:iana-if-type"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def description(text: str, interface: str = "eth3") -> str:
    return (
        f'<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>{interface}</name>'
        f"<description>{text}</description>"
        f'<type xmlns:ianaift="{IANA}">ianaift:ethernetCsmacd</type></interface></interfaces>'
    )


BAD = (
    '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>eth3</name>'
    "<frobnicate>1</frobnicate></interface></interfaces>"
)


async def restore(driver: NetconfDriver, before: str) -> None:
    """Put running back to ``before`` (pretty XML) if a test left anything behind."""
    if (await driver.get_config()).text != before:
        await driver.load_candidate(before, replace=True)
        await driver.commit(message="test cleanup")
    assert (await driver.get_config()).text == before


def test_capabilities_interfaces_and_counters(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        driver = NetconfDriver(lab_target("pe1"), runner)
        try:
            caps = await driver.server_capabilities()
            assert "urn:ietf:params:netconf:capability:candidate:1.0" in caps
            assert any(c.startswith("urn:ietf:params:netconf:capability:confirmed-commit:1.1") for c in caps)
            interfaces = {i.name: i for i in await driver.get_interfaces()}
            assert interfaces["eth1"].oper_status is OperStatus.UP
            assert "198.18.0.0/31" in {str(a.address) for a in interfaces["eth1"].addresses}
            counters = {c.name: c for c in await driver.get_interface_counters()}
            assert counters["mgmt0"].in_octets > 0 and counters["mgmt0"].counter_bits == 64
            assert "<interfaces-state" in await driver.get(INTERFACES_STATE_FILTER)
            assert driver.connects == 1
        finally:
            await driver.close()

    asyncio.run(scenario())


def test_candidate_validate_commit_is_live_despite_the_yuma123_bug(lab_target: Targets, runner: BlockingRunner) -> None:
    """validate right before commit left running unchanged on yuma123: the driver must not."""

    async def scenario() -> None:
        driver = NetconfDriver(lab_target("pe1"), runner)
        before = (await driver.get_config()).text
        try:
            diff = await driver.load_candidate(description("validated-change"))
            assert "validated-change" in diff.text
            await driver.validate()
            result = await driver.commit()
            assert "validated-change" in result.diff.text
            assert "validated-change" in (await driver.get_config()).text
            await driver.copy_running_to_startup()
            assert "validated-change" in await driver.get_config_xml("startup")
            rolled = await driver.rollback()
            assert rolled.committed
            assert (await driver.get_config()).text == before
        finally:
            await restore(driver, before)
            await driver.copy_running_to_startup()
            await driver.close()

    asyncio.run(scenario())


def test_rpc_error_is_rejected_with_the_device_message_and_running_unchanged(
    lab_target: Targets, runner: BlockingRunner
) -> None:
    async def scenario() -> None:
        driver = NetconfDriver(lab_target("pe2"), runner)
        before = (await driver.get_config()).text
        try:
            with pytest.raises(ConfigurationRejectedError) as caught:
                await driver.load_candidate(description("half") + BAD)
            assert "frobnicate" in caught.value.device_message
            assert "unknown" in caught.value.device_message
            assert (await driver.get_config()).text == before
            # The session survived the rpc-error and the candidate lock was released.
            await driver.load_candidate(description("after-error"))
            await driver.discard()
            assert (await driver.get_config()).text == before
            assert driver.connects == 1
        finally:
            await restore(driver, before)
            await driver.close()

    asyncio.run(scenario())


def test_confirmed_commit_then_cancel_and_then_confirm(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        driver = NetconfDriver(lab_target("p1"), runner)
        before = (await driver.get_config()).text
        try:
            await driver.load_candidate(description("confirm-me"))
            await driver.commit(confirmed=True, confirm_timeout_s=60)
            assert "confirm-me" in (await driver.get_config()).text
            await driver.cancel_commit()
            assert (await driver.get_config()).text == before
            await driver.load_candidate(description("confirmed"))
            await driver.commit(confirmed=True, confirm_timeout_s=60)
            await driver.confirm()
            assert "confirmed" in (await driver.get_config()).text
        finally:
            await restore(driver, before)
            await driver.close()

    asyncio.run(scenario())


def test_notifications_arrive_for_a_configuration_change(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        listener = NetconfDriver(lab_target("pe2"), runner)
        writer = NetconfDriver(lab_target("pe2"), runner)
        before = (await writer.get_config()).text
        try:
            async with await listener.subscribe(poll_s=0.5) as subscription:
                await writer.load_candidate(description("notify-me"))
                await writer.commit()
                deadline = time.monotonic() + 10
                names: list[str] = []
                while "netconf-config-change" not in names:
                    remaining = deadline - time.monotonic()
                    assert remaining > 0, f"no config-change notification, got {names}"
                    notification = await asyncio.wait_for(anext(subscription), remaining)
                    names.append(notification.name)
                assert "notify-me" in notification.xml or notification.event_time
        finally:
            await restore(writer, before)
            await writer.close()
            await listener.close()

    asyncio.run(scenario())


def test_tick_fix_makes_sequential_rpcs_fast(lab_target: Targets, runner: BlockingRunner) -> None:
    async def scenario() -> None:
        driver = NetconfDriver(lab_target("p1"), runner)
        try:
            await driver.open()
            started, count = time.monotonic(), 30
            for _ in range(count):
                await driver.get_config_xml()
            rate = count / (time.monotonic() - started)
            assert rate > 40, f"{rate:.0f} RPCs/s: ncclient's 0.1 s tick would give about 10"
        finally:
            await driver.close()

    asyncio.run(scenario())


def test_wrong_password_is_an_authentication_error(lab_target: Targets, runner: BlockingRunner) -> None:
    target = lab_target("pe1")
    assert target.netconf is not None
    wrong = "wrong-password-77"
    bad = dataclasses.replace(target, netconf=dataclasses.replace(target.netconf, password=Secret(wrong)))

    async def scenario() -> None:
        driver = NetconfDriver(bad, runner)
        with pytest.raises(AuthenticationError) as caught:
            await driver.get_interfaces()
        assert wrong not in str(caught.value)

    asyncio.run(scenario())


def test_closed_port_is_unreachable_within_the_timeout(lab_target: Targets, runner: BlockingRunner) -> None:
    target = lab_target("pe1")
    assert target.netconf is not None
    nowhere = dataclasses.replace(
        target, host="127.0.0.1", netconf=dataclasses.replace(target.netconf, port=1, timeout_s=1.5)
    )

    async def scenario() -> None:
        driver = NetconfDriver(nowhere, runner, timeout_s=5)
        started = time.monotonic()
        with pytest.raises(DeviceUnreachableError):
            await driver.get_interfaces()
        assert time.monotonic() - started < 5

    asyncio.run(scenario())


def test_a_degraded_link_times_out_and_other_devices_are_unaffected(
    lab: Any, lab_target: Targets, runner: BlockingRunner
) -> None:
    async def scenario() -> None:
        slow = NetconfDriver(lab_target("p1"), runner, timeout_s=1.5)
        other = NetconfDriver(lab_target("pe1"), runner, timeout_s=5)
        try:
            await slow.open()
            await other.open()
            await slow.close()  # the lab's delay relay acts on new connections: open one through it
            try:  # delay where the lab can add it, else total loss (what a long delay looks like)
                faults.set_netem(lab.options, "p1", delay_ms=3000)
            except LabError:
                faults.set_netem(lab.options, "p1", loss_pct=100)
            stuck = asyncio.create_task(slow.get_interfaces())
            started = time.monotonic()
            assert await other.get_interfaces()
            other_s = time.monotonic() - started
            with pytest.raises(DeviceTimeoutError):
                await stuck
            assert other_s < 1.0, f"the healthy device took {other_s:.2f} s"
            faults.clear_netem(lab.options, "p1")
            assert await slow.get_interfaces()  # a fresh session after the timeout
            assert slow.connects >= 2
        finally:
            faults.clear_netem(lab.options, "p1")
            await slow.close()
            await other.close()

    asyncio.run(scenario())


def test_the_yuma123_validate_bug_is_real_so_the_workaround_matters(
    lab: Any, lab_target: Targets, runner: BlockingRunner
) -> None:
    """Raw ncclient: edit, ``<validate><source><candidate/>``, commit -> running unchanged.

    If this starts failing, yuma123 fixed the bug and NetconfDriver.validate may go back to the
    plain RPC (the driver's own test above proves its path works either way).
    """
    from ncclient import manager

    target = lab_target("p1")
    assert target.netconf is not None and target.netconf.password is not None
    session = manager.connect(
        host=target.host,
        port=830,
        username=target.netconf.username,
        password=target.netconf.password.reveal(),
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    before = session.get_config(source="running").xml.split("<data>", 1)[1]
    try:
        session.edit_config(target="candidate", config=f'<config xmlns="{NC}">{description("raw-bug")}</config>')
        session.validate(source="candidate")
        session.commit()
        assert "raw-bug" not in session.get_config(source="running").xml
    finally:
        session.discard_changes()
        session.close_session()

    async def unchanged() -> None:
        driver = NetconfDriver(target, runner)
        try:
            assert (await driver.get_config_xml()).split("<data>", 1)[1] == before
        finally:
            await driver.close()

    asyncio.run(unchanged())


HELLO = (
    f'<?xml version="1.0" encoding="UTF-8"?><hello xmlns="{NC}"><capabilities>'
    "<capability>urn:ietf:params:netconf:base:1.0</capability>"
    "<capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>]]>]]>"
).encode()


def framed_get_config(message_id: str) -> bytes:
    """A ``<get-config>`` of running in NETCONF 1.1 chunked framing."""
    rpc = f'<rpc xmlns="{NC}" message-id="{message_id}"><get-config><source><running/></source></get-config></rpc>'
    return b"\n#%d\n%s\n##\n" % (len(rpc.encode()), rpc.encode())


def read_until(channel: Any, end: bytes, count: int = 1) -> bytes:
    data = b""
    while data.count(end) < count:
        chunk = channel.recv(65536)
        assert chunk, f"the session closed before {end!r}: {data!r}"
        data += chunk
    return data


def test_yuma123_leaves_an_rpc_it_reads_with_the_hello_unanswered_until_more_comes(lab_target: Targets) -> None:
    """Raw SSH: the client's hello and a ``<get-config>`` written in one piece (as a busy netconfd
    reads what ncclient writes a moment apart) -> that RPC is not answered until something more
    arrives: a second RPC, and both are. Why ``session.settle`` probes a yuma123 session before
    using it; if this starts failing, yuma123 fixed the bug and the probe may go."""
    import paramiko

    target = lab_target("pe2")
    access = target.netconf
    assert access is not None and access.password is not None
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 (the lab's own device)
    client.connect(
        target.host,
        port=access.port,
        username=access.username,
        password=access.password.reveal(),
        look_for_keys=False,
        allow_agent=False,
        timeout=access.timeout_s,
    )
    try:
        transport = client.get_transport()
        assert transport is not None
        channel = transport.open_session()
        channel.invoke_subsystem("netconf")
        channel.settimeout(access.timeout_s)
        read_until(channel, b"]]>]]>")  # the server's hello
        channel.sendall(HELLO + framed_get_config("1"))
        channel.settimeout(3)
        with pytest.raises(socket.timeout):
            read_until(channel, b"\n##\n")  # no answer to message 1 while nothing else comes
        channel.settimeout(access.timeout_s)
        channel.sendall(framed_get_config("2"))
        replies = read_until(channel, b"\n##\n", 2)
        assert replies.index(b'message-id="1"') < replies.index(b'message-id="2"'), replies
    finally:
        client.close()


def test_the_driver_is_answered_when_its_first_rpc_reaches_yuma123_with_the_hello(
    lab_target: Targets, runner: BlockingRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ncclient's hello held back and written together with what the session writes next, as a
    busy netconfd reads them: the driver's settling probe is what stalls, the next probe brings both
    answers, and the driver's own first RPC is answered (it used to wait out its timeout, then fail)."""
    from ncclient.transport.ssh import SSHSession

    write = SSHSession._transport_write
    held: dict[int, bytes] = {}

    def together(self: Any, data: bytes) -> int:
        if id(self) not in held:  # the hello: not written yet
            held[id(self)] = data
            return len(data)
        if pending := held[id(self)]:
            held[id(self)] = b""
            self._channel.sendall(pending + data)
            return len(data)
        return int(write(self, data))

    monkeypatch.setattr(SSHSession, "_transport_write", together)

    async def scenario() -> None:
        driver = NetconfDriver(lab_target("pe2"), runner)
        try:
            assert "<data" in await driver.get_config_xml()
            assert driver.connects == 1 and len(held) == 1  # one session, its hello held
        finally:
            await driver.close()

    asyncio.run(scenario())
