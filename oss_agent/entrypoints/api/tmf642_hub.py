"""TMF642's event hub: register and remove listeners; delivery is the dispatcher's job.

A subscription is stored (it outlives restarts) and receives the events committed after it was
created that pass its ``query``; a query we could not apply is refused with 400 rather than
ignored, so a listener never gets more than it asked for. The routes are every hub's
(:mod:`oss_agent.entrypoints.api.hubs`), with TMF642's event types in the body's schema.
"""

from __future__ import annotations

from oss_agent.entrypoints.api.hubs import hub_router, subscription_input
from oss_agent.fault.hub.store import ALARM_HUB
from oss_agent.fault.hub.tmf642 import BASE, KNOWN_EVENT_TYPES

router = hub_router(
    BASE, ALARM_HUB, "TMF642 event hub", subscription_input("EventSubscriptionInput", KNOWN_EVENT_TYPES, "alarm")
)
