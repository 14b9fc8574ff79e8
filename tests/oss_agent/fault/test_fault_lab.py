"""Fault management against the real lab: traps and polls into alarms, root cause, a trap storm."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.snmp import ber, mib
from adapters.snmp.traps import TrapReceiver
from lab import faults
from lab.pytest_plugin import LabHandle
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings, load_inventory
from oss_agent.domain.alarm import Alarm
from oss_agent.domain.model import Link, LinkEnd
from oss_agent.fault.pipeline import FaultPipeline, InterfaceNames
from oss_agent.performance.poller import Poller
from oss_agent.performance.store import PerfStore
from oss_agent.storage.fault_tables import FaultEventRow

pytestmark = pytest.mark.lab


@asynccontextmanager
async def fault_agent(
    lab: LabHandle, tmp_path: Path, *, traps: bool = True
) -> AsyncIterator[tuple[Agent, Poller, FaultPipeline | None]]:
    agent = bootstrap(AgentSettings(data_dir=tmp_path), upgrade_schema=True)
    inventory = load_inventory(lab.options.inventory_path)
    targets = {n: inventory.target(n) for n in inventory.names()}
    names = InterfaceNames(agent.uow)
    poller = Poller(targets, PerfStore(agent.engine), bus=agent.bus, names=names, poll_timeout_s=3.0)
    stop = asyncio.Event()
    pipeline = task = receiver = None
    if traps:
        host, port = lab.trap_address
        receiver = TrapReceiver(host, port, communities=[lab.secrets.snmp_ro])
        await receiver.start()
        pipeline = FaultPipeline(agent.bus, receiver, {t.host: n for n, t in targets.items()}, names)
        task = asyncio.create_task(pipeline.run(stop))
    try:
        yield agent, poller, pipeline
    finally:
        stop.set()
        if task is not None:
            await task
        if receiver is not None:
            receiver.close()
        poller.manager.close()
        agent.close()


def alarm(agent: Agent, key: str, active: bool = True) -> Alarm | None:
    with agent.uow as uow:
        if active:
            return uow.alarms.active(key)
        found = [a for a in uow.alarms.list() if a.reduction_key == key]
        return found[0] if found else None


async def until(
    what: str, check: Callable[[], object], timeout_s: float, every: Callable[[], object] | None = None
) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout_s, f"timed out after {timeout_s} s: {what}"
        if every is not None:
            await every()  # type: ignore[misc]
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def test_a_link_going_down_raises_an_alarm_from_its_trap_and_its_return_clears_it(
    lab: LabHandle, tmp_path: Path
) -> None:
    async def scenario() -> tuple[float, float]:
        async with fault_agent(lab, tmp_path) as (agent, poller, _):
            await poller.poll("pe1")  # learns ifIndex -> name, as the running agent has
            key = "pe1:eth2|linkDown"
            await asyncio.to_thread(faults.link_down, lab.options, "pe1", "eth2")
            try:
                # No poll runs meanwhile: only the trap can raise it. The delay is printed (typically under a
                # second); the bound is generous, since a loaded 2-core machine once took over 3 s.
                raised = await until("linkDown alarm", lambda: alarm(agent, key), 15.0)
            finally:
                await asyncio.to_thread(faults.link_up, lab.options, "pe1", "eth2", False)
            cleared = await until("linkUp clears it", lambda: alarm(agent, key) is None, 10.0)
            await asyncio.to_thread(faults.wait_converged, lab.options)
            return raised, cleared

    raised, cleared = asyncio.run(scenario())
    print(f"\nalarm raised {raised:.2f} s after the link went down, cleared {cleared:.2f} s after it came back")


def test_with_traps_blocked_polling_raises_and_clears(lab: LabHandle, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with fault_agent(lab, tmp_path, traps=False) as (agent, poller, _):
            key = "pe1:eth2|linkDown"  # the far end of the link pe2 shuts: admin up, no carrier
            await poller.poll("pe1")
            await asyncio.to_thread(faults.link_down, lab.options, "pe2", "eth2")
            try:
                await until("polling raises", lambda: alarm(agent, key), 15.0, lambda: poller.poll("pe1"))
                raised = alarm(agent, key)
                assert raised is not None and raised.repeat_count == 0  # polls do not count as repeats
            finally:
                await asyncio.to_thread(faults.link_up, lab.options, "pe2", "eth2", False)
            await until("polling clears", lambda: alarm(agent, key) is None, 15.0, lambda: poller.poll("pe1"))
            await asyncio.to_thread(faults.wait_converged, lab.options)

    asyncio.run(scenario())


def test_a_killed_device_is_one_root_alarm_with_the_neighbours_link_as_its_symptom(
    lab: LabHandle, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with fault_agent(lab, tmp_path) as (agent, poller, _):
            with agent.uow as uow:  # the topology discovery would have stored (LLDP: pe2 eth3 <-> ce2 eth1)
                uow.links.upsert(Link.between(LinkEnd("pe2", "eth3"), LinkEnd("ce2", "eth1")), _now())
                uow.commit()
            await poller.poll_all(["pe2", "ce2"])
            await asyncio.to_thread(faults.kill_device, lab.options, "ce2")
            try:
                await until(
                    "ce2 unreachable",
                    lambda: alarm(agent, "ce2|unreachable"),
                    20.0,
                    lambda: poller.poll_all(["ce2", "pe2"]),
                )
                await until(
                    "pe2 eth3 down", lambda: alarm(agent, "pe2:eth3|linkDown"), 10.0, lambda: poller.poll("pe2")
                )
                root, symptom = alarm(agent, "ce2|unreachable"), alarm(agent, "pe2:eth3|linkDown")
                assert root is not None and symptom is not None
                assert root.root_cause_id is None and symptom.root_cause_id == root.id
                with agent.uow as uow:
                    roots = [a for a in uow.alarms.list(active_only=True) if a.root_cause_id is None]
                assert [a.reduction_key for a in roots] == ["ce2|unreachable"]
            finally:
                await asyncio.to_thread(faults.revive_device, lab.options, "ce2")
            await until(
                "ce2 back",
                lambda: alarm(agent, "ce2|unreachable") is None,
                20.0,
                lambda: poller.poll_all(["ce2", "pe2"]),
            )
            await until(
                "pe2 eth3 back", lambda: alarm(agent, "pe2:eth3|linkDown") is None, 20.0, lambda: poller.poll("pe2")
            )

    asyncio.run(scenario())


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def send_storm(host: str, port: int, payloads: list[bytes], per_second: float) -> None:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.bind((host, 0))  # from the lab's bridge address: a device the agent does not know
    started = time.monotonic()
    try:
        for i, payload in enumerate(payloads):
            sender.sendto(payload, (host, port))
            if i % 1000 == 0:
                sender.sendto(b"\x30\x84garbage", (host, port))
            ahead = i / per_second - (time.monotonic() - started)
            if ahead > 0.002:
                time.sleep(ahead)  # pacing the sender, not waiting for a result
    finally:
        sender.close()


def test_a_storm_of_10000_traps_is_fully_accounted_for(lab: LabHandle, tmp_path: Path) -> None:
    """10,000 linkDown traps for 100 interfaces, with garbage mixed in: every one is an event, and every
    one is an alarm raise or an alarm update."""
    host, port = lab.trap_address
    community = lab.secrets.snmp_ro.encode()

    def trap(i: int) -> bytes:
        return ber.encode_message(
            ber.VERSION_V2C,
            community,
            ber.PDU_TRAP_V2,
            i,
            [
                ((*mib.SYSTEM, 3, 0), ber.TAG_TIMETICKS, i),
                (mib.SNMP_TRAP_OID, ber.TAG_OID, mib.LINK_DOWN),
                ((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, i % 100 + 1), ber.TAG_INTEGER, i % 100 + 1),
                ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, i % 100 + 1), ber.TAG_OCTET_STRING, f"port{i % 100}".encode()),
            ],
        )

    async def scenario() -> None:
        async with fault_agent(lab, tmp_path) as (agent, _, pipeline):
            assert pipeline is not None
            # a storm comes from elsewhere: send from a thread, paced at 5,000 traps/s, garbage mixed in
            await asyncio.to_thread(send_storm, host, port, [trap(i) for i in range(10_000)], 5000.0)
            storm = (FaultEventRow.device == host) & (FaultEventRow.kind == "linkDown")

            def applied() -> int:
                with agent.uow as uow:
                    return int(uow.session.scalar(select(func.count()).select_from(FaultEventRow).where(storm)) or 0)

            await until("all 10,000 applied", lambda: applied() >= 10_000, 60.0)
            with agent.uow as uow:
                alarms = [a for a in uow.alarms.list(limit=1000) if a.managed_object.startswith(f"{host}:")]
            assert applied() == 10_000
            assert len(alarms) == 100
            assert sum(1 + a.repeat_count for a in alarms) == 10_000
            assert pipeline.receiver.stats.malformed == 10

    asyncio.run(scenario())


def test_polling_raises_and_clears_a_lost_ospf_adjacency(lab: LabHandle, tmp_path: Path) -> None:
    """pe1 loses its OSPF neighbour on eth2 (pe2) when that link goes down; BGP survives via p1."""

    async def scenario() -> None:
        async with fault_agent(lab, tmp_path, traps=False) as (agent, poller, _):
            assert await poller.check_routing("pe1") == []  # everything up: nothing to say
            with agent.uow as uow:
                before = {a.reduction_key for a in uow.alarms.list(active_only=True)}
            await asyncio.to_thread(faults.link_down, lab.options, "pe1", "eth2")
            try:
                await until(
                    "OSPF adjacency alarm",
                    lambda: _ospf_alarms(agent) - before,
                    20.0,
                    lambda: poller.check_routing("pe1"),
                )
                (key,) = _ospf_alarms(agent) - before
                assert key.startswith("pe1|ospf|")
            finally:
                await asyncio.to_thread(faults.link_up, lab.options, "pe1", "eth2")
            await until(
                "adjacency back", lambda: not (_ospf_alarms(agent) - before), 30.0, lambda: poller.check_routing("pe1")
            )
            assert not [a for a in _active(agent) if a.reduction_key.startswith("pe1|bgp|")]

    asyncio.run(scenario())


def test_a_restarted_poller_clears_an_adjacency_alarm_that_ended_while_it_was_down(
    lab: LabHandle, tmp_path: Path
) -> None:
    """kill -9 of the agent with an OSPF adjacency alarm open: the restarted agent's poller (a new
    one, told the open alarms as ``oss-agent run`` tells it) keeps the alarm while the neighbour is
    still gone from the table, and clears it once the adjacency is back, without waiting for a flap."""

    async def scenario() -> None:
        async with fault_agent(lab, tmp_path, traps=False) as (agent, poller, _):
            assert await poller.check_routing("pe1") == []
            before = _ospf_alarms(agent)
            await asyncio.to_thread(faults.link_down, lab.options, "pe1", "eth2")
            try:
                await until("OSPF adjacency alarm", lambda: _ospf_alarms(agent) - before, 20.0,
                            lambda: poller.check_routing("pe1"))
                (key,) = _ospf_alarms(agent) - before
                restarted = Poller(poller.targets, PerfStore(agent.engine), manager=poller.manager, bus=agent.bus,
                                   poll_timeout_s=3.0)
                restarted.remember_open_alarms({a.reduction_key for a in _active(agent)})
                assert await restarted.check_routing("pe1") == []  # still down: kept, not cleared
                assert key in _ospf_alarms(agent)
            finally:
                await asyncio.to_thread(faults.link_up, lab.options, "pe1", "eth2")
            await until("the alarm cleared by the restarted poller", lambda: key not in _ospf_alarms(agent), 30.0,
                        lambda: restarted.check_routing("pe1"))

    asyncio.run(scenario())


def _active(agent: Agent) -> list[Alarm]:
    with agent.uow as uow:
        return uow.alarms.list(active_only=True)


def _ospf_alarms(agent: Agent) -> set[str]:
    return {a.reduction_key for a in _active(agent) if "|ospf|" in a.reduction_key}
