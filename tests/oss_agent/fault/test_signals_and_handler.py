"""Notifications into signals, and signals into alarms: dedup, clears, root cause, flapping, events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.snmp import ber, mib
from adapters.snmp.traps import Notification
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config.settings import AgentSettings
from oss_agent.domain.commands import ProcessFaultSignals
from oss_agent.domain.fault import FaultSignal
from oss_agent.domain.model import Link, LinkEnd
from oss_agent.fault import signals
from oss_agent.fault.handlers import BatchResult
from oss_agent.storage.fault_tables import FaultEventRow
from oss_agent.storage.hub_tables import HubOutboxRow

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
IF3 = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3)


def note(trap: ber.Oid, *varbinds: ber.VarBind) -> Notification:
    return Notification("198.51.100.11", 161, "v2c", "community", trap, 100, tuple(varbinds), False, 0.0)


def names(device: str, index: int) -> str | None:
    return {3: "eth3"}.get(index)


def test_link_down_and_up_share_a_key_and_admin_down_is_no_fault() -> None:
    down = signals.classify(note(mib.LINK_DOWN, (IF3, ber.TAG_INTEGER, 3)), "pe1", T0, names)
    up = signals.classify(note(mib.LINK_UP, (IF3, ber.TAG_INTEGER, 3)), "pe1", T0, names)
    assert (down.kind, down.raised, down.reduction_key) == ("linkDown", True, "pe1:eth3|linkDown")
    assert (up.kind, up.raised, up.reduction_key) == ("linkUp", False, "pe1:eth3|linkDown")
    shut = signals.classify(
        note(mib.LINK_DOWN, (IF3, ber.TAG_INTEGER, 3), ((*signals.IF_ADMIN, 3), ber.TAG_INTEGER, 2)), "pe1", T0, names
    )
    assert (shut.kind, shut.reduction_key) == ("linkAdminDown", "pe1:eth3|linkDown")
    assert shut.spec is not None and shut.spec.severity.value == "warning"


def test_each_known_notification_and_the_unknown_one() -> None:
    peer = ((*signals.BGP_PEER_REMOTE_ADDR, 198, 19, 255, 2), ber.TAG_IPADDRESS, bytes([198, 19, 255, 2]))
    bgp_down = signals.classify(note(mib.BGP_BACKWARD_TRANSITION, peer), "pe1", T0, names)
    assert (bgp_down.reduction_key, bgp_down.raised) == ("pe1|bgp|198.19.255.2", True)
    assert not signals.classify(note(mib.BGP_ESTABLISHED, peer), "pe1", T0, names).raised
    ospf = ((*signals.OSPF_NBR_STATE, 198, 18, 0, 1, 0), ber.TAG_INTEGER, 1)
    assert (
        signals.classify(note(mib.OSPF_NBR_STATE_CHANGE, ospf), "pe1", T0, names).reduction_key == "pe1|ospf|198.18.0.1"
    )
    cold = signals.classify(note(mib.COLD_START), "pe1", T0, names)
    assert (cold.kind, cold.raised, cold.reduction_key) == ("coldStart", False, "pe1|unreachable")
    assert signals.classify(note(mib.AUTHENTICATION_FAILURE), "pe1", T0, names).spec is not None
    odd = signals.classify(
        note((1, 3, 6, 1, 4, 1, 9999, 1), ((1, 3, 6, 1, 4, 1, 9999, 2, 0), ber.TAG_OCTET_STRING, b"x")),
        "pe1",
        T0,
        names,
    )
    assert odd.kind == "unknownTrap" and not odd.alarming
    assert odd.detail["varbinds"] == {"1.3.6.1.4.1.9999.2.0": "x"}


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    built = bootstrap(AgentSettings(data_dir=tmp_path), upgrade_schema=True)
    yield built
    built.close()


def apply(agent: Agent, *batch: FaultSignal) -> BatchResult:
    result = asyncio.run(agent.bus.handle(ProcessFaultSignals(tuple(batch)))).result
    assert isinstance(result, BatchResult)
    return result


def link_down(device: str, interface: str, at: datetime, count_repeat: bool = True) -> FaultSignal:
    spec = signals.link_down_spec(device, interface, "test")
    return FaultSignal(device, "linkDown", spec.reduction_key, True, "trap", at, spec, count_repeat)


def link_up(device: str, interface: str, at: datetime) -> FaultSignal:
    return FaultSignal(device, "linkUp", signals.link_key(device, interface), False, "trap", at)


def test_a_storm_on_one_interface_is_one_alarm_and_every_signal_is_an_event(agent: Agent) -> None:
    storm = [link_down("pe1", "eth3", T0 + timedelta(milliseconds=i)) for i in range(1000)]
    result = apply(agent, *storm)
    assert (result.raised, result.updated, result.events) == (1, 999, 1000)
    with agent.uow as uow:
        (alarm,) = uow.alarms.list()
        assert alarm.repeat_count == 999
        assert uow.session.scalar(select(func.count()).select_from(FaultEventRow)) == 1000


def test_repeats_clears_and_raises_of_one_key_in_one_batch_keep_their_order(agent: Agent) -> None:
    """Repeats are applied once per alarm and batch; a clear in the middle still ends the first alarm
    with its own count, and the fault coming back is a new alarm counting only its own repeats."""
    at = [T0 + timedelta(seconds=i) for i in range(8)]
    first = apply(agent, link_down("pe1", "eth3", at[0]))
    batch = [
        link_down("pe1", "eth3", at[1]),
        link_down("pe1", "eth3", at[2]),
        link_down("pe1", "eth3", at[3]),
        link_up("pe1", "eth3", at[4]),
        link_down("pe1", "eth3", at[5]),
        link_down("pe1", "eth3", at[6]),
        link_down("pe2", "eth1", at[7]),
    ]
    result = apply(agent, *batch)
    assert (first.raised, result.raised, result.updated, result.cleared, result.events) == (1, 2, 4, 1, 7)
    with agent.uow as uow:
        old, new, other = sorted(uow.alarms.list(), key=lambda a: (a.managed_object, a.raised_at))
        ids = list(uow.session.scalars(select(FaultEventRow.alarm_id).order_by(FaultEventRow.id)))
    assert (old.repeat_count, old.is_active, old.cleared_at) == (3, False, at[4])
    assert (new.repeat_count, new.is_active, new.raised_at, new.changed_at) == (1, True, at[5], at[6])
    assert (other.repeat_count, other.managed_object) == (0, "pe2:eth1")
    assert ids == [old.id, old.id, old.id, old.id, old.id, new.id, new.id, other.id]


def test_polls_do_not_count_repeats_and_link_up_clears(agent: Agent) -> None:
    apply(agent, link_down("pe1", "eth3", T0, count_repeat=False), link_down("pe1", "eth3", T0, count_repeat=False))
    result = apply(agent, link_up("pe1", "eth3", T0 + timedelta(seconds=5)))
    assert result.cleared == 1
    with agent.uow as uow:
        (alarm,) = uow.alarms.list()
        assert alarm.repeat_count == 0 and not alarm.is_active


def test_unreachable_device_is_the_root_of_its_own_and_its_neighbours_alarms(agent: Agent) -> None:
    with agent.uow as uow:
        uow.links.upsert(Link.between(LinkEnd("pe2", "eth3"), LinkEnd("ce2", "eth1")), T0)
        uow.commit()
    # the neighbour's linkDown trap arrives before the poll finds ce2 unreachable...
    apply(agent, link_down("pe2", "eth3", T0), link_down("pe1", "eth1", T0))
    root = FaultSignal(
        "ce2",
        "unreachable",
        signals.unreachable_key("ce2"),
        True,
        "poll",
        T0,
        signals.unreachable_spec("ce2", "timeout"),
        False,
    )
    result = apply(agent, root)
    # ...and one of ce2's own objects after it
    apply(agent, link_down("ce2", "lan0", T0 + timedelta(seconds=1)))
    assert result.symptoms == 1
    with agent.uow as uow:
        alarms = {a.reduction_key: a for a in uow.alarms.list()}
    root_id = alarms["ce2|unreachable"].id
    assert alarms["pe2:eth3|linkDown"].root_cause_id == root_id
    assert alarms["ce2:lan0|linkDown"].root_cause_id == root_id
    assert alarms["pe1:eth1|linkDown"].root_cause_id is None


def test_a_fault_that_keeps_coming_back_is_marked_flapping(agent: Agent) -> None:
    for i in range(4):
        at = T0 + timedelta(seconds=10 * i)
        apply(agent, link_down("pe1", "eth2", at))
        apply(agent, link_up("pe1", "eth2", at + timedelta(seconds=1)))
    with agent.uow as uow:
        flags = [a.flapping for a in sorted(uow.alarms.list(), key=lambda a: a.raised_at)]
    assert flags == [False, False, True, True]


def test_the_alarm_stored_failpoint_is_reached_after_the_commit_once_per_object_changed(agent: Agent) -> None:
    """``alarm-stored:OBJECT`` (what a test arms to kill the agent with a hub event owed): reached
    when the alarm's raise or clear and its outbox row are committed, never for a mere repeat."""
    assert agent.provisioning is not None
    failpoints = agent.provisioning.failpoints
    seen: list[tuple[bool, int]] = []

    def committed() -> None:  # what another connection sees at the point
        with agent.uow as uow:
            (alarm,) = [a for a in uow.alarms.list() if a.managed_object == "pe1:eth3"]
            owed = uow.session.scalars(select(HubOutboxRow.id).where(HubOutboxRow.resource_id == alarm.id)).all()
            seen.append((alarm.is_active, len(owed)))

    failpoints.hooks["alarm-stored:pe1:eth3"] = committed
    apply(agent, link_down("pe1", "eth3", T0), link_down("pe2", "eth1", T0))
    apply(agent, link_down("pe1", "eth3", T0 + timedelta(seconds=1)))  # a repeat: nothing stored to tell
    apply(agent, link_up("pe1", "eth3", T0 + timedelta(seconds=2)))
    assert failpoints.reached == ["alarm-stored:pe1:eth3", "alarm-stored:pe2:eth1", "alarm-stored:pe1:eth3"]
    assert seen[0] == (True, 1) and not seen[1][0] and seen[1][1] > 1
    del failpoints.hooks["alarm-stored:pe1:eth3"]
    apply(agent, link_down("pe1", "eth3", T0 + timedelta(seconds=3)))
    assert len(failpoints.reached) == 3  # unarmed: nothing kept
