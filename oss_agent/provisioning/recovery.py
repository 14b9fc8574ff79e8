"""Finishing what a killed agent left: every order still in progress is completed or rolled back.

On start, before it takes new orders, the agent looks at each order in progress:

- its commit never started: no device was touched; the order fails, saying so;
- the journal holds the decision to commit (every device prepared, every check passed): the order
  is completed. Each NETCONF commit still pending is confirmed by its persist id; one that reverted
  meanwhile (the confirm timeout passed) is made again, then read back;
- otherwise every device whose journal says it may have changed is restored from its snapshot and
  the restore verified; the order fails with what was done per device.

A device that could not be restored keeps ``rollbackFailed`` and is tried again on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from adapters import AdapterError
from oss_agent.domain.errors import DomainError
from oss_agent.domain.resource_order import TOUCHED, Phase
from oss_agent.domain.service_order import OrderState
from oss_agent.provisioning import finalize
from oss_agent.provisioning.configmodels import NETCONF, cli_model
from oss_agent.provisioning.devices import DeviceHandle
from oss_agent.provisioning.engine import Activator, Progress, _quiet, rollback
from oss_agent.provisioning.worker import alive, this_worker
from oss_agent.storage.provisioning_repository import ResourceOrder

logger = logging.getLogger(__name__)


@dataclass
class Recovered:
    completed: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    untouched: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)


async def recover(activator: Activator, progress: Progress | None = None) -> Recovered:
    """Complete or roll back every order left in progress; retry restores that failed before."""
    say = progress or _quiet
    done = Recovered()
    with activator.uow_factory() as uow:
        orders = uow.orders.list(states=[OrderState.IN_PROGRESS.value])
        stuck = [
            o.id
            for o in uow.orders.list(states=[OrderState.FAILED.value], limit=200)
            if any(ro.phase is Phase.ROLLBACK_FAILED for ro in uow.resource_orders.of_order(o.id))
        ]
    for order in orders:
        with activator.uow_factory() as uow:
            decision, checks, _ = uow.orders.journal(order.id)
            works = uow.resource_orders.of_order(order.id)
            worker = uow.orders.worker(order.id)
        if worker != this_worker() and alive(worker):
            continue  # another live agent is running it now
        if order.commit_started_at is None:
            finalize.failed(
                activator.uow_factory, order.id, "interrupted before any device was touched; nothing changed", {}
            )
            done.untouched.append(order.id)
        elif decision == "commit":
            await _complete(activator, works, say)
            finalize.completed(activator.uow_factory, order.id, checks)
            done.completed.append(order.id)
        else:
            handles = _handles(activator, works)
            undone = await rollback(activator.uow_factory, works, handles, say)
            summary = "; ".join(f"{d}: {m}" for d, m in sorted(undone.items())) or "no device had been changed"
            finalize.failed(
                activator.uow_factory, order.id, f"the agent stopped during the activation; on restart: {summary}", {}
            )
            done.rolled_back.append(order.id)
        await _release(activator, order.id)
    for order_id in stuck:
        with activator.uow_factory() as uow:
            works = [ro for ro in uow.resource_orders.of_order(order_id) if ro.phase is Phase.ROLLBACK_FAILED]
        for ro in works:
            ro.phase = Phase.APPLYING  # "may have changed": restore it again
        undone = await rollback(activator.uow_factory, works, _handles(activator, works), say)
        logger.info("order %s: restore retried: %s", order_id, undone)
        done.retried.append(order_id)
    return done


def _handles(activator: Activator, works: list[ResourceOrder]) -> dict[str, DeviceHandle]:
    out: dict[str, DeviceHandle] = {}
    for ro in works:
        try:
            out[ro.device] = DeviceHandle(
                activator.target(ro.device), activator.drivers, ro.snapshot_netconf is not None
            )
        except DomainError as exc:  # the device left the inventory: it cannot be reached any more
            logger.error("order %s: %s", ro.order_id, exc)
    return out


async def _release(activator: Activator, order_id: str) -> None:
    await asyncio.to_thread(activator.queue.leases.release, order_id)


async def _complete(activator: Activator, works: list[ResourceOrder], say: Progress) -> None:
    """Roll forward: each prepared device's change made permanent, and read back."""
    for ro in works:
        if ro.phase not in TOUCHED or ro.phase is Phase.COMMITTED:
            continue
        handle = DeviceHandle(activator.target(ro.device), activator.drivers, ro.snapshot_netconf is not None)
        try:
            if ro.change_netconf and ro.persist_id:
                await _settle_netconf(handle, ro)
            if ro.change_cli and ro.target_cli is not None:
                model = cli_model(ro.platform)
                if not model.same(await handle.read_cli(), ro.target_cli):
                    await handle.apply_cli(list(ro.change_cli))
            with activator.uow_factory() as uow:
                uow.resource_orders.set_phase(ro.id, Phase.COMMITTED)
                uow.commit()
            say(ro.device, "committed", "on restart")
        except AdapterError as exc:
            with activator.uow_factory() as uow:
                uow.resource_orders.set_phase(ro.id, ro.phase, f"completing on restart failed: {exc}")
                uow.commit()
            raise


async def _settle_netconf(handle: DeviceHandle, ro: ResourceOrder) -> None:
    assert ro.persist_id is not None and ro.change_netconf is not None
    with contextlib.suppress(AdapterError):  # nothing pending: confirmed already, or reverted by itself
        await handle.confirm_netconf(ro.persist_id)
    current = await handle.read_netconf() or ""
    if ro.target_netconf is not None and not NETCONF.same(current, ro.target_netconf):
        await handle.commit_netconf(ro.change_netconf)  # reverted after its timeout: make it again
