"""The activation's records: what an order will leave on the network (the plan record), and per device
the resource order (snapshot, change, phase). Both are written before the step they describe, so a
restarted agent can finish or undo any order it was running.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from adapters import DeviceTarget
from oss_agent.domain.ownership import Rendered, plan
from oss_agent.domain.resource_order import Phase
from oss_agent.provisioning.configmodels import NETCONF as NETCONF_MODEL
from oss_agent.provisioning.configmodels import ConfigModel, NativeChange, cli_model
from oss_agent.provisioning.planner import CLI, NETCONF, Plan
from oss_agent.storage.provisioning_repository import Rendering, ResourceOrder


@dataclass
class DeviceWork:
    """One device's resource order, with the native change computed from its snapshot."""

    resource_order: ResourceOrder
    target: DeviceTarget
    cli: NativeChange | None
    netconf: NativeChange | None
    preexisting: dict[tuple[str, str], list[Any]]  # (service id, part) -> encoded items

    @property
    def device(self) -> str:
        return self.target.name

    @property
    def changes(self) -> bool:
        return any(c is not None and not c.empty for c in (self.cli, self.netconf))


def model_for(part: str, platform: str) -> ConfigModel:
    return NETCONF_MODEL if part == NETCONF else cli_model(platform)


def device_work(
    order_id: str,
    the_plan: Plan,
    device: str,
    snapshot_cli: str,
    snapshot_netconf: str | None,
    others: list[Rendering],
) -> DeviceWork:
    """The change an order makes on ``device`` from its snapshot, items owned as :mod:`ownership` says."""
    target = the_plan.targets[device]
    changes: dict[str, NativeChange | None] = {CLI: None, NETCONF: None}
    preexisting: dict[tuple[str, str], list[Any]] = {}
    for part, running_text in ((CLI, snapshot_cli), (NETCONF, snapshot_netconf)):
        model = model_for(part, target.platform)
        services: dict[str, Rendered[Any]] = {}
        for item in the_plan.items:
            key = (device, part)
            old = item.old.get(key)
            new_text = item.renderings.get(key)
            if old is None and new_text is None:
                continue
            services[item.service_id] = Rendered(
                model.items(old.text) if old else frozenset(),
                model.items(new_text) if new_text is not None else frozenset(),
                model.decode(list(old.preexisting)) if old else frozenset(),
            )
        if not services:
            continue
        if running_text is None:
            raise ValueError(f"{device} has no NETCONF access but a rendering needs it")
        running = model.items(running_text)
        owned: frozenset[Any] = frozenset()
        for r in others:
            if r.part == part:
                owned |= model.items(r.text)
        change = plan(services, owned, running)
        changes[part] = model.change(running_text, change.remove, change.add)
        for service_id, items in change.preexisting.items():
            preexisting[(service_id, part)] = model.encode(items)
    cli, netconf = changes[CLI], changes[NETCONF]
    diff = "".join(c.diff for c in (cli, netconf) if c is not None)
    changed = any(c is not None and not c.empty for c in (cli, netconf))
    ro = ResourceOrder(
        id=str(uuid.uuid4()),
        order_id=order_id,
        device=device,
        platform=target.platform,
        phase=Phase.SNAPSHOT if changed else Phase.NO_CHANGE,
        services=sorted(i.service_id for i in the_plan.items if device in i.devices),
        snapshot_cli=snapshot_cli,
        snapshot_netconf=snapshot_netconf,
        change_cli=list(cli.lines) if cli else [],
        change_netconf=netconf.xml if netconf else None,
        target_cli=cli.target if cli else None,
        target_netconf=netconf.target if netconf else None,
        persist_id=uuid.uuid4().hex[:16] if netconf is not None and netconf.xml else None,
        diff=diff,
    )
    return DeviceWork(ro, target, cli, netconf, preexisting)


def plan_record(the_plan: Plan, works: list[DeviceWork]) -> dict[str, Any]:
    """What the order leaves behind once committed: per service its state, values, resources and renderings."""
    items = []
    for item in the_plan.items:
        renderings = []
        for (device, part), text in sorted(item.renderings.items()):
            pre = next((w.preexisting.get((item.service_id, part), []) for w in works if w.device == device), [])
            renderings.append([device, part, text, pre])
        items.append(
            {
                "item_id": item.item.item_id,
                "service_id": item.service_id,
                "action": item.item.action.value,
                "spec": item.spec.id,
                "name": item.name,
                "state": item.state.value,
                "values": item.values,
                "resources": list(item.resources),
                "renderings": renderings,
                "allocations": item.allocations,
            }
        )
    return {"items": items}
