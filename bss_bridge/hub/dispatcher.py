"""Delivers what the hubs owe, listener by listener, in commit order, with exponential back-off.

A failing callback holds back only its own listener (so a state change never overtakes the
creation it follows); it is retried after ``base_delay * 2**failures`` capped at ``max_delay``.
Delivery is at least once: a crash between a callback's 2xx and the mark repeats that
notification, with the same ``eventId`` for the receiver to drop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import simplejson

from bss_bridge.hub.store import HubStore, Listener

logger = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    poll_interval_s: float = 0.5
    timeout_s: float = 5.0
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    batch: int = 100


class Dispatcher:
    def __init__(self, store: HubStore, settings: DeliverySettings | None = None) -> None:
        self.store = store
        self.settings = settings or DeliverySettings()
        self.delivered = 0

    async def run(self, stop: asyncio.Event, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """Deliver until ``stop`` is set; a failing round is logged and the next one tried."""
        async with httpx.AsyncClient(timeout=self.settings.timeout_s, transport=transport) as client:
            while not stop.is_set():
                try:
                    busy = await self.round(client)
                except Exception:
                    logger.exception("BSS hub delivery round failed; trying again")
                    busy = False
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.poll_interval_s)

    async def round(self, client: httpx.AsyncClient) -> bool:
        """Give every due listener its next batch; whether anything was delivered."""
        due = await asyncio.to_thread(self.store.due, datetime.now(UTC))
        sent = await asyncio.gather(*(self._deliver(client, listener) for listener in due))
        return any(sent)

    def delay(self, failures: int) -> timedelta:
        return timedelta(seconds=min(self.settings.base_delay_s * 2 ** min(failures, 30), self.settings.max_delay_s))

    async def _deliver(self, client: httpx.AsyncClient, listener: Listener) -> int:
        owed = await asyncio.to_thread(self.store.owed, listener.id, self.settings.batch)
        done: list[int] = []
        try:
            for item in owed:
                try:
                    body = simplejson.dumps(item.notification, use_decimal=True)
                    response = await client.post(listener.callback, content=body, headers=JSON_HEADERS)
                    error = None if response.is_success else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                if error is not None:
                    retry = self.delay(self.store.failures(listener.id))
                    logger.info(
                        "hub callback %s failed (%s); retry in %.1fs", listener.callback, error, retry.total_seconds()
                    )
                    self.store.failed(listener.id, item.delivery_id, error, datetime.now(UTC) + retry)
                    break
                done.append(item.delivery_id)
        finally:
            # Marked even when cancelled mid-batch: what a listener accepted is not sent again.
            if done:
                self.store.delivered(listener.id, done, datetime.now(UTC))
                self.delivered += len(done)
        return len(done)
