"""The bridge's inbox: hub notifications are kept first (unique per source and ``eventId``, so a
redelivery is dropped at the door), answered at once, then handled in arrival order per source.

A notification whose handling fails for want of an answer (the OSS down, the database busy) is
retried after a back-off, holding back the later ones of its source (a clear never overtakes its
raise); one that fails for any other reason is retried a few times, then kept with its error for
an operator (``oss-bss bridge status``) and passed, so one bad message never stops the flow.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.errors import OssUnavailableError, StorageError
from bss_bridge.storage.bridge_store import InboxItem, retry_at

logger = logging.getLogger(__name__)
Handler = Callable[[InboxItem], Awaitable[None]]
MAX_ATTEMPTS = 5
TRANSIENT = (OssUnavailableError, StorageError, OperationalError)


@dataclass(frozen=True, slots=True)
class Source:
    """A hub the bridge listens to: ``oss:tmf641`` is the OSS's TMF641 hub at ``api``."""

    name: str
    api: str
    query: str

    @property
    def side(self) -> str:
        return self.name.split(":", 1)[0]


class Inbox:
    def __init__(self, ctx: BridgeContext, handlers: Mapping[str, Handler]) -> None:
        self.ctx = ctx
        self.handlers = dict(handlers)

    def receive(self, source: str, body: object) -> bool:
        """Keep a notification (False: not one of ours, or a repeat)."""
        if source not in self.handlers or not isinstance(body, dict):
            return False
        event_id = str(body.get("eventId") or "")
        if not event_id:
            return False
        kept = self.ctx.store.receive(source, event_id, str(body.get("eventType", "")), body, self.ctx.now())
        self.ctx.failpoints.reach("event-received")
        return kept

    async def drain(self, source: str) -> int:
        """Handle what ``source`` sent, in order; returns how many were handled."""
        handled = 0
        for item in self.ctx.store.inbox_due(source, self.ctx.now()):
            try:
                await self.handlers[source](item)
            except Exception as exc:
                attempts = item.attempts + 1
                error = f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, TRANSIENT) and attempts >= MAX_ATTEMPTS:
                    logger.exception("%s event %s given up after %d attempts", source, item.event_id, attempts)
                    self.ctx.store.inbox_done([item.id], self.ctx.now(), error=error[:2000])
                    continue
                delay = self.ctx.delay_s(attempts)
                logger.warning("%s event %s not handled (%s); retry in %.0f s", source, item.event_id, error, delay)
                self.ctx.store.inbox_retry(item.id, error, retry_at(self.ctx.now(), delay))
                return handled
            self.ctx.store.inbox_done([item.id], self.ctx.now())
            handled += 1
        return handled
