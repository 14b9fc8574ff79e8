"""The message bus over a real SQLite database: commands, events, isolation of failures."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config.settings import AgentSettings
from oss_agent.domain import commands, events
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.catalog import OrderRejectedError
from oss_agent.domain.errors import NotFoundError
from oss_agent.domain.model import DeviceSpec, InterfaceState
from oss_agent.domain.service_order import ItemAction, OrderState, ServiceOrderItemSpec

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SPEC = AlarmSpec("pe1:eth1|linkDown", "pe1:eth1", AlarmType.COMMUNICATIONS, "linkDown", Severity.MAJOR)


@pytest.fixture
def agent(tmp_path: Path) -> Agent:
    built = bootstrap(AgentSettings(data_dir=tmp_path), upgrade_schema=True)
    yield built
    built.close()


def run(agent: Agent, message: commands.Command) -> object:
    return asyncio.run(agent.bus.handle(message)).result


def test_sync_inventory_adds_updates_removes_and_keeps_history(agent: Agent) -> None:
    first = (DeviceSpec("pe1", "198.51.100.11", "frr"), DeviceSpec("pe2", "198.51.100.12", "frr"))
    assert run(agent, commands.SyncInventory(first)) == {"added": ["pe1", "pe2"], "updated": [], "removed": []}
    second = (DeviceSpec("pe1", "198.51.100.99", "frr", site="pop1"),)
    assert run(agent, commands.SyncInventory(second)) == {"added": [], "updated": ["pe1"], "removed": ["pe2"]}
    assert run(agent, commands.SyncInventory(second)) == {"added": [], "updated": [], "removed": []}
    with agent.uow as uow:
        assert [d.name for d in uow.devices.list()] == ["pe1"]
        assert [kind for kind, _, _ in uow.changes.for_device("pe1")] == ["DeviceAdded", "DeviceUpdated"]
        assert uow.changes.for_device("pe1")[1][1] == {"changed": ["host", "site"]}
        assert [kind for kind, _, _ in uow.changes.for_device("pe2")] == ["DeviceAdded", "DeviceRemoved"]


def test_interface_changes_are_recorded_as_history(agent: Agent) -> None:
    run(agent, commands.SyncInventory((DeviceSpec("pe1", "198.51.100.11", "frr"),)))
    up = InterfaceState("eth1", 2, oper_status="up", speed_bps=10**9)
    run(agent, commands.RecordInterfaces("pe1", (up, InterfaceState("eth2", 3))))
    down = InterfaceState("eth1", 2, oper_status="down", speed_bps=10**8)
    run(agent, commands.RecordInterfaces("pe1", (down,)))
    with agent.uow as uow:
        kinds = [(kind, detail.get("interface")) for kind, detail, _ in uow.changes.for_device("pe1")][1:]
    assert kinds == [
        ("InterfaceAppeared", "eth1"),
        ("InterfaceAppeared", "eth2"),
        ("InterfaceRemoved", "eth2"),
        ("InterfaceStatusChanged", "eth1"),
        ("InterfaceSpeedChanged", "eth1"),
    ]


def test_unknown_device_is_a_clear_error_and_nothing_is_stored(agent: Agent) -> None:
    with pytest.raises(NotFoundError, match="device 'ghost' is not in the inventory"):
        run(agent, commands.RecordInterfaces("ghost", (InterfaceState("eth0"),)))


def test_repeated_fault_updates_one_alarm_and_clear_closes_it(agent: Agent) -> None:
    first = run(agent, commands.RaiseAlarm(SPEC, T0))
    again = run(agent, commands.RaiseAlarm(SPEC, T0 + timedelta(seconds=10)))
    assert first == again
    assert run(agent, commands.ClearAlarm(SPEC.reduction_key, T0 + timedelta(seconds=20))) == first
    assert run(agent, commands.ClearAlarm(SPEC.reduction_key, T0 + timedelta(seconds=30))) is None
    new = run(agent, commands.RaiseAlarm(SPEC, T0 + timedelta(seconds=40)))
    assert new != first
    with agent.uow as uow:
        alarms = {a.id: a for a in uow.alarms.list()}
    assert alarms[first].repeat_count == 1
    assert alarms[first].cleared_at == T0 + timedelta(seconds=20)
    assert alarms[new].is_active


def test_acknowledge_unknown_alarm_raises(agent: Agent) -> None:
    with pytest.raises(NotFoundError):
        run(agent, commands.AcknowledgeAlarm("nope", "noc", T0))


def test_invalid_service_order_is_refused_and_kept_as_rejected(agent: Agent) -> None:
    item = ServiceOrderItemSpec("1", ItemAction.ADD, "site-interconnect")
    with pytest.raises(OrderRejectedError, match="repeats an item id"):
        run(agent, commands.SubmitServiceOrder("so-1", (item, item)))
    unknown = ServiceOrderItemSpec("1", ItemAction.ADD, "l3vpn-site")
    with pytest.raises(OrderRejectedError, match="unknown specification 'l3vpn-site'") as caught:
        run(agent, commands.SubmitServiceOrder("so-2", (unknown,)))
    assert caught.value.problems[0].field == "serviceOrderItem[0].service.serviceSpecification.id"
    with agent.uow as uow:
        first, second = uow.orders.get("so-1"), uow.orders.get("so-2")
    assert first is not None and first.state is OrderState.REJECTED and "repeats" in first.errors[0]["message"]
    assert second is not None and second.state is OrderState.REJECTED


def test_command_without_handler_raises(agent: Agent) -> None:
    class Unknown(commands.Command):
        pass

    with pytest.raises(LookupError, match="no handler for command Unknown"):
        run(agent, Unknown())


def test_failing_event_handler_is_logged_and_isolated(agent: Agent, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    async def broken(event: events.AlarmRaised) -> None:
        raise RuntimeError("webhook down")

    async def working(event: events.AlarmRaised) -> None:
        seen.append(event.alarm_id)

    agent.bus.subscribe(events.AlarmRaised, broken)
    agent.bus.subscribe(events.AlarmRaised, working)
    with caplog.at_level(logging.ERROR):
        report = asyncio.run(agent.bus.handle(commands.RaiseAlarm(SPEC, T0)))
    assert seen == [report.result]
    assert report.event_failures == [("AlarmRaised", "broken", "RuntimeError: webhook down")]
    assert "event handler broken failed on AlarmRaised" in caplog.text
    with agent.uow as uow:
        assert uow.alarms.active(SPEC.reduction_key) is not None
