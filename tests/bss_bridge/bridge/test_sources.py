"""The bridge's registrations are ones the OSS's hubs take: each query matches the schema of the
hub's subscription body (the OSS refused the bridge's empty TMF642 query with a 400, so the bridge
never heard that hub and saw alarms only by its poll)."""

from __future__ import annotations

import pytest

from bss_bridge.bridge.core import SOURCES
from bss_bridge.bridge.inbox import Source
from oss_agent.entrypoints.api.hubs import subscription_input
from oss_agent.fault.hub.tmf642 import KNOWN_EVENT_TYPES
from oss_agent.performance.tmf635 import EVENT_TYPES as USAGE_EVENTS
from oss_agent.provisioning.hub import ORDER_HUB

# the body each hub validates, built as the OSS's API builds it (oss_agent/entrypoints/api/...)
BODIES = {
    "oss:tmf641": subscription_input("ServiceOrderEventSubscriptionInput", ORDER_HUB.events, "serviceOrder"),
    "oss:tmf642": subscription_input("EventSubscriptionInput", KNOWN_EVENT_TYPES, "alarm"),
    "oss:tmf635": subscription_input("UsageEventSubscriptionInput", USAGE_EVENTS, "usage"),
}


@pytest.mark.parametrize("source", [s for s in SOURCES if s.side == "oss"], ids=lambda s: s.name)
def test_each_oss_registration_is_one_the_oss_hub_accepts(source: Source) -> None:
    body = {"callback": "http://127.0.0.1:8082/listener/x/y", "query": source.query}
    BODIES[source.name].model_validate(body)  # raises (what the hub answers 400) if refused
