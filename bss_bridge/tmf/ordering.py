"""TMF622 ProductOrder and CancelProductOrder, with their prices, and the quote of a basket.

An order item's ``itemPrice`` lists one OrderPrice per line the item was sold at (a discount as a
negative ``discount`` price with its duration in ``priceAlteration``; usage described, without an
amount); ``orderTotalPrice`` sums one-time charges, monthly charges and monthly discounts. The
lines are the quote's, recomputed from the price versions stored on the items at the currency and
tax rate the order was priced at: the same numbers the quote showed before the order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bss_bridge.domain.order import CancelRequest, OrderItem, ProductOrder
from bss_bridge.domain.quote import LineKind, PricedItem, Quote, QuoteLine, price_basket
from bss_bridge.tmf.common import characteristics, compact, href, instant, money, ref


def _price(amount: Decimal, tax: Decimal, rate: Decimal, currency: str) -> dict[str, Any]:
    return {
        "dutyFreeAmount": money(amount, currency),
        "taxIncludedAmount": money(amount + tax, currency),
        "taxRate": rate,
    }


def order_price(base: str, line: QuoteLine, rate: Decimal) -> dict[str, Any]:
    p = line.price
    price = None if line.amount is None or line.tax is None else _price(line.amount, line.tax, rate, p.currency)
    out: dict[str, Any] = compact(
        {
            "name": p.name,
            "description": line.description,
            "priceType": line.kind.value,
            "recurringChargePeriod": "month" if line.kind in (LineKind.RECURRING, LineKind.DISCOUNT) else None,
            "unitOfMeasure": getattr(p.charge, "unit", None) or ("Mbit/s" if line.kind is LineKind.USAGE else None),
            "price": price,
            "productOfferingPrice": ref(base, "productOfferingPrice", p.id, p.name),
        }
    )
    if line.kind is LineKind.DISCOUNT and price is not None:
        out["priceAlteration"] = [
            {
                "name": p.name,
                "priceType": "discount",
                "applicationDuration": line.months,
                "price": price,
                "recurringChargePeriod": "month",
            }
        ]
    return out


def totals(quote: Quote) -> list[dict[str, Any]]:
    rate, currency = quote.tax_rate_pct, quote.currency
    rows = [
        ("one-time charges", LineKind.ONE_TIME, quote.one_time, None),
        ("monthly charges", LineKind.RECURRING, quote.monthly, "month"),
        ("monthly discounts", LineKind.DISCOUNT, quote.monthly_discount, "month"),
    ]
    return [
        compact(
            {
                "name": name,
                "priceType": kind.value,
                "recurringChargePeriod": period,
                "price": _price(amount, quote.tax(kind), rate, currency),
            }
        )
        for name, kind, amount, period in rows
        if any(line.kind is kind for line in quote.lines)
    ]


def order_quote(order: ProductOrder) -> Quote:
    items = [PricedItem(i.id, i.offering_id, i.prices, i.parent_id) for i in order.items if i.offering_id and i.prices]
    return price_basket(items, order.currency, order.tax_rate_pct)


def _item(base: str, order: ProductOrder, item: OrderItem, quote: Quote) -> dict[str, Any]:
    children = [c for c in order.items if c.parent_id == item.id]
    product = compact(
        {
            "id": item.subscription_id,
            "href": href(base, "product", item.subscription_id) if item.subscription_id else None,
            "productCharacteristic": characteristics(item.characteristics),
            "@type": "ProductRefOrValue",
        }
    )
    return compact(
        {
            "id": item.id,
            "@type": "BssProductOrderItem",
            "@baseType": "ProductOrderItem",
            "action": item.action.value,
            "state": item.state.value,
            "quantity": 1,
            "productOffering": None if item.offering_id is None else ref(base, "productOffering", item.offering_id),
            "product": product,
            "itemPrice": [order_price(base, line, quote.tax_rate_pct) for line in quote.item_lines(item.id)],
            "productOrderItem": [_item(base, order, c, quote) for c in children],
            "errorMessage": item.error,
            "completionDate": instant(item.completed_at),
        }
    )


def render_order(base: str, o: ProductOrder) -> dict[str, Any]:
    quote = order_quote(o)
    return compact(
        {
            "id": o.id,
            "href": href(base, "productOrder", o.id),
            "@type": "ProductOrder",
            "externalId": o.external_id,
            "state": o.state.value,
            "orderDate": instant(o.order_date),
            "requestedStartDate": instant(o.requested_start),
            "requestedCompletionDate": instant(o.requested_completion),
            "completionDate": instant(o.completion_date),
            "cancellationDate": instant(o.cancellation_date),
            "cancellationReason": o.cancellation_reason,
            "description": o.description,
            "priority": o.priority,
            "note": [{"text": text} for text in o.notes],
            "relatedParty": [{**ref(base, "customer", o.customer_id, None, "Customer"), "role": "customer"}],
            "billingAccount": ref(base, "billingAccount", o.billing_account_id),
            "productOrderItem": [_item(base, o, i, quote) for i in o.items if i.parent_id is None],
            "orderTotalPrice": totals(quote),
        }
    )


def render_cancel(base: str, c: CancelRequest) -> dict[str, Any]:
    return compact(
        {
            "id": c.id,
            "href": href(base, "cancelProductOrder", c.id),
            "@type": "CancelProductOrder",
            "state": c.state.value,
            "cancellationReason": c.reason,
            "requestedCancellationDate": instant(c.requested_date),
            "effectiveCancellationDate": instant(c.effective_date),
            "productOrder": ref(base, "productOrder", c.order_id, None, "ProductOrder"),
        }
    )


def render_quote(base: str, quote: Quote) -> dict[str, Any]:
    """The answer to ``POST /bss/v1/quote``: the lines (TMF622 OrderPrice) per item and the totals."""
    items: dict[str, list[dict[str, Any]]] = {}
    for line in quote.lines:
        items.setdefault(line.item_id, []).append(
            {
                **order_price(base, line, quote.tax_rate_pct),
                "productOffering": ref(base, "productOffering", line.offering_id),
            }
        )
    return {
        "currency": quote.currency,
        "taxRate": quote.tax_rate_pct,
        "oneTimeTotal": money(quote.one_time, quote.currency),
        "monthlyTotal": money(quote.monthly, quote.currency),
        "monthlyDiscount": money(quote.monthly_discount, quote.currency),
        "usage": [line.description for line in quote.usage],
        "quoteItem": [{"id": item_id, "itemPrice": lines} for item_id, lines in items.items()],
        "quoteTotalPrice": totals(quote),
    }
