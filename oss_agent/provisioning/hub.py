"""The TMF641 and TMF638 event hubs: order and service events from the outbox, in TMF's shapes.

A listener's ``query`` is ``name=value`` pairs joined by ``&`` (keys ANDed, commas ORed) over the
event type and the resource's first-level attributes (``eventType=ServiceOrderStateChangeEvent&state=completed``);
a query naming an unknown event type is refused when the listener registers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from oss_agent.fault.hub.tmf642 import parse_query
from oss_agent.provisioning import tmf
from oss_agent.storage.hub_repository import ORDER_API, SERVICE_API
from oss_agent.storage.hub_tables import HubOutboxRow


class ProvisioningHub:
    def __init__(
        self,
        name: str,
        key: str,
        payload: str,
        events: frozenset[str],
        render: Callable[[dict[str, Any], str], dict[str, Any]],
    ) -> None:
        self.name, self.key, self.payload, self.events, self.render = name, key, payload, events, render

    def parse_query(self, query: str) -> dict[str, set[str]]:
        return parse_query(query, self.events, self.key)

    def matches(self, parsed: dict[str, set[str]], body: dict[str, Any]) -> bool:
        resource = body["event"][self.key]
        for key, options in parsed.items():
            value = body["eventType"] if key == "eventType" else resource.get(key)
            if str(value) not in options:
                return False
        return True

    def body(self, session: Session, row: HubOutboxRow, base_url: str) -> dict[str, Any]:
        return {
            "eventId": row.event_id,
            "eventTime": row.created_at.isoformat(),
            "eventType": row.event_type,
            "event": {self.key: self.render(row.payload[self.payload], base_url)},
        }


def _service(snapshot: dict[str, Any], base: str) -> dict[str, Any]:
    return tmf.service(snapshot, None, base)


ORDER_HUB = ProvisioningHub(
    ORDER_API,
    "serviceOrder",
    "order",
    frozenset({"ServiceOrderCreateEvent", "ServiceOrderStateChangeEvent"}),
    tmf.service_order,
)
SERVICE_HUB = ProvisioningHub(
    SERVICE_API,
    "service",
    "service",
    frozenset({"ServiceCreateEvent", "ServiceStateChangeEvent", "ServiceAttributeValueChangeEvent"}),
    _service,
)
