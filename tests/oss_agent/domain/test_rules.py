"""Domain rules, with no database: alarms, service orders, links, devices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oss_agent.domain.alarm import Alarm, AlarmSpec, AlarmState, AlarmType, Severity
from oss_agent.domain.errors import InvalidTransitionError
from oss_agent.domain.events import (
    AlarmCleared,
    AlarmCorrelated,
    AlarmRaised,
    AlarmUpdated,
    DeviceReachabilityChanged,
    DeviceUpdated,
    InterfaceAdminStateChanged,
    InterfaceAppeared,
    InterfaceAttributesChanged,
    InterfaceStatusChanged,
    ServiceOrderStateChanged,
)
from oss_agent.domain.model import Device, DeviceSpec, InterfaceState, Link, LinkEnd
from oss_agent.domain.service_order import TRANSITIONS, ItemAction, OrderState, ServiceOrder, ServiceOrderItemSpec

T0 = datetime(2026, 11, 21, tzinfo=UTC)
SPEC = AlarmSpec("k", "pe1:eth1", AlarmType.COMMUNICATIONS, "linkDown", Severity.MAJOR)


def test_alarm_life_cycle_records_events() -> None:
    alarm = Alarm.raise_new(SPEC, T0)
    alarm.repeat(AlarmSpec("k", "pe1:eth1", AlarmType.COMMUNICATIONS, "linkDown", Severity.CRITICAL), T0)
    alarm.clear(T0 + timedelta(seconds=1))
    alarm.clear(T0 + timedelta(seconds=2))
    assert [type(e) for e in alarm.events] == [AlarmRaised, AlarmUpdated, AlarmCleared]
    assert (alarm.state, alarm.severity, alarm.repeat_count) == (AlarmState.CLEARED, Severity.CLEARED, 1)
    assert alarm.cleared_at == T0 + timedelta(seconds=1)


def test_a_cleared_alarm_cannot_repeat() -> None:
    alarm = Alarm.raise_new(SPEC, T0)
    alarm.clear(T0)
    with pytest.raises(InvalidTransitionError, match="a new occurrence raises a new alarm"):
        alarm.repeat(SPEC, T0)


def test_repeats_counted_together_are_one_update_with_the_total() -> None:
    alarm = Alarm.raise_new(SPEC, T0)
    alarm.repeat(SPEC, T0 + timedelta(seconds=5), times=40)
    assert (alarm.repeat_count, alarm.changed_at) == (40, T0 + timedelta(seconds=5))
    assert [type(e) for e in alarm.events] == [AlarmRaised, AlarmUpdated]
    with pytest.raises(ValueError, match="at least once"):
        alarm.repeat(SPEC, T0, times=0)
    assert alarm.repeat_count == 40


def test_alarm_cannot_be_its_own_root_and_ack_needs_a_user() -> None:
    alarm = Alarm.raise_new(SPEC, T0)
    with pytest.raises(InvalidTransitionError):
        alarm.mark_symptom_of(alarm)
    with pytest.raises(InvalidTransitionError):
        alarm.acknowledge("", T0)
    alarm.acknowledge("noc", T0)
    alarm.unacknowledge()
    assert (alarm.acknowledged, alarm.ack_user) == (False, None)


def test_a_published_alarm_found_to_be_a_symptom_says_so_once() -> None:
    root = Alarm.raise_new(AlarmSpec("pe1|unreachable", "pe1", AlarmType.COMMUNICATIONS, "x", Severity.CRITICAL), T0)
    fresh = Alarm.raise_new(SPEC, T0)
    fresh.mark_symptom_of(root)  # raised in the same change: its one create event already shows the root
    assert [type(e) for e in fresh.events] == [AlarmRaised]
    published = Alarm.raise_new(SPEC, T0)
    published.events.clear()  # as after the unit of work published its creation
    published.mark_symptom_of(root)
    published.mark_symptom_of(root)
    assert published.events == [AlarmCorrelated(published.id, root.id)]
    assert published.root_cause_id == root.id


def order() -> ServiceOrder:
    items = (ServiceOrderItemSpec("1", ItemAction.ADD, "s"), ServiceOrderItemSpec("2", ItemAction.ADD, "s"))
    return ServiceOrder.submit("so", items, T0)


@given(st.lists(st.sampled_from(list(OrderState)), max_size=8))
def test_service_order_only_moves_along_allowed_transitions(path: list[OrderState]) -> None:
    current = order()
    for target in path:
        before = current.state
        if target in TRANSITIONS[before]:
            current.transition(target, T0)
            assert current.state is target
        else:
            with pytest.raises(InvalidTransitionError):
                current.transition(target, T0)
            assert current.state is before


def test_settle_derives_the_final_state() -> None:
    for done, expected in (((True, True), OrderState.COMPLETED), ((True, False), OrderState.PARTIAL)):
        current = order()
        current.transition(OrderState.IN_PROGRESS, T0)
        for item, ok in zip(current.items, done, strict=True):
            item.state = OrderState.COMPLETED if ok else OrderState.FAILED
        current.settle(T0)
        assert current.state is expected
        assert current.events[-1] == ServiceOrderStateChanged("so", "inProgress", expected.value)


def test_empty_order_is_refused() -> None:
    with pytest.raises(InvalidTransitionError, match="has no items"):
        ServiceOrder.submit("so", (), T0)


def test_a_link_is_the_same_from_either_end() -> None:
    a, b = LinkEnd("pe1", "eth1"), LinkEnd("p1", "eth2")
    assert Link.between(a, b) == Link.between(b, a)
    assert Link.between(a, b).key == "p1:eth2--pe1:eth1"
    with pytest.raises(ValueError, match="two distinct ends"):
        Link.between(a, a)


def test_device_apply_spec_records_only_real_changes() -> None:
    device = Device.from_spec(DeviceSpec("pe1", "198.51.100.1", "frr", tags=("a",)))
    device.apply_spec(DeviceSpec("pe1", "198.51.100.1", "frr", tags=("a",)))
    assert device.events == []
    device.apply_spec(DeviceSpec("pe1", "198.51.100.2", "frr", tags=("a", "b")))
    assert device.events == [DeviceUpdated("pe1", ("host", "tags"))]


def test_unpublished_repeats_coalesce_into_one_update_event() -> None:
    alarm = Alarm.raise_new(SPEC, T0)
    for _ in range(1000):
        alarm.repeat(SPEC, T0)
    assert [type(e) for e in alarm.events] == [AlarmRaised, AlarmUpdated]
    assert alarm.events[-1] == AlarmUpdated(alarm.id, 1000, "major")


def test_a_device_records_what_its_observations_change() -> None:
    device = Device("pe1", "10.0.0.1", "frr")
    eth1 = InterfaceState("eth1", 2, "to p1", "ethernetCsmacd", 10**9, 1500, None, True, "up")
    device.update_interfaces([eth1], T0)
    device.events.clear()
    device.observe_reachability(True, T0)
    device.observe_reachability(True, T0 + timedelta(seconds=1))  # the same: nothing to record
    device.observe_interface("eth1", "down", False, T0)
    assert not device.observe_interface("eth9", "down", True, T0)  # not an interface of this device
    device.update_interfaces([replace(eth1, description="to p2", mtu=9000, oper_status="down", admin_up=False)], T0)
    device.observe_interfaces([replace(eth1, description="", oper_status="up"), InterfaceState("eth2")], T0)
    assert device.events == [
        DeviceReachabilityChanged("pe1", None, True),
        InterfaceStatusChanged("pe1", "eth1", "up", "down"),
        InterfaceAdminStateChanged("pe1", "eth1", False),
        InterfaceAttributesChanged("pe1", "eth1", ("description", "mtu")),
        InterfaceStatusChanged("pe1", "eth1", "down", "up"),
        InterfaceAdminStateChanged("pe1", "eth1", True),
        InterfaceAppeared("pe1", "eth2"),
    ]
    assert device.interfaces["eth1"].description == "to p2"  # a poll's reading leaves attributes alone
    assert (device.reachable, device.state_changed_at) == (True, T0)
