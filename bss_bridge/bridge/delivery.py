"""The bridge's outbox towards the OSS: every owed TMF641 service order is POSTed until the OSS has
it, then its outcome is awaited and applied once.

- **Send**: 201 (new) or 200 (the OSS knew that ``externalId``: the first order is answered, so a
  retry after a crash never orders twice) mark the request sent; no answer (the OSS down, a 5xx)
  is retried after a back-off that doubles up to ``bridge_retry_max_s``; a 4xx is a refusal, given
  to the request's owner as a failure.
- **Outcome**: the final state of the service order (from the TMF641 hub, or the poll asking the
  OSS) is handed to the owner of the request's kind (an order item, a network state change), under
  its subject's lock; then the request is marked done. The owner checks the BSS before it acts, so
  an outcome seen twice (an event redelivered, the poll) is applied once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.domain import bridge as rules
from bss_bridge.errors import OssUnavailableError
from bss_bridge.storage.bridge_store import DONE, PENDING, SENT, Request, retry_at

logger = logging.getLogger(__name__)
Outcome = Callable[[Request, bool, str, "rules.ServiceOrderView | None"], Awaitable[None]]
FollowUp = Callable[[Request], Awaitable[None]]


def subject(request: Request) -> str:
    """The lock a request's outcome is applied under (its product order, or its subscription)."""
    if request.product_order_id:
        return f"order:{request.product_order_id}"
    return f"sub:{request.subscription_id or request.key}"


class Delivery:
    def __init__(
        self, ctx: BridgeContext, outcomes: Mapping[str, Outcome], then: Mapping[str, FollowUp] | None = None
    ) -> None:
        self.ctx = ctx
        self.outcomes = dict(outcomes)
        self.then = dict(then or {})  # run once a request of that kind is done, outside its lock

    async def send_due(self) -> int:
        due = self.ctx.store.due(self.ctx.now())
        for request in due:
            await self.send(request)
        return len(due)

    async def send(self, request: Request) -> None:
        try:
            answer = await self.ctx.oss.submit_order(request.body)
        except OssUnavailableError as exc:
            delay = self.ctx.delay_s(request.attempts + 1)
            logger.warning("service order %s not delivered (%s); retry in %.0f s", request.key, exc, delay)
            self.ctx.store.retry_request(request.key, str(exc), retry_at(self.ctx.now(), delay))
            return
        self.ctx.failpoints.reach("order-posted")
        if answer.status in (200, 201) and isinstance(answer.body, dict):
            view = rules.service_order_view(answer.body)
            self.ctx.store.sent(request.key, view.id, self.ctx.now())
            logger.info("service order %s accepted by the OSS as %s (%s)", request.key, view.id, view.state)
            if view.final:
                await self.apply(view)
            return
        message = answer.body.get("message") if isinstance(answer.body, dict) else None
        reason = f"the OSS refused the service order (HTTP {answer.status}): {message or answer.body}"
        await self._finish(request, ok=False, reason=reason, outcome="rejected", view=None)

    async def apply(self, view: rules.ServiceOrderView) -> None:
        """A service order's state as the OSS reports it; only a final one changes anything."""
        request = self.ctx.store.request(view.external_id) if view.external_id else None
        request = request or self.ctx.store.request_of_order(view.id)
        if request is None or request.state == DONE or not view.final:
            return
        if request.state == PENDING:
            self.ctx.store.sent(request.key, view.id, self.ctx.now())
        await self._finish(request, ok=view.succeeded, reason=view.reason(), outcome=view.state, view=view)

    async def _finish(
        self, request: Request, *, ok: bool, reason: str, outcome: str, view: rules.ServiceOrderView | None
    ) -> None:
        async with self.ctx.lock(subject(request)):
            current = self.ctx.store.request(request.key)
            if current is None or current.state == DONE:
                return
            await self.outcomes[request.kind](request, ok, reason, view)
            self.ctx.store.done(request.key, outcome, "" if ok else reason, self.ctx.now())
        logger.info("service order %s: %s%s", request.key, outcome, "" if ok else f" ({reason})")
        follow_up = self.then.get(request.kind)
        if follow_up is not None:
            await follow_up(request)

    async def check_sent(self, requests: Iterable[Request] | None = None) -> None:
        """The safety net: ask the OSS about each order it has and the bridge has not settled."""
        for request in self.ctx.store.requests(states=[SENT]) if requests is None else requests:
            if request.service_order_id:
                body = await self.ctx.oss.service_order(request.service_order_id)
            else:
                found = await self.ctx.oss.service_orders(request.key)
                body = found[0] if found else None
            if body is not None:
                await self.apply(rules.service_order_view(body))
