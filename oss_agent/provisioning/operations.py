"""What an operator does besides ordering: a dry run, a configuration check of the live services
(``service check``), and the orders behind ``service redeploy``, ``suspend`` and ``resume``.

A dry run plans the order as it would run now (pool values it would take are only looked at) and
reads each device's running configuration, then shows per device the native change (CLI lines, the
NETCONF ``<edit-config>``) and a diff: it writes nothing to a device nor to the database.

The check compares each live service's stored rendering with the running configuration: an item
missing (removed or changed behind the agent's back) marks the service out of sync and raises an
alarm on it; once in sync again the alarm clears. ``redeploy`` is a modify order with nothing
changed: the ownership rules turn it into exactly the missing items.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters import AdapterError
from adapters.redact import HIDDEN, is_secret_element, mask_config, mask_diff, mask_line
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.catalog import OrderRejectedError, Problem
from oss_agent.domain.commands import ClearAlarm, RaiseAlarm, SubmitServiceOrder
from oss_agent.domain.errors import DomainError, NotFoundError
from oss_agent.domain.service_order import ItemAction, ServiceOrder, ServiceOrderItemSpec
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.provisioning.devices import DeviceHandle
from oss_agent.provisioning.journal import device_work, model_for
from oss_agent.provisioning.planner import PORTS
from oss_agent.provisioning.sites import HOLDING, validate_items
from oss_agent.service_layer.messagebus import MessageBus


@dataclass
class DeviceDryRun:
    device: str
    platform: str
    cli: list[str]
    netconf: str | None
    diff: str
    error: str | None = None


@dataclass
class DryRun:
    items: list[dict[str, Any]]
    devices: list[DeviceDryRun]
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "devices": [d.__dict__ for d in self.devices],
            "problems": [{"field": p.field, "message": p.message} for p in self.problems],
        }


async def dry_run(ctx: ProvisioningContext, cmd: SubmitServiceOrder) -> DryRun:
    """The order's per-device native change and pool values, touching nothing."""
    now = datetime.now(UTC)
    problems = list(cmd.problems)
    try:
        order = ServiceOrder.submit(cmd.order_id, cmd.items, now, cmd.external_id, cmd.description)
    except DomainError as exc:
        return DryRun([], [], [*problems, Problem("serviceOrderItem", str(exc))])
    with ctx.uow() as uow:
        ids = [i.service_id for i in order.items if i.service_id]
        services = {s: svc for s in ids if (svc := uow.services.get(s)) is not None}
        problems += validate_items(
            order,
            ctx.catalog,
            lambda: ctx.resolver(uow),
            services,
            lambda port: ctx.pools.holder(PORTS, port),
            lambda: uow.services.list(states=HOLDING),
            uow.orders.open_items,
        )
        stored = {s: uow.renderings.of_service(s) for s in ids}
    if problems:
        return DryRun([], [], problems)
    activator = ctx.activator
    the_plan = activator.planner().plan(order, services, stored, allocate=False)
    items = [
        {
            "item": p.item.item_id,
            "action": p.item.action.value,
            "spec": p.spec.id,
            "service": p.service_id,
            "state": p.state.value,
            "devices": sorted(p.devices),
            "pool_values": p.allocations,
        }
        for p in the_plan.items
    ]

    async def one(device: str) -> DeviceDryRun:
        target = the_plan.targets[device]
        try:  # a device without a driver fails alone, like one that does not answer
            handle = DeviceHandle(target, activator.drivers, activator._needs_netconf(the_plan, device))
            cli, netconf = await asyncio.gather(handle.read_cli(), handle.read_netconf())
        except AdapterError as exc:
            return DeviceDryRun(device, target.platform, [], None, "", f"cannot read the device: {exc}")
        with ctx.uow() as uow:
            others = uow.renderings.on_device(device, exclude=[i.service_id for i in the_plan.items])
        work = device_work(order.id, the_plan, device, cli, netconf, others)
        ro = work.resource_order
        netconf_change = None if ro.change_netconf is None else mask_config(ro.change_netconf)
        cli_change = [mask_line(line) for line in ro.change_cli or []]
        return DeviceDryRun(device, target.platform, cli_change, netconf_change, mask_diff(ro.diff))

    devices = list(await asyncio.gather(*(one(d) for d in the_plan.devices)))
    return DryRun(items, devices)


@dataclass
class SyncReport:
    service_id: str
    name: str
    in_sync: bool
    missing: dict[str, list[str]]  # device -> items of the rendering not on the device
    error: str | None = None


def _drift_alarm(service_id: str, name: str, missing: dict[str, list[str]], resources: tuple[str, ...]) -> AlarmSpec:
    shown = "; ".join(f"{d}: {', '.join(m[:3])}{' ...' if len(m) > 3 else ''}" for d, m in sorted(missing.items()))
    return AlarmSpec(
        reduction_key=f"service:{service_id}|configurationOutOfSync",
        managed_object=f"service:{service_id}",
        alarm_type=AlarmType.PROCESSING_ERROR,
        probable_cause="configurationOrCustomizationError",
        severity=Severity.MAJOR,
        specific_problem=f"service {name} out of sync: missing {shown}",
        affected_resources=tuple(sorted({*resources, *missing})),
    )


async def check_services(ctx: ProvisioningContext, bus: MessageBus, service_id: str | None = None) -> list[SyncReport]:
    """Compare each live service's renderings with the running configurations; alarm on drift."""
    with ctx.uow() as uow:
        if service_id is not None:
            service = uow.services.get(service_id)
            if service is None:
                raise NotFoundError(f"no service {service_id!r}")
            services = [service]
        else:
            services = uow.services.list(states=["active", "inactive"])
        renderings = {s.id: uow.renderings.of_service(s.id) for s in services}
    if not services:
        return []  # nothing to read: not even the inventory is needed
    activator = ctx.activator
    devices = sorted({r.device for rs in renderings.values() for r in rs})
    running: dict[str, tuple[str, str | None] | str] = {}

    async def read(device: str) -> None:
        try:
            handle = DeviceHandle(activator.target(device), activator.drivers, netconf=True)
            cli, netconf = await asyncio.gather(handle.read_cli(), handle.read_netconf())
            running[device] = (cli, netconf)
        except (AdapterError, DomainError) as exc:
            running[device] = f"cannot read {device}: {exc}"

    await asyncio.gather(*(read(d) for d in devices))
    reports: list[SyncReport] = []
    now = datetime.now(UTC)
    for service in services:
        missing: dict[str, list[str]] = {}
        errors = []
        for r in renderings[service.id]:
            seen = running.get(r.device)
            if isinstance(seen, str) or seen is None:
                errors.append(seen or f"{r.device} not read")
                continue
            text = seen[0] if r.part == "cli" else seen[1]
            model = model_for(r.part, activator.target(r.device).platform)
            absent = model.items(r.text) - model.items(text or "")
            if absent:
                missing.setdefault(r.device, []).extend(sorted(_show(i) for i in absent))
        if errors:
            reports.append(SyncReport(service.id, service.name, False, missing, "; ".join(errors)))
            continue
        in_sync = not missing
        with ctx.uow() as uow:
            stored = uow.services.get(service.id)
            if stored is not None:
                detail = "" if in_sync else "; ".join(f"{d}: {len(m)} item(s) missing" for d, m in missing.items())
                stored.mark_sync(in_sync, detail, now)
                uow.commit()
        key = f"service:{service.id}|configurationOutOfSync"
        if in_sync:
            await bus.handle(ClearAlarm(key, now))
        else:
            await bus.handle(
                RaiseAlarm(_drift_alarm(service.id, service.name, missing, service.supporting_resources), now)
            )
        reports.append(SyncReport(service.id, service.name, in_sync, missing))
    return reports


def _show(item: Any) -> str:
    """A missing item as a person reads it in a report or an alarm, its secret (if any) hidden."""
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], tuple):
        path, value = item
        if all(isinstance(p, str) and p.startswith("{") for p in path):  # a NETCONF item
            if value is not None and path and is_secret_element(path[-1]):
                value = HIDDEN
            return "/".join(p.split("}")[-1] for p in path) + ("" if value is None else f" = {value}")
        return " > ".join([*path, mask_line(str(value))])
    return mask_line(str(item))


def service_order(service_id: str, spec_id: str, *, state: str | None = None, note: str = "") -> SubmitServiceOrder:
    """A one-item modify order on a service: nothing changed (redeploy), or a new state (suspend/resume)."""
    item = ServiceOrderItemSpec("1", ItemAction.MODIFY, spec_id, (), service_id=service_id, target_state=state)
    return SubmitServiceOrder(str(uuid.uuid4()), (item,), description=note)


__all__ = ["DryRun", "OrderRejectedError", "SyncReport", "check_services", "dry_run", "service_order"]
