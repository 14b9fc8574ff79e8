"""Who may change which device now: orders on the same device one after another in arrival order,
orders on disjoint devices side by side.

In one process, an order joins the queue of every device it touches at once, when it arrives, and
runs when it is first in all of them: arrival order per device, and no deadlock, since every queue
is ordered the same way. Across processes (the daemon and a CLI ``order submit --wait``), a lease
row per device in the database keeps two orders off one device; an order that finds a device held
waits and tries again. The per-device locks of the drivers (``adapters.blocking``) are then held
for the whole activation, so nothing else of this agent talks to those devices meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Iterable

from adapters.blocking import BlockingRunner
from oss_agent.storage.provisioning_repository import LeaseStore

LEASE_RETRY_S = 0.2


class DeviceQueue:
    def __init__(self, leases: LeaseStore, runner: BlockingRunner | None = None) -> None:
        self.leases = leases
        self.runner = runner
        self._queues: dict[str, deque[str]] = {}
        self._changed = asyncio.Condition()

    def position(self, order_id: str) -> dict[str, int]:
        """How many orders are ahead of ``order_id`` on each of its devices."""
        return {d: list(q).index(order_id) for d, q in self._queues.items() if order_id in q}

    def _first_everywhere(self, order_id: str, devices: list[str]) -> bool:
        return all(self._queues[d][0] == order_id for d in devices)

    @contextlib.asynccontextmanager
    async def hold(self, order_id: str, devices: Iterable[str]) -> AsyncIterator[None]:
        """Wait for the turn of ``order_id`` on every device, hold them, and let go on leaving."""
        wanted = sorted(set(devices))
        for device in wanted:  # joined at once, before any await: the arrival order is fixed here
            self._queues.setdefault(device, deque()).append(order_id)
        try:
            async with self._changed:
                await self._changed.wait_for(lambda: self._first_everywhere(order_id, wanted))
            while await asyncio.to_thread(self.leases.acquire, order_id, wanted):  # noqa: ASYNC110
                await asyncio.sleep(LEASE_RETRY_S)  # held by another process: nothing here can tell us when it lets go
            async with contextlib.AsyncExitStack() as locks:
                if self.runner is not None:
                    for device in wanted:
                        await locks.enter_async_context(self.runner.hold(device))
                yield
        finally:
            await asyncio.to_thread(self.leases.release, order_id)
            for device in wanted:
                queue = self._queues.get(device)
                if queue is not None and order_id in queue:
                    queue.remove(order_id)
                    if not queue:
                        del self._queues[device]
            async with self._changed:
                self._changed.notify_all()
