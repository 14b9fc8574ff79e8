"""TMF642's event hub: register and remove listeners of alarm events (see :mod:`.hubs`)."""

from __future__ import annotations

from oss_agent.entrypoints.api.hubs import EventSubscriptionInput, hub_router
from oss_agent.fault.hub.store import ALARM_HUB
from oss_agent.fault.hub.tmf642 import BASE

router = hub_router(BASE, ALARM_HUB, "TMF642 event hub")

__all__ = ["EventSubscriptionInput", "router"]
