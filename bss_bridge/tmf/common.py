"""What every rendering shares: base paths, hrefs, instants, Money, validity periods, references.

Extension: where TMF v4 has no field for something the BSS must say (an account's currency and
bill cycle day, a price's tiers), the resource is sub-typed through ``@type`` (``Bss...``, with
``@baseType`` the TMF type), as TMF's polymorphism allows; every TMF field keeps its meaning.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from bss_bridge.domain.catalog import Value
from bss_bridge.domain.window import Window

BASES = {
    "tmf620": "/tmf-api/productCatalogManagement/v4",
    "tmf622": "/tmf-api/productOrderingManagement/v4",
    "tmf629": "/tmf-api/customerManagement/v4",
    "tmf637": "/tmf-api/productInventory/v4",
    "tmf666": "/tmf-api/accountManagement/v4",
    "tmf676": "/tmf-api/paymentManagement/v4",
    "tmf678": "/tmf-api/customerBillManagement/v4",
    "tmf621": "/tmf-api/troubleTicket/v4",
}
COLLECTIONS = {
    "customer": "tmf629",
    "billingAccount": "tmf666",
    "productSpecification": "tmf620",
    "productOffering": "tmf620",
    "productOfferingPrice": "tmf620",
    "productOrder": "tmf622",
    "cancelProductOrder": "tmf622",
    "product": "tmf637",
    "customerBill": "tmf678",
    "payment": "tmf676",
    "troubleTicket": "tmf621",
}


def href(base: str, collection: str, key: str) -> str:
    return f"{base}{BASES[COLLECTIONS[collection]]}/{collection}/{quote(key, safe='')}"


def instant(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``."""
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"unit": currency, "value": amount}


def period(window: Window) -> dict[str, Any]:
    return {k: v for k, v in (("startDateTime", instant(window.start)), ("endDateTime", instant(window.end))) if v}


def ref(base: str, collection: str, key: str, name: str | None = None, referred: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": key, "href": href(base, collection, key)}
    if name:
        out["name"] = name
    if referred:
        out["@referredType"] = referred
    return out


def value_type(value: Value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, Decimal):
        return "number"
    return "string"


def characteristics(values: dict[str, Value]) -> list[dict[str, Any]]:
    return [{"name": name, "value": value, "valueType": value_type(value)} for name, value in values.items()]


def compact(item: dict[str, Any]) -> dict[str, Any]:
    """Without the keys whose value is None or empty (TMF omits what is not known)."""
    return {k: v for k, v in item.items() if v is not None and v != [] and v != ""}
