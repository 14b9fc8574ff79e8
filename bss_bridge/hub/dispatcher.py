"""Delivers what the hubs owe, listener by listener, in commit order, with exponential back-off.

A failing callback holds back only its own listener (so a state change never overtakes the
creation it follows); it is retried after ``base_delay * 2**failures`` capped at ``max_delay``.
Delivery is at least once: a crash between a callback's 2xx and the mark repeats that
notification, with the same ``eventId`` for the receiver to drop it.

A callback URL is a listener's secret as much as its address (the bridge's carries a token in its
path, another may carry ``user:password@``): logs show its origin only, httpx's own request lines included.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import simplejson

from bss_bridge.hub.store import HubStore, Listener

logger = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}
_delivering = contextvars.ContextVar("hub_delivering", default=False)


def origin(url: str | httpx.URL) -> str:
    """``scheme://host[:port]`` of a callback: what a log may show of it."""
    try:
        parts = urlsplit(str(url))
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "(unparsable)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


class _CallbackOrigins(logging.Filter):
    """On httpx's logger: a request line logged while a hub delivers shows the callback's origin only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if _delivering.get() and isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            record.args = (args[0], f"{origin(args[1])}/...", *args[2:])
        return True


def _hide_callbacks_in_httpx_logs() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, _CallbackOrigins) for f in httpx_logger.filters):
        httpx_logger.addFilter(_CallbackOrigins())


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
        _hide_callbacks_in_httpx_logs()

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
                delivering = _delivering.set(True)
                try:
                    body = simplejson.dumps(item.notification, use_decimal=True)
                    response = await client.post(listener.callback, content=body, headers=JSON_HEADERS)
                    error = None if response.is_success else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                finally:
                    _delivering.reset(delivering)
                if error is not None:
                    retry = self.delay(self.store.failures(listener.id))
                    logger.info(
                        "hub callback %s of listener %s failed (%s); retry in %.1fs",
                        origin(listener.callback),
                        listener.id,
                        error,
                        retry.total_seconds(),
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
