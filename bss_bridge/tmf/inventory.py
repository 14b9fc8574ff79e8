"""TMF637 Product: a subscription with its status, dates, characteristics, the price versions it is
charged now (``productPrice``) and its history of terms (``productTerm``)."""

from __future__ import annotations

from typing import Any

from bss_bridge.domain.catalog import OfferingPrice
from bss_bridge.domain.subscription import Subscription, SubscriptionStatus
from bss_bridge.domain.window import Window
from bss_bridge.tmf.catalog import price_fields
from bss_bridge.tmf.common import characteristics, compact, href, instant, period, ref

# TMF622/TMF637 v4 spell this status with a trailing space (a known quirk of the official files).
STATUS = {s: ("aborted " if s is SubscriptionStatus.ABORTED else s.value) for s in SubscriptionStatus}


def product_price(base: str, p: OfferingPrice) -> dict[str, Any]:
    fields = price_fields(p)
    price: dict[str, Any] = {}
    if "price" in fields:
        price["dutyFreeAmount"] = fields["price"]
    if "percentage" in fields:
        price["percentage"] = fields["percentage"]
    unit = fields.get("unitOfMeasure", {}).get("units")
    return compact(
        {
            "name": p.name,
            "priceType": p.price_type,
            "recurringChargePeriod": fields.get("recurringChargePeriodType"),
            "unitOfMeasure": unit,
            "price": price,
            "productOfferingPrice": ref(base, "productOfferingPrice", p.id, p.name),
        }
    )


def render_product(base: str, s: Subscription) -> dict[str, Any]:
    relationships = (
        [{"relationshipType": "bundled", "product": ref(base, "product", s.bundle_id)}] if s.bundle_id else []
    )
    return compact(
        {
            "id": s.id,
            "href": href(base, "product", s.id),
            "@type": "Product",
            "name": s.name,
            "status": STATUS[s.status],
            "isBundle": s.specification_id is None,
            "isCustomerVisible": True,
            "orderDate": instant(s.order_date),
            "startDate": instant(s.start_date),
            "terminationDate": instant(s.termination_date),
            "productOffering": ref(base, "productOffering", s.offering_id),
            "productSpecification": None
            if s.specification_id is None
            else ref(base, "productSpecification", s.specification_id),
            "productCharacteristic": characteristics(s.characteristics),
            "relatedParty": [{**ref(base, "customer", s.customer_id, None, "Customer"), "role": "customer"}],
            "billingAccount": ref(base, "billingAccount", s.billing_account_id),
            "productPrice": [product_price(base, p) for p in s.current.prices],
            "productTerm": [
                compact(
                    {
                        "name": f"{n + 1}: {t.reason}",
                        "description": f"{t.offering_id} ({t.reason})",
                        "validFor": period(Window(t.start, t.end)) if t.start else None,
                    }
                )
                for n, t in enumerate(s.terms)
            ],
            "productOrderItem": []
            if s.order_id is None
            else [
                {
                    "productOrderId": s.order_id,
                    "orderItemId": s.order_item_id or "",
                    "orderItemAction": "add",
                    "productOrderHref": href(base, "productOrder", s.order_id),
                    "role": "creation",
                }
            ],
            "productRelationship": relationships,
        }
    )
