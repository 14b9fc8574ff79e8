"""Activation: an order's devices changed all together or not at all, then proven by checks.

The steps, each journalled before it touches anything (``journal.py``):

1. claim the order (acknowledged -> inProgress) and reserve its new services; plan and take pool values;
2. wait for the order's turn on each of its devices (``queue.py``), then start the commit: from here
   the order can no longer be cancelled;
3. snapshot every device (running configuration, CLI and NETCONF) and compute each device's change;
   check that the service's traffic does *not* pass yet;
4. prepare every device at once: the CLI part is applied (all lines or none), the NETCONF part goes
   through the candidate and a confirmed commit with a persist id (it reverts unless confirmed);
5. run the checks; if any device failed or any check did not give its expected outcome, every device
   changed is restored from its snapshot, the restore is verified, and the order fails with the reason
   per device;
6. otherwise record the decision to commit, confirm the NETCONF commits, and store the services
   (state, renderings, supporting resources, check results) with the order completed.

A crash at any point is finished by :mod:`oss_agent.provisioning.recovery` on the next start.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import secrecy
from adapters import AdapterError, DeviceTarget, DriverRegistry
from adapters.blocking import BlockingRunner
from oss_agent.config.inventory import Inventory
from oss_agent.domain.errors import DomainError
from oss_agent.domain.resource_order import TOUCHED, Phase
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.service_order import ItemAction, OrderState, ServiceOrder
from oss_agent.provisioning import finalize
from oss_agent.provisioning.catalog import Catalog
from oss_agent.provisioning.checks import Checker, CheckResult, expectation
from oss_agent.provisioning.devices import DeviceHandle, DriverPool
from oss_agent.provisioning.failpoints import Failpoints
from oss_agent.provisioning.journal import DeviceWork, device_work, plan_record
from oss_agent.provisioning.planner import CheckInstance, Plan, Planner
from oss_agent.provisioning.queue import DeviceQueue
from oss_agent.provisioning.sites import Resolver
from oss_agent.provisioning.worker import this_worker
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage.pool_repository import PoolStore
from oss_agent.storage.provisioning_repository import LeaseStore

logger = logging.getLogger(__name__)
Progress = Callable[[str, str, str], None]


def _now() -> datetime:
    return datetime.now(UTC)


def _quiet(device: str, phase: str, detail: str) -> None:
    logger.info("%s: %s %s", device, phase, detail)


@dataclass(frozen=True)
class ActivationSettings:
    confirm_timeout_s: int = 120  # a NETCONF confirmed commit reverts by itself after this long
    check_timeout_s: float = 30.0  # how long a check may take to show its expected outcome
    precheck_timeout_s: float = 3.0


class Activator:
    def __init__(
        self,
        uow_factory: Callable[[], SqlAlchemyUnitOfWork],
        pools: PoolStore,
        leases: LeaseStore,
        catalog: Catalog,
        inventory: Inventory,
        registry: DriverRegistry,
        settings: ActivationSettings | None = None,
        runner: BlockingRunner | None = None,
        failpoints: Failpoints | None = None,
    ) -> None:
        self.uow_factory, self.pools, self.catalog, self.inventory = uow_factory, pools, catalog, inventory
        self.settings = settings or ActivationSettings()
        self.queue = DeviceQueue(leases, runner)
        self.drivers = DriverPool(registry)
        self.checker = Checker(self.drivers, self.target)
        self.failpoints = failpoints or Failpoints()

    def target(self, name: str) -> DeviceTarget:
        """A device's target, or a probe's (probes are reached like Linux devices)."""
        if name in self.inventory.names():
            return self.inventory.target(name)
        probe = next((p for p in self.inventory.probes if p.name == name), None)
        if probe is None:
            raise DomainError(f"{name!r} is neither a device nor a probe of the inventory")
        return self.inventory.probe_target(probe)

    def planner(self) -> Planner:
        with self.uow_factory() as uow:
            links = uow.links.list()
        return Planner(self.catalog, self.inventory, Resolver(self.inventory, links), self.pools)

    async def close(self) -> None:
        await self.drivers.close()

    # -- the steps ------------------------------------------------------------------------------

    def claim(self, order_id: str) -> ServiceOrder | None:
        """acknowledged/pending -> inProgress, with a reserved service per added item; None if not ours to run."""
        with self.uow_factory() as uow:
            order = uow.orders.get(order_id, for_update=True)
            if order is None or order.state not in (OrderState.ACKNOWLEDGED, OrderState.PENDING):
                return None
            if order.requested_start is not None and order.requested_start > _now():
                return None
            now = _now()
            order.start(now)
            uow.orders.record(order.id, worker=this_worker())
            for item in order.items:
                if item.action is ItemAction.ADD and item.service_id is None:
                    spec = self.catalog.spec(item.service_spec)
                    service = Service.reserve(
                        str(uuid.uuid4()),
                        item.service_name or spec.id,
                        spec.id,
                        {},
                        order.id,
                        item.item_id,
                        now,
                        external_id=order.external_id,
                        related_party=order.related_party,
                    )
                    if not item.service_name:
                        service.name = item.service_name = f"{spec.id}-{service.id[:8]}"
                    item.service_id = service.id
                    uow.services.add(service)
            uow.commit()
            return order

    def load_plan(self, order: ServiceOrder, *, allocate: bool) -> Plan:
        with self.uow_factory() as uow:
            ids = [i.service_id for i in order.items if i.service_id]
            services = {s: svc for s in ids if (svc := uow.services.get(s)) is not None}
            stored = {s: uow.renderings.of_service(s) for s in ids}
        return self.planner().plan(order, services, stored, allocate=allocate)

    async def execute(self, order_id: str, progress: Progress | None = None) -> str:
        """Run the order if it is ours to run; returns its final state (or its state when not run)."""
        say = progress or _quiet
        order = self.claim(order_id)
        if order is None:
            with self.uow_factory() as uow:
                current = uow.orders.get(order_id)
            return current.state.value if current else "unknown"
        try:
            the_plan = self.load_plan(order, allocate=True)
        except (DomainError, AdapterError) as exc:
            return finalize.failed(self.uow_factory, order_id, f"planning failed: {exc}", {})
        for item in the_plan.items:
            say(",".join(sorted(item.devices)), "planned", f"{item.item.action.value} {item.spec.id} {item.service_id}")
        async with self.queue.hold(order_id, the_plan.devices):
            if not self.begin_commit(order_id):
                return OrderState.CANCELLED.value
            # planned again now that no one else changes these devices: an order ahead in the queue may
            # have changed the same services (their stored renderings and values are read afresh)
            try:
                again = self.load_plan(order, allocate=True)
            except (DomainError, AdapterError) as exc:
                return finalize.failed(self.uow_factory, order_id, f"planning failed: {exc}", {})
            if not set(again.devices) <= set(the_plan.devices):
                extra = ", ".join(sorted(set(again.devices) - set(the_plan.devices)))
                reason = f"the order's devices changed while it waited ({extra})"
                return finalize.failed(self.uow_factory, order_id, reason, {})
            return await self._activate(again, say)

    def begin_commit(self, order_id: str) -> bool:
        with self.uow_factory() as uow:
            order = uow.orders.get(order_id, for_update=True)
            if order is None or order.state is not OrderState.IN_PROGRESS:
                return False
            order.begin_commit(_now())
            uow.commit()
            return True

    async def _activate(self, the_plan: Plan, say: Progress) -> str:
        order_id = the_plan.order.id
        await self.failpoints.reach("before-snapshot")
        handles = {
            d: DeviceHandle(t, self.drivers, self._needs_netconf(the_plan, d)) for d, t in the_plan.targets.items()
        }
        snapshots, prechecks = await asyncio.gather(
            self._snapshot(the_plan, handles, say), self._precheck(the_plan), return_exceptions=True
        )
        if isinstance(snapshots, BaseException):
            if not isinstance(snapshots, AdapterError | DomainError | ValueError):
                raise snapshots
            return finalize.failed(self.uow_factory, order_id, f"reading the devices failed: {snapshots}", {})
        if isinstance(prechecks, BaseException):
            raise prechecks
        works, before = snapshots, prechecks
        with self.uow_factory() as uow:
            for work in works:
                uow.resource_orders.save(work.resource_order)
            uow.orders.record(order_id, plan=plan_record(the_plan, works), checks=[r.as_dict() for r in before])
            uow.commit()
        results = await asyncio.gather(
            *(self._prepare(w, handles[w.device], say) for w in works), return_exceptions=True
        )
        failures = {w.device: _reason(r) for w, r in zip(works, results, strict=True) if isinstance(r, BaseException)}
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, AdapterError | DomainError | ValueError):
                logger.error("unexpected failure while preparing: %r", result)
        after: list[CheckResult] = []
        if not failures:
            after = await self._checks(the_plan, "after")
            failures = {
                c.device: f"check failed: {c.label}: {c.detail} (expected {c.expected})" for c in after if not c.ok
            }
            await self.failpoints.reach("checked")
        all_checks = [r.as_dict() for r in [*before, *after]]
        if failures:
            say(",".join(sorted(failures)), "failed", "; ".join(f"{d}: {m}" for d, m in sorted(failures.items())))
            await self.failpoints.reach("rollback")
            undone = await rollback(self.uow_factory, works, handles, say)
            reason = "; ".join(f"{d}: {m}" for d, m in sorted(failures.items()))
            reason += " | " + "; ".join(f"{d}: {m}" for d, m in sorted(undone.items()))
            return finalize.failed(self.uow_factory, order_id, reason, {}, checks=all_checks)
        with self.uow_factory() as uow:
            uow.orders.record(order_id, decision="commit", checks=all_checks)
            uow.commit()
        await self.failpoints.reach("decided")
        await asyncio.gather(*(self._confirm(w, handles[w.device], say) for w in works))
        state = finalize.completed(self.uow_factory, order_id, [r.as_dict() for r in after])
        await self.failpoints.reach("finalized")
        return state

    @staticmethod
    def _needs_netconf(the_plan: Plan, device: str) -> bool:
        return any(key == (device, "netconf") for item in the_plan.items for key in [*item.renderings, *item.old])

    async def _snapshot(self, the_plan: Plan, handles: dict[str, DeviceHandle], say: Progress) -> list[DeviceWork]:
        async def one(device: str) -> DeviceWork:
            handle = handles[device]
            cli, netconf = await asyncio.gather(handle.read_cli(), handle.read_netconf())
            with self.uow_factory() as uow:
                others = uow.renderings.on_device(device, exclude=[i.service_id for i in the_plan.items])
            work = device_work(the_plan.order.id, the_plan, device, cli, netconf, others)
            say(
                device,
                "snapshot",
                f"{len(work.resource_order.change_cli or [])} CLI lines"
                + (", a NETCONF edit" if work.resource_order.change_netconf else ""),
            )
            return work

        return list(await asyncio.gather(*(one(d) for d in the_plan.devices)))

    def _check_list(self, the_plan: Plan, phase: str) -> list[tuple[CheckInstance, str]]:
        out: list[tuple[CheckInstance, str]] = []
        for item in the_plan.items:
            if phase == "before":
                if item.item.action is ItemAction.ADD:
                    out += [(c, "fail") for c in item.checks if c.kind == "traffic"]
                continue
            for check in item.checks:
                expected = expectation(check.kind, item.state)
                if expected is not None:
                    out.append((check, expected))
        return out

    async def _precheck(self, the_plan: Plan) -> list[CheckResult]:
        return await self.checker.run(self._check_list(the_plan, "before"), "before", self.settings.precheck_timeout_s)

    async def _checks(self, the_plan: Plan, phase: str) -> list[CheckResult]:
        return await self.checker.run(self._check_list(the_plan, phase), phase, self.settings.check_timeout_s)

    async def _prepare(self, work: DeviceWork, handle: DeviceHandle, say: Progress) -> None:
        ro, device = work.resource_order, work.device
        if not work.changes:
            say(device, "unchanged", "")
            return
        with self.uow_factory() as uow:
            uow.resource_orders.set_phase(ro.id, Phase.APPLYING)
            uow.commit()
        ro.phase = Phase.APPLYING
        await self.failpoints.reach(f"applying:{device}")
        say(device, "applying", f"{len(ro.change_cli or [])} CLI lines")
        await handle.apply_cli(list(ro.change_cli or []), ro.snapshot_cli)
        await self.failpoints.reach(f"applied:{device}")
        if ro.change_netconf and ro.persist_id:
            say(device, "netconf", f"confirmed commit (persist id {ro.persist_id})")
            await handle.prepare_netconf(ro.change_netconf, ro.persist_id, self.settings.confirm_timeout_s)
        with self.uow_factory() as uow:
            uow.resource_orders.set_phase(ro.id, Phase.PREPARED)
            uow.commit()
        ro.phase = Phase.PREPARED
        say(device, "prepared", "")
        await self.failpoints.reach(f"prepared:{device}")

    async def _confirm(self, work: DeviceWork, handle: DeviceHandle, say: Progress) -> None:
        ro = work.resource_order
        if ro.phase is not Phase.PREPARED:
            return
        await finalize.confirm_device(self.uow_factory, ro, handle)
        say(work.device, "committed", "")
        await self.failpoints.reach(f"confirmed:{work.device}")


RESTORE_ATTEMPTS = 3  # a restore is tried this often (with backoff) before the device is left rollbackFailed
RESTORE_BACKOFF_S = 1.0


async def _restore(handle: DeviceHandle, ro: Any) -> tuple[Phase, str]:
    """One attempt at giving a device its snapshot back, verified by reading it again."""
    try:
        ok = True
        if ro.change_netconf and ro.snapshot_netconf is not None:
            if ro.persist_id:
                await handle.cancel_netconf(ro.persist_id)
            ok = await handle.restore_netconf(ro.snapshot_netconf) and ok
        if ro.change_cli and ro.snapshot_cli is not None:
            ok = await handle.restore_cli(ro.snapshot_cli) and ok
    except AdapterError as exc:
        return Phase.ROLLBACK_FAILED, f"restore failed: {exc}"
    if ok:
        return Phase.ROLLED_BACK, "restored and verified"
    return Phase.ROLLBACK_FAILED, "restore did NOT give the snapshot back"


def _reason(exc: BaseException) -> str:
    """A device's failure as stored: an exception no driver translated may quote a secret it was given."""
    return secrecy.hide(str(exc)) or type(exc).__name__


async def rollback(
    uow_factory: Callable[[], SqlAlchemyUnitOfWork],
    works: list[DeviceWork] | list[Any],
    handles: dict[str, DeviceHandle],
    say: Progress,
) -> dict[str, str]:
    """Restore every touched device from its snapshot and verify it; per device what happened."""

    async def one(work: Any) -> tuple[str, str]:
        ro = work.resource_order if isinstance(work, DeviceWork) else work
        if ro.phase not in TOUCHED:
            return ro.device, "untouched"
        handle = handles[ro.device]
        for attempt in range(RESTORE_ATTEMPTS):
            if attempt:  # a device that timed out or answered late is often only busy: try again
                await asyncio.sleep(RESTORE_BACKOFF_S * 2 ** (attempt - 1))
            phase, note = await _restore(handle, ro)
            if phase is Phase.ROLLED_BACK:
                break
            logger.warning("restore of %s, attempt %d of %d: %s", ro.device, attempt + 1, RESTORE_ATTEMPTS, note)
        with uow_factory() as uow:
            uow.resource_orders.set_phase(ro.id, phase, None if phase is Phase.ROLLED_BACK else note)
            uow.commit()
        ro.phase = phase
        say(ro.device, phase.value, note)
        return ro.device, note

    results = await asyncio.gather(*(one(w) for w in works))
    return {device: note for device, note in results if note != "untouched"}


__all__ = ["ActivationSettings", "Activator", "Progress", "ServiceState", "rollback"]
