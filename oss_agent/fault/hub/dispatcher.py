"""Delivers the outbox to subscribers: in commit order per subscriber, with exponential back-off.

Each subscriber is its own queue: a failing callback holds back only its own events (in order, so a
clear never overtakes its raise), and is retried after ``base_delay * 2**failures`` capped at
``max_delay``. Delivery is at least once: a crash between a callback's 2xx and the mark repeats that
event, which carries the same ``eventId`` so the receiver can drop it.

A callback URL is a listener's secret as much as its address (the BSS bridge's carries a token in its
path, another may carry ``user:password@``): logs show its origin only, httpx's own request lines included.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from oss_agent.fault.hub.store import ALARM_HUB, HubApi, HubStore, Subscription
from oss_agent.storage.engine import make_session_factory

if TYPE_CHECKING:
    from oss_agent.bootstrap import Agent

logger = logging.getLogger(__name__)
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
class DispatcherSettings:
    poll_interval_s: float = 0.5
    timeout_s: float = 5.0
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    batch: int = 100
    base_url: str = ""


class Dispatcher:
    """Fan-out and delivery loop over a :class:`HubStore`; ``start()``/``stop()`` or ``run(stop)``."""

    def __init__(self, store: HubStore, settings: DispatcherSettings | None = None) -> None:
        self.store = store
        self.settings = settings or DispatcherSettings()
        _hide_callbacks_in_httpx_logs()
        self.delivered = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(self._stop), name="tmf642-hub-dispatcher")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=self.settings.timeout_s) as client:
            while not stop.is_set():
                try:
                    busy = await self.step(client)
                except Exception:
                    logger.exception("hub dispatch step failed; retrying")
                    busy = False
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.poll_interval_s)

    async def step(self, client: httpx.AsyncClient) -> bool:
        """One round: fan out new events, then give every due subscriber its next batch."""
        fanned = self.store.fan_out()
        due = self.store.due(datetime.now(UTC))
        sent = await asyncio.gather(*(self._deliver(client, sub) for sub in due))
        return bool(fanned) or any(sent)

    def _delay(self, failures: int) -> timedelta:
        seconds = min(self.settings.base_delay_s * 2 ** min(failures, 30), self.settings.max_delay_s)
        return timedelta(seconds=seconds)

    async def _deliver(self, client: httpx.AsyncClient, sub: Subscription) -> int:
        batch = self.store.pending(sub.id, self.settings.batch)
        done: list[int] = []
        try:
            for item in batch:
                delivering = _delivering.set(True)
                try:
                    response = await client.post(sub.callback, json=item.body)
                    error = None if response.is_success else f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                finally:
                    _delivering.reset(delivering)
                if error is not None:
                    delay = self._delay(self.store.failures(sub.id))
                    logger.info(
                        "callback %s of listener %s failed (%s); retry in %.1fs",
                        origin(sub.callback),
                        sub.id,
                        error,
                        delay.total_seconds(),
                    )
                    self.store.back_off(sub.id, item.delivery_id, error, delay, datetime.now(UTC))
                    break
                done.append(item.delivery_id)
        finally:
            # Marked even when cancelled mid-batch, so what was accepted is not sent again.
            if done:
                self.store.mark_delivered(sub.id, done, datetime.now(UTC))
                self.delivered += len(done)
        return len(done)


def dispatcher_for(
    agent: Agent, settings: DispatcherSettings | None = None, hub: HubApi = ALARM_HUB
) -> Dispatcher:
    settings = settings or DispatcherSettings(base_url=f"http://{agent.settings.api_host}:{agent.settings.api_port}")
    return Dispatcher(HubStore(make_session_factory(agent.engine), settings.base_url, hub), settings)


async def run_dispatcher(
    agent: Agent, stop: asyncio.Event, poll_interval_s: float = 0.5, hub: HubApi = ALARM_HUB
) -> None:
    """What ``oss-agent run`` starts, once per hub: deliver its events until ``stop`` is set."""
    base = f"http://{agent.settings.api_host}:{agent.settings.api_port}"
    await dispatcher_for(agent, DispatcherSettings(poll_interval_s=poll_interval_s, base_url=base), hub).run(stop)
