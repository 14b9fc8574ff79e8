"""Handlers: each command's one handler, and the event handlers that keep history.

Handlers take the unit of work as an argument; ``bootstrap`` binds it. A command handler either
commits everything it changed or raises with nothing stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from oss_agent.domain import commands, events
from oss_agent.domain.alarm import Alarm, group_under
from oss_agent.domain.discovery import DISCOVERED_TAG
from oss_agent.domain.errors import NotFoundError
from oss_agent.domain.model import Device
from oss_agent.service_layer import discovery_handlers, resource_state
from oss_agent.service_layer.unit_of_work import UnitOfWork


async def sync_inventory(cmd: commands.SyncInventory, uow: UnitOfWork) -> dict[str, list[str]]:
    """Make stored devices match the inventory; returns the names added, updated and removed."""
    summary: dict[str, list[str]] = {"added": [], "updated": [], "removed": []}
    wanted = {spec.name: spec for spec in cmd.devices}
    with uow:
        stored = {device.name: device for device in uow.devices.list()}
        for name, spec in wanted.items():
            device = stored.get(name)
            if device is None:
                device = Device.from_spec(spec)
                device.events.append(events.DeviceAdded(name, spec.platform))
                uow.devices.add(device)
                summary["added"].append(name)
            else:
                before = len(device.events)
                device.apply_spec(spec)
                if len(device.events) > before:
                    summary["updated"].append(name)
        if cmd.remove_missing:
            # Devices found by discovery's crawl are not in the inventory file by design: keep them.
            for name in sorted(n for n in set(stored) - set(wanted) if DISCOVERED_TAG not in stored[n].tags):
                stored[name].events.append(events.DeviceRemoved(name))
                uow.devices.remove(name)
                summary["removed"].append(name)
        uow.commit()
    return summary


async def record_interfaces(cmd: commands.RecordInterfaces, uow: UnitOfWork) -> int:
    with uow:
        device = uow.devices.get(cmd.device)
        if device is None:
            raise NotFoundError(f"device {cmd.device!r} is not in the inventory")
        device.update_interfaces(list(cmd.interfaces), datetime.now(UTC))
        uow.commit()
        return len(device.interfaces)


async def raise_alarm(cmd: commands.RaiseAlarm, uow: UnitOfWork) -> str:
    """Raise a new alarm, or update the open one with the same reduction key."""
    with uow:
        alarm = uow.alarms.active(cmd.spec.reduction_key)
        if alarm is None:
            alarm = Alarm.raise_new(cmd.spec, cmd.at)
            uow.alarms.add(alarm)
        else:
            alarm.repeat(cmd.spec, cmd.at)
        uow.commit()
        return alarm.id


async def clear_alarm(cmd: commands.ClearAlarm, uow: UnitOfWork) -> str | None:
    """Clear the open alarm for the reduction key; None when nothing was open."""
    with uow:
        alarm = uow.alarms.active(cmd.reduction_key)
        if alarm is None:
            return None
        alarm.clear(cmd.at)
        uow.commit()
        return alarm.id


async def acknowledge_alarm(cmd: commands.AcknowledgeAlarm, uow: UnitOfWork) -> None:
    with uow:
        alarm = uow.alarms.get(cmd.alarm_id)
        if alarm is None:
            raise NotFoundError(f"alarm {cmd.alarm_id!r} does not exist")
        alarm.acknowledge(cmd.user, cmd.at)
        uow.commit()


def _alarms_by_id(uow: UnitOfWork, alarm_ids: tuple[str, ...]) -> list[Alarm]:
    """Every named alarm, or NotFoundError before anything changed (a batch is all or nothing)."""
    found = [(alarm_id, uow.alarms.get(alarm_id)) for alarm_id in alarm_ids]
    missing = [alarm_id for alarm_id, alarm in found if alarm is None]
    if missing:
        raise NotFoundError(f"alarm(s) {', '.join(repr(m) for m in missing)} do not exist")
    return [alarm for _, alarm in found if alarm is not None]


async def acknowledge_alarms(cmd: commands.AcknowledgeAlarms, uow: UnitOfWork) -> list[str]:
    with uow:
        alarms = _alarms_by_id(uow, cmd.alarm_ids)
        for alarm in alarms:
            alarm.acknowledge(cmd.user, cmd.at)
        uow.commit()
        return [a.id for a in alarms]


async def unacknowledge_alarms(cmd: commands.UnacknowledgeAlarms, uow: UnitOfWork) -> list[str]:
    with uow:
        alarms = _alarms_by_id(uow, cmd.alarm_ids)
        for alarm in alarms:
            alarm.unacknowledge(cmd.user)
        uow.commit()
        return [a.id for a in alarms]


async def clear_alarms_by_id(cmd: commands.ClearAlarmsById, uow: UnitOfWork) -> list[str]:
    """Clear the named alarms; the ids of those that were still active (clearing twice changes nothing)."""
    with uow:
        alarms = [a for a in _alarms_by_id(uow, cmd.alarm_ids) if a.is_active]
        for alarm in alarms:
            alarm.clear(cmd.at)
        uow.commit()
        return [a.id for a in alarms]


async def group_alarms(cmd: commands.GroupAlarms, uow: UnitOfWork) -> list[str]:
    """The ids now symptoms of the root (every one named, or an error and no change)."""
    with uow:
        (root,) = _alarms_by_id(uow, (cmd.root_id,))
        alarms = _alarms_by_id(uow, cmd.alarm_ids)
        group_under(root, alarms, uow.alarms.roots_among(cmd.alarm_ids))
        uow.commit()
        return [a.id for a in alarms]


async def ungroup_alarms(cmd: commands.UngroupAlarms, uow: UnitOfWork) -> list[str]:
    """The ids that were symptoms of the root and are no longer."""
    with uow:
        (root,) = _alarms_by_id(uow, (cmd.root_id,))
        changed = [a.id for a in _alarms_by_id(uow, cmd.alarm_ids) if a.unmark_symptom_of(root)]
        uow.commit()
        return changed


async def comment_alarms(cmd: commands.CommentAlarms, uow: UnitOfWork) -> list[str]:
    with uow:
        alarms = _alarms_by_id(uow, cmd.alarm_ids)
        for alarm in alarms:
            alarm.add_comment(cmd.author, cmd.text, cmd.at)
        uow.commit()
        return [a.id for a in alarms]


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Awaitable[Any]]] = {
    commands.SyncInventory: sync_inventory,
    commands.RecordInterfaces: record_interfaces,
    commands.RaiseAlarm: raise_alarm,
    commands.ClearAlarm: clear_alarm,
    commands.AcknowledgeAlarm: acknowledge_alarm,
    commands.AcknowledgeAlarms: acknowledge_alarms,
    commands.UnacknowledgeAlarms: unacknowledge_alarms,
    commands.ClearAlarmsById: clear_alarms_by_id,
    commands.CommentAlarms: comment_alarms,
    commands.GroupAlarms: group_alarms,
    commands.UngroupAlarms: ungroup_alarms,
    **discovery_handlers.COMMAND_HANDLERS,
    **resource_state.COMMAND_HANDLERS,
}

# The inventory history is written by the unit of work, in the transaction of the change itself
# (``ChangeLog.record_events``): no event handler, so no transaction per event in a storm of changes.
EVENT_HANDLERS: dict[type[events.Event], list[Callable[..., Awaitable[None]]]] = {}
