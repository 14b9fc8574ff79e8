"""Usage up, pure: a TMF635 ``Usage`` as the OSS publishes it, read as what BSS billing imports.

The OSS names the service it measured (characteristic ``serviceId``); billing wants the product
(``productId``, the subscription the bridge linked to that service when the order completed). Of the
OSS's characteristics billing takes the interval's end and the octet (``volume``) or Mbit/s
(``rate``) pair; the others (``interface``, ``intervalSeconds``, ``measuredSeconds``) describe the
measurement and stay on the OSS's side. The OSS's record id (``<serviceId>:<usageType>:<interval
start>:<seconds>``) travels unchanged: it is billing's idempotency key, so a record carried twice
(a hub redelivery, the poll, a restart) is counted once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.billing.metering import UsageKind, UsageSubmission
from bss_bridge.domain.bridge import parse_instant

VOLUME = ("inboundOctets", "outboundOctets")
RATE = ("inboundMbps", "outboundMbps")


@dataclass(frozen=True, slots=True)
class UsageView:
    """What the bridge reads of a TMF635 Usage before it knows the product: its id and service."""

    id: str
    service_id: str
    body: Mapping[str, Any]


def characteristics(body: Mapping[str, Any]) -> dict[str, Any]:
    found = body.get("usageCharacteristic")
    items = found if isinstance(found, list) else []
    return {str(c["name"]): c.get("value") for c in items if isinstance(c, Mapping) and "name" in c}


def usage_view(body: Mapping[str, Any]) -> UsageView:
    """The record's id and service (an error naming what is missing, for a record not the OSS's)."""
    usage_id = body.get("id")
    if not isinstance(usage_id, str) or not usage_id:
        raise InvalidBillingInputError("a TMF635 Usage without an id")
    service = characteristics(body).get("serviceId")
    if not isinstance(service, str) or not service:
        raise InvalidBillingInputError(f"usage {usage_id}: no serviceId characteristic")
    return UsageView(usage_id, service, body)


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or value != int(value):
        raise InvalidBillingInputError(f"{where}: octets are whole numbers, got {value!r}")
    return int(value)


def _rate(value: Any, where: str) -> Decimal:
    if isinstance(value, Decimal):
        return value  # the inbox keeps JSON numbers as decimals
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidBillingInputError(f"{where}: a rate is a number of Mbit/s, got {value!r}")
    try:
        return Decimal(str(value))  # a JSON number's shortest text is the OSS's decimal (six places at most)
    except ArithmeticError as exc:
        raise InvalidBillingInputError(f"{where}: a rate is a number of Mbit/s, got {value!r}") from exc


def usage_submission(view: UsageView, product_id: str) -> UsageSubmission:
    """The record as billing imports it, for ``product_id`` (an error naming the field at fault)."""
    body, values = view.body, characteristics(view.body)
    try:
        kind = UsageKind(str(body.get("usageType")))
    except ValueError:
        raise InvalidBillingInputError(f"usage {view.id}: usageType is volume or rate") from None
    start = parse_instant(body.get("usageDate"))
    if start is None:
        raise InvalidBillingInputError(f"usage {view.id}: usageDate is not a date-time")
    end = parse_instant(values.get("endDateTime"))
    names = VOLUME if kind is UsageKind.VOLUME else RATE
    if missing := [n for n in names if n not in values]:
        raise InvalidBillingInputError(f"usage {view.id}: no {missing[0]} characteristic")
    if kind is UsageKind.VOLUME:
        inbound, outbound = (_whole(values[n], f"usage {view.id} {n}") for n in VOLUME)
        return UsageSubmission(view.id, kind, product_id, start, end, inbound, outbound)
    mbps_in, mbps_out = (_rate(values[n], f"usage {view.id} {n}") for n in RATE)
    return UsageSubmission(view.id, kind, product_id, start, end, inbound_mbps=mbps_in, outbound_mbps=mbps_out)
