"""TMF642's event hub: register and remove listeners of alarm events; delivery is the dispatcher's job
(the routes, shared by every API's hub, are in :mod:`oss_agent.entrypoints.api.hubs`)."""

from __future__ import annotations

from oss_agent.entrypoints.api.hubs import CALLBACK, hub_router
from oss_agent.fault.hub.store import ALARM_HUB
from oss_agent.fault.hub.tmf642 import BASE, KNOWN_EVENT_TYPES

router = hub_router(BASE, ALARM_HUB, "TMF642 event hub", KNOWN_EVENT_TYPES, "alarm", "TMF642")

__all__ = ["CALLBACK", "router"]
