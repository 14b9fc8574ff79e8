"""The bridge's registrations on the hubs of both sides, made once and kept.

A registration is stored with the hub's subscription id. On every start (and now and then) each is
checked: still there with our callback, it is kept; gone (the hub's database was reset), it is made
again; made by a bridge that crashed before storing it, it is found among the hub's listeners by its
callback and adopted; registered under an older callback, the old one is removed. So the hubs hold
one subscription per source and the bridge never gets each event twice for lack of bookkeeping.

The callback carries a secret (``bss_bridge_state``), so only a hub the bridge registered with can
post to it; it is never logged.
"""

from __future__ import annotations

import logging

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.bridge.inbox import Source
from bss_bridge.oss.client import TmfClient

logger = logging.getLogger(__name__)


def callback_url(ctx: BridgeContext, source: Source) -> str:
    return f"{ctx.settings.bridge_url}/listener/{source.name}/{ctx.store.token(ctx.now())}"


async def register(ctx: BridgeContext, client: TmfClient, source: Source) -> str:
    """Make sure ``source``'s hub holds exactly one listener of ours; returns its id."""
    callback = callback_url(ctx, source)
    hub = f"{client.base_url}{source.api}"
    stored = ctx.store.listener(source.name)
    if stored is not None and stored.subscription_id:
        if stored.callback == callback and stored.hub == hub:
            found = await client.listener(source.api, stored.subscription_id)
            if found is not None and found.get("callback") == callback:
                return stored.subscription_id
        elif stored.hub == hub:
            await client.request("DELETE", f"{source.api}/hub/{stored.subscription_id}")
    for listener in await client.listeners(source.api):
        if listener.get("callback") == callback and (listener.get("query") or "") == source.query:
            ctx.store.save_listener(source.name, hub, callback, str(listener["id"]), ctx.now())
            return str(listener["id"])
    subscription_id = await client.register(source.api, callback, source.query)
    ctx.store.save_listener(source.name, hub, callback, subscription_id, ctx.now())
    logger.info(
        "bridge listening to %s (%s%s/hub, listener %s)", source.name, client.base_url, source.api, subscription_id
    )
    return subscription_id
