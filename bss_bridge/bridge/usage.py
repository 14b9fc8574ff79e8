"""Usage up: the OSS's TMF635 records become usage in BSS billing, each counted once.

A record reaches the bridge from the OSS's TMF635 hub (``UsageCreateEvent``, kept in the inbox like
every notification) or from the poll, which reads ``GET /usage?usageDate.gte=`` from
``bridge_usage_lookback_s`` before the start of its previous successful poll (the OSS publishes a
record up to its interval plus its grace after ``usageDate``; a bridge down for a day catches up
from where it stopped). Each record's ``serviceId`` is mapped to the subscription its service
realises (the link the order's completion left, kept after termination so a final interval still
reaches the bill) and the batch is imported through billing's own service layer
(:class:`~bss_bridge.domain.billing_commands.ImportUsage`), which is idempotent on the record id: a
redelivered, re-polled or replayed record is a duplicate there, never a second charge.

A record of a service the bridge does not know (ordered on the OSS directly, or one whose order's
completion the bridge has not applied yet) is left: the next poll within the look-back finds it
again once the link exists. A record billing refuses (content that contradicts what it holds under
that id) is logged and the first kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, timedelta
from typing import Any

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.domain import bridge_usage as rules
from bss_bridge.domain.billing_commands import ImportUsage
from bss_bridge.domain.bridge import parse_instant
from bss_bridge.domain.errors import BssDomainError

logger = logging.getLogger(__name__)
POLLED = "usage-polled"  # bss_bridge_state: when the last successful usage poll began


class Usage:
    def __init__(self, ctx: BridgeContext) -> None:
        self.ctx = ctx

    async def carry(self, bodies: Iterable[Mapping[str, Any]]) -> int:
        """Import the records of services the bridge linked to a product; how many were new to billing."""
        views = []
        for body in bodies:
            try:
                views.append(rules.usage_view(body))
            except BssDomainError as exc:
                logger.warning("usage record ignored: %s", exc)
        if not views:
            return 0
        async with self.ctx.lock("usage"):
            links = {link.service_id: link for link in self.ctx.store.links(service_ids={v.service_id for v in views})}
            records = []
            for view in views:
                link = links.get(view.service_id)
                if link is None:
                    logger.debug("usage %s: service %s realises no product of ours", view.id, view.service_id)
                    continue
                try:
                    records.append(rules.usage_submission(view, link.subscription_id))
                except BssDomainError as exc:
                    logger.warning("usage record ignored: %s", exc)
            if not records:
                return 0
            new = 0
            limit = self.ctx.settings.usage_batch_max
            for start in range(0, len(records), limit):
                report = await self.ctx.bss.handle(ImportUsage(tuple(records[start : start + limit])))
                self.ctx.failpoints.reach("usage-imported")
                new += len(report.stored)
                for usage_id in report.conflicts:
                    logger.warning(
                        "usage %s differs from the record billing holds under that id (first kept)", usage_id
                    )
                for usage_id, why in report.unguided.items():
                    logger.warning("usage %s kept unattributed by billing: %s", usage_id, why)
            if new:
                logger.info("usage: %d new record(s) in billing (%d carried)", new, len(records))
            return new

    async def poll(self) -> None:
        """The safety net: the OSS's records since the look-back before the previous poll."""
        began = self.ctx.now()
        previous = parse_instant(self.ctx.store.value(POLLED)) or began
        since = previous - timedelta(seconds=self.ctx.settings.bridge_usage_lookback_s)
        await self.carry(
            await self.ctx.oss.usage(usageDate__gte=since.astimezone(UTC).isoformat().replace("+00:00", "Z"))
        )
        self.ctx.store.set_value(POLLED, began.isoformat(), self.ctx.now())
