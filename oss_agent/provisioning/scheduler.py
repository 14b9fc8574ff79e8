"""The daemon's order runner: each accepted order runs at its ``requestedStartDate`` (an APScheduler
date job) or at once, and orders accepted by another process (``oss-agent order submit`` without
``--wait``) are picked up by a periodic sweep. An order runs at most once: the claim in the database
decides (see :meth:`Activator.claim`), so the sweep and a direct hand-over never both run it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from oss_agent.domain.service_order import OrderState
from oss_agent.provisioning.engine import Activator

logger = logging.getLogger(__name__)
SWEEP_S = 2.0


class OrderScheduler:
    def __init__(self, activator: Activator, scheduler: AsyncIOScheduler) -> None:
        self.activator = activator
        self.scheduler = scheduler
        self.running: dict[str, asyncio.Task[str]] = {}

    def start(self) -> None:
        self.scheduler.add_job(
            self.sweep,
            "interval",
            id="orders:sweep",
            seconds=SWEEP_S,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )

    def enqueue(self, order_id: str) -> None:
        """Run ``order_id`` now, or schedule it for its start date."""
        with self.activator.uow_factory() as uow:
            order = uow.orders.get(order_id)
        if order is None or order.state not in (OrderState.ACKNOWLEDGED, OrderState.PENDING):
            return
        start = order.requested_start
        if start is not None and start > datetime.now(UTC):
            self.scheduler.add_job(
                self._due,
                "date",
                args=[order_id],
                id=f"order:{order_id}",
                run_date=start,
                replace_existing=True,
                misfire_grace_time=None,
            )
            return
        if order_id not in self.running:
            task = asyncio.get_running_loop().create_task(self._run(order_id), name=f"order {order_id}")
            self.running[order_id] = task

    async def _due(self, order_id: str) -> None:
        """The date job (a coroutine, so APScheduler runs it on the event loop, not in a thread)."""
        self.enqueue(order_id)

    async def _run(self, order_id: str) -> str:
        try:
            state = await self.activator.execute(order_id)
            logger.info("service order %s: %s", order_id, state)
            return state
        except Exception:
            logger.exception("service order %s: the activation raised", order_id)
            raise
        finally:
            self.running.pop(order_id, None)

    async def sweep(self) -> None:
        """Every order waiting for us: due ones start, future ones get their date job."""
        with self.activator.uow_factory() as uow:
            waiting = [o.id for o in uow.orders.list(states=[OrderState.ACKNOWLEDGED.value, OrderState.PENDING.value])]
        for order_id in waiting:
            if order_id not in self.running and self.scheduler.get_job(f"order:{order_id}") is None:
                self.enqueue(order_id)

    async def drain(self, timeout_s: float) -> None:
        """Let running activations finish (each is all or nothing: better finished than recovered)."""
        if self.running:
            await asyncio.wait(set(self.running.values()), timeout=timeout_s)
