"""NETCONF notifications (RFC 5277) as an async iterator on a session of their own.

A subscription session blocks in ``take_notification``; it gets its own lock key in the pool so
it never holds up the device's other calls, and waits ``poll_s`` at a time so closing it is prompt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from lxml import etree

from adapters.blocking import BlockingRunner
from adapters.errors import AdapterError, DeviceUnreachableError


@dataclass(frozen=True, slots=True)
class Notification:
    """One NETCONF notification: its event name (first element after eventTime), time and raw XML."""

    name: str
    event_time: str
    xml: str


def parse_notification(raw: str) -> Notification:
    root = etree.fromstring(raw.encode(), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    event_time, name = "", ""
    for child in root:
        local = etree.QName(child).localname
        if local == "eventTime":
            event_time = (child.text or "").strip()
        elif not name:
            name = local
    return Notification(name=name, event_time=event_time, xml=raw)


class Subscription:
    """An active subscription: ``async for notification in subscription``; close it when done."""

    def __init__(
        self,
        runner: BlockingRunner,
        device: str,
        translate: Callable[[Exception, str], AdapterError],
        timeout_s: float,
        poll_s: float,
    ) -> None:
        self._runner, self._device, self._translate = runner, device, translate
        self._key = f"{device}#notifications"
        self._timeout_s, self._poll_s = timeout_s, poll_s
        self._manager: Any = None

    async def _run(self, operation: str, func: Callable[[], Any], timeout_s: float) -> Any:
        translate = self._translate

        def work() -> Any:
            try:
                return func()
            except AdapterError:
                raise
            except Exception as exc:
                raise translate(exc, operation) from exc

        return await self._runner.run(self._key, operation, timeout_s, work)

    async def start(self, connect: Callable[[], Any], stream: str | None, subtree_filter: str | None) -> None:
        """Open the session and subscribe; events from now on are delivered."""
        self._manager = await self._run("subscribe", connect, self._timeout_s)
        filt = ("subtree", subtree_filter) if subtree_filter else None
        manager = self._manager
        try:
            await self._run(
                "subscribe", lambda: manager.create_subscription(stream_name=stream, filter=filt), self._timeout_s
            )
        except BaseException:
            await self.aclose()
            raise

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Notification:
        manager = self._manager
        if manager is None:
            raise StopAsyncIteration
        while True:
            raw = await self._run(
                "notification",
                lambda: manager.take_notification(block=True, timeout=self._poll_s),
                self._poll_s + self._timeout_s,
            )
            if raw is not None:
                return parse_notification(raw.notification_xml)
            if not manager.connected:
                raise DeviceUnreachableError(
                    "notification session closed", device=self._device, operation="notification"
                )

    async def aclose(self) -> None:
        manager, self._manager = self._manager, None
        if manager is not None:
            self._runner.submit(_close_quietly, manager)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _close_quietly(manager: Any) -> None:
    # The session is being abandoned either way.
    with contextlib.suppress(Exception):
        manager.close_session()
