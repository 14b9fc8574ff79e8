"""TMF622 ProductOrder and CancelProductOrder, with their prices, and the quote of a basket.

An order item's ``itemPrice`` lists one OrderPrice per price the item was sold at: a one-time or
monthly charge with its ``price`` (tax excluded and included), a promotion as the ``priceAlteration``
of each monthly charge it discounts (negative, for ``applicationDuration`` months), usage described
without an amount. ``orderTotalPrice`` sums one-time charges, monthly charges and, while promotions
last, monthly discounts. The figures are billing's lines (see :mod:`bss_bridge.domain.quote`),
recomputed from the price versions stored on the items at the currency and tax rate the order was
priced at: the same numbers the quote showed before the order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bss_bridge.domain.order import CancelRequest, OrderItem, ProductOrder
from bss_bridge.domain.quote import LineKind, PricedItem, Quote, QuoteLine, describe, price_basket
from bss_bridge.tmf.common import characteristics, compact, href, instant, money, ref


def _price(amount: Decimal, tax: Decimal, rate: Decimal, currency: str) -> dict[str, Any]:
    return {
        "dutyFreeAmount": money(amount, currency),
        "taxIncludedAmount": money(amount + tax, currency),
        "taxRate": rate,
    }


def order_price(base: str, q: QuoteLine, rate: Decimal) -> dict[str, Any]:
    p, charged = q.price, q.charged
    out: dict[str, Any] = compact(
        {
            "name": p.name,
            "description": q.description,
            "priceType": q.kind.value,
            "recurringChargePeriod": "month" if q.kind is LineKind.RECURRING else None,
            "unitOfMeasure": getattr(p.charge, "unit", None) or ("Mbit/s" if q.kind is LineKind.USAGE else None),
            "price": None if charged is None else _price(charged.amount, charged.tax, rate, p.currency),
            "productOfferingPrice": ref(base, "productOfferingPrice", p.id, p.name),
        }
    )
    if q.full is not None and q.line is not None and q.promotion is not None:
        off = _price(q.line.amount - q.full.amount, q.line.tax - q.full.tax, rate, p.currency)
        out["priceAlteration"] = [
            {
                "name": q.promotion.name,
                "description": describe(q.promotion),
                "priceType": "discount",
                "applicationDuration": q.months,
                "recurringChargePeriod": "month",
                "price": off,
                "productOfferingPrice": ref(base, "productOfferingPrice", q.promotion.id, q.promotion.name),
            }
        ]
    return out


def totals(quote: Quote) -> list[dict[str, Any]]:
    rate, currency = quote.tax_rate_pct, quote.currency
    recurring_tax, full_tax = quote.tax(LineKind.RECURRING), quote.tax(LineKind.RECURRING, full=True)
    rows = [
        ("one-time charges", "oneTime", None, quote.one_time, quote.tax(LineKind.ONE_TIME)),
        ("monthly charges", "recurring", "month", quote.monthly, full_tax),
        ("monthly discounts", "discount", "month", quote.monthly_discount, recurring_tax - full_tax),
    ]
    present = {
        "oneTime": any(q.kind is LineKind.ONE_TIME for q in quote.lines),
        "recurring": any(q.kind is LineKind.RECURRING for q in quote.lines),
        "discount": any(q.full is not None for q in quote.lines),
    }
    return [
        compact(
            {
                "name": name,
                "priceType": kind,
                "recurringChargePeriod": period,
                "price": _price(amount, tax, rate, currency),
            }
        )
        for name, kind, period, amount, tax in rows
        if present[kind]
    ]


def order_quote(order: ProductOrder) -> Quote:
    """The order's lines, as priced when it was placed (the amounts of a full month do not depend on
    the zone its dates are in)."""
    items = [PricedItem(i.id, i.offering_id, i.prices) for i in order.items if i.offering_id and i.prices]
    return price_basket(items, order.currency, order.tax_rate_pct, order.order_date)


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
