"""One absurd notification, or one signal the storage refuses, costs only itself: its neighbours in
the same batch are applied, in order, and it is counted."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from adapters.snmp import ber, mib
from adapters.snmp.traps import Notification, TrapReceiver
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config.settings import AgentSettings
from oss_agent.domain.commands import ProcessFaultSignals
from oss_agent.domain.fault import FaultSignal
from oss_agent.fault import signals
from oss_agent.fault.handlers import BatchResult
from oss_agent.fault.pipeline import FaultPipeline, InterfaceNames
from oss_agent.storage.fault_tables import FaultEventRow

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ABSURD = (1, 3, 6, 1, 4, 1, 10**4301)  # an arc of 4,302 digits: Python refuses to print it
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    built = bootstrap(AgentSettings(data_dir=tmp_path), upgrade_schema=True)
    yield built
    built.close()


def link_down_trap(index: int, trap_oid: ber.Oid = mib.LINK_DOWN) -> bytes:
    return ber.encode_message(
        ber.VERSION_V2C,
        b"pub",
        ber.PDU_TRAP_V2,
        index,
        [
            ((*mib.SYSTEM, 3, 0), ber.TAG_TIMETICKS, index),
            (mib.SNMP_TRAP_OID, ber.TAG_OID, trap_oid),
            ((*IF_NAME, index), ber.TAG_OCTET_STRING, f"eth{index}".encode()),
        ],
    )


def active_keys(agent: Agent) -> set[str]:
    with agent.uow as uow:
        return {a.reduction_key for a in uow.alarms.list(active_only=True)}


def events(agent: Agent) -> int:
    with agent.uow as uow:
        return int(uow.session.scalar(select(func.count()).select_from(FaultEventRow)) or 0)


def test_an_absurd_trap_between_two_good_ones_costs_only_itself(agent: Agent) -> None:
    """Raw datagrams on loopback, all queued before the pipeline runs, so that they are one batch:
    the absurd one was decoded, then raised ValueError in the pipeline and the whole batch was lost
    (this test then waits in vain for the good ones to be applied)."""

    async def scenario() -> tuple[FaultPipeline, TrapReceiver]:
        receiver = TrapReceiver("127.0.0.1", 0, communities=["pub"])
        await receiver.start()
        pipeline = FaultPipeline(agent.bus, receiver, {"127.0.0.1": "pe9"}, InterfaceNames())
        stop = asyncio.Event()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for payload in (link_down_trap(1), link_down_trap(7, ABSURD), link_down_trap(2)):
                sender.sendto(payload, ("127.0.0.1", receiver.bound_port))
        task = asyncio.create_task(pipeline.run(stop))
        try:
            async with asyncio.timeout(30):
                while receiver.stats.datagrams < 3 or pipeline.stats.notifications < 2:  # noqa: ASYNC110 - counts only
                    await asyncio.sleep(0.02)
        finally:
            stop.set()
            await task
            receiver.close()
        return pipeline, receiver

    pipeline, receiver = asyncio.run(scenario())
    assert active_keys(agent) == {"pe9:eth1|linkDown", "pe9:eth2|linkDown"}
    assert receiver.counts()["malformed"] == 1
    assert pipeline.stats.notifications == 2 and events(agent) == 2


def note(trap_oid: ber.Oid, index: int) -> Notification:
    varbinds = (((*IF_NAME, index), ber.TAG_OCTET_STRING, f"eth{index}".encode()),)
    return Notification("198.51.100.9", 162, "v3", "u", trap_oid, 1, varbinds, False, T0.timestamp())


def test_a_notification_that_cannot_be_classified_is_dropped_alone(agent: Agent) -> None:
    """Whatever path a notification took, one the classifier raises on is counted and dropped alone."""
    pipeline = FaultPipeline(
        agent.bus, TrapReceiver("127.0.0.1", 0), {"198.51.100.9": "pe9"}, InterfaceNames(), batch_max=10
    )
    asyncio.run(pipeline.process([note(mib.LINK_DOWN, 1), note(ABSURD, 7), note(mib.LINK_DOWN, 2)]))
    assert active_keys(agent) == {"pe9:eth1|linkDown", "pe9:eth2|linkDown"}
    assert pipeline.stats.unprocessable == 1 and events(agent) == 2
    assert pipeline.stats.errors[0].startswith("a v3 notification from 198.51.100.9 not classified: ValueError:")
    assert pipeline.counts().dropped["unprocessable"] == 1


def link_down(device: str, interface: str, at: datetime) -> FaultSignal:
    spec = signals.link_down_spec(device, interface, "test")
    return FaultSignal(device, "linkDown", spec.reduction_key, True, "trap", at, spec)


def link_up(device: str, interface: str, at: datetime) -> FaultSignal:
    return FaultSignal(device, "linkUp", signals.link_key(device, interface), False, "trap", at)


def refuse_events_of(agent: Agent, device: str) -> None:
    """The database itself refuses this device's fault events (as PostgreSQL refuses a NUL in text)."""
    with agent.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON fault_events "
                f"WHEN NEW.device = '{device}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        )


def test_a_signal_the_storage_refuses_is_dropped_alone_and_the_rest_applied_in_order(agent: Agent) -> None:
    refuse_events_of(agent, "poison")
    at = [T0 + timedelta(seconds=i) for i in range(8)]
    batch = [
        link_down("pe1", "eth1", at[0]),
        link_down("pe1", "eth2", at[1]),
        link_down("pe1", "eth1", at[2]),  # a repeat
        link_down("poison", "eth1", at[3]),
        link_up("pe1", "eth2", at[4]),  # clears what the first half raised
        link_down("pe1", "eth3", at[5]),
        link_down("pe1", "eth3", at[6]),
    ]
    result = asyncio.run(agent.bus.handle(ProcessFaultSignals(tuple(batch)))).result
    assert isinstance(result, BatchResult)
    assert (result.dropped, result.raised, result.updated, result.cleared, result.events) == (1, 3, 2, 1, 6)
    assert result.errors == ["linkDown from poison: IntegrityError: (sqlite3.IntegrityError) refused by the test"]
    assert active_keys(agent) == {"pe1:eth1|linkDown", "pe1:eth3|linkDown"}
    with agent.uow as uow:
        alarms = {a.reduction_key: a for a in uow.alarms.list()}
    assert alarms["pe1:eth1|linkDown"].repeat_count == 1 and alarms["pe1:eth3|linkDown"].repeat_count == 1
    assert alarms["pe1:eth2|linkDown"].cleared_at == at[4]
    assert "poison:eth1|linkDown" not in alarms and events(agent) == 6


def test_an_unavailable_database_is_raised_not_split(agent: Agent) -> None:
    """Every part of the batch would fail the same way: one attempt, and the caller is told."""
    with agent.engine.begin() as connection:
        connection.execute(text("DROP TABLE fault_events"))
    attempts = []
    event.listen(agent.engine, "begin", lambda connection: attempts.append(1))
    batch = [link_down("pe1", f"eth{i}", T0) for i in range(16)]
    with pytest.raises(OperationalError, match="no such table"):
        asyncio.run(agent.bus.handle(ProcessFaultSignals(tuple(batch))))
    assert len(attempts) == 1


@pytest.mark.parametrize("if_name", [b"eth\x003", b"e" * 5000, b"\x1b[2Jeth3"])
def test_an_interface_name_that_is_no_display_string_is_not_made_a_key(if_name: bytes) -> None:
    """PostgreSQL refuses a NUL in text and a key past 400 characters: the alarm would be lost. Such
    an ifName is ignored, and the interface named from its ifIndex, as without one."""
    varbinds = (((*signals.IF_INDEX, 3), ber.TAG_INTEGER, 3), ((*IF_NAME, 3), ber.TAG_OCTET_STRING, if_name))
    trap = Notification("198.51.100.9", 162, "v2c", "community", mib.LINK_DOWN, 1, varbinds, False, 0.0)
    signal = signals.classify(trap, "pe9", T0, lambda device, index: {3: "eth3"}.get(index))
    assert signal.reduction_key == "pe9:eth3|linkDown" and signal.detail["interface"] == "eth3"
