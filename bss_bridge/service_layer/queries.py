"""Read-side questions the entry points ask (no state changes, no events)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bss_bridge.domain.errors import InvalidMoneyError, InvalidRequestError
from bss_bridge.domain.money import check_currency
from bss_bridge.domain.ordering import plan_items
from bss_bridge.domain.quote import Quote
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.service_layer.order_handlers import catalog_for
from bss_bridge.service_layer.unit_of_work import UnitOfWork


def quote(
    uow: UnitOfWork,
    items: tuple[ItemRequest, ...],
    now: datetime,
    *,
    account_id: str | None = None,
    currency: str | None = None,
) -> Quote:
    """Price a basket as an order placed now would be: for an account (its currency, its tax rate
    now, its products for modify items), or in a currency without tax. The OSS is not asked: a
    quote changes nothing and answers at once; the order checks sites and devices."""
    with uow:
        customer_id, rate, zone = None, Decimal(0), "UTC"
        if account_id is not None:
            account = uow.accounts.get(account_id)
            if account is None:
                raise InvalidRequestError.one("billingAccount.id", f"no billing account {account_id!r}")
            currency, rate, customer_id = account.currency, account.tax_rate_at(now), account.customer_id
            zone = account.terms.time_zone
        else:
            try:
                currency = check_currency(currency or "")
            except InvalidMoneyError as exc:
                raise InvalidRequestError.one("currency", str(exc)) from None
        catalog = catalog_for(uow, [i.product_id for i in items if i.product_id])
        return plan_items(items, catalog, currency, rate, now, customer_id, zone).quote
