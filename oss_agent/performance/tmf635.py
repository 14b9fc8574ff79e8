"""TMF635 Usage as this agent publishes it, and its event hub (``UsageCreateEvent``).

A record renders as a ``Usage`` (``@type: Usage``) whose ``usageType`` is ``volume`` or ``rate``;
what it measured is in ``usageCharacteristic`` (TMF635 v4 has no attribute naming a service):

- ``serviceId``: the TMF638 service measured; ``interface``: its customer-facing interfaces
  (``pe1:eth2``, comma-separated when several);
- ``endDateTime``: the end of the part measured, which starts at ``usageDate`` (both UTC);
  ``intervalSeconds``: the length of the UTC-aligned interval the record is for (its id is
  ``<serviceId>:<usageType>:<interval start>:<intervalSeconds>``, its idempotency key);
- ``measuredSeconds``: the time within ``[usageDate, endDateTime)`` every interface was covered by
  samples (less than the whole part where there was a gap: nothing is filled in);
- a volume: ``inboundOctets`` and ``outboundOctets`` (whole octets; inbound is what the customer's
  site received); a rate: ``inboundMbps`` and ``outboundMbps`` (the average over the seconds
  measured, to 1 bit/s).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from oss_agent.provisioning.hub import ProvisioningHub
from oss_agent.storage.usage_repository import USAGE_API, USAGE_CREATED

BASE = "/tmf-api/usageManagement/v4"
EVENT_TYPES = frozenset({USAGE_CREATED})


def _characteristic(name: str, value: Any, value_type: str) -> dict[str, Any]:
    return {"name": name, "value": value, "valueType": value_type, "@type": "UsageCharacteristic"}


def _number(text: str | None) -> float | None:
    """A rate as a JSON number; its shortest repr is the stored decimal (six places at most)."""
    return None if text is None else float(Decimal(text))


def render(snapshot: dict[str, Any], base: str) -> dict[str, Any]:
    """The TMF635 ``Usage`` of a record's snapshot (``storage.usage_repository.usage_snapshot``)."""
    volume = snapshot["kind"] == "volume"
    measured = [
        _characteristic("serviceId", snapshot["service_id"], "string"),
        _characteristic("interface", ",".join(snapshot["interfaces"]), "string"),
        _characteristic("endDateTime", snapshot["end_date"], "dateTime"),
        _characteristic("intervalSeconds", snapshot["interval_s"], "integer"),
        _characteristic("measuredSeconds", snapshot["measured_s"], "number"),
    ]
    if volume:
        measured += [
            _characteristic("inboundOctets", snapshot["inbound_octets"], "integer"),
            _characteristic("outboundOctets", snapshot["outbound_octets"], "integer"),
        ]
    else:
        measured += [
            _characteristic("inboundMbps", _number(snapshot["inbound_mbps"]), "number"),
            _characteristic("outboundMbps", _number(snapshot["outbound_mbps"]), "number"),
        ]
    what = "octets in and out" if volume else "average Mbit/s in and out"
    return {
        "id": snapshot["id"],
        "href": f"{base}{BASE}/usage/{snapshot['id']}",
        "description": f"{what} of service {snapshot['service_id']} on {', '.join(snapshot['interfaces'])}",
        "usageDate": snapshot["usage_date"],
        "usageType": snapshot["kind"],
        "usageCharacteristic": measured,
        "@type": "Usage",
    }


USAGE_HUB = ProvisioningHub(USAGE_API, "usage", "usage", EVENT_TYPES, render)
