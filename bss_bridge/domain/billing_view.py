"""The product inventory as billing sees it: a subscription's terms become the price snapshots and
changes of :mod:`bss_bridge.domain.billing.subscriptions`, an account's bill cycle day and zone a
billing :class:`~bss_bridge.domain.billing.cycles.BillCycle`. The one place the two models meet,
so the catalog's price versions reach the invoice exactly as they were sold.

Limits, refused rather than guessed: a term with two promotions, and a bundle's own subscription
(its promotion covers its components' charges, which billing rates per subscription).
"""

from __future__ import annotations

from collections.abc import Mapping

from bss_bridge.domain.billing.cycles import LAST_DAY
from bss_bridge.domain.billing.cycles import BillCycle as BillingCycle
from bss_bridge.domain.billing.subscriptions import PriceChange, PriceSnapshot
from bss_bridge.domain.billing.subscriptions import Subscription as BilledSubscription
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.party import BillCycle, BillingAccount
from bss_bridge.domain.pricing import Price, Promotion, SlaTerms
from bss_bridge.domain.subscription import Subscription, Term


def billing_cycle(account: BillingAccount) -> BillingCycle:
    return cycle_of(account.terms.bill_cycle, account.terms.time_zone)


def cycle_of(bill_cycle: BillCycle, time_zone: str) -> BillingCycle:
    """Billing's cycle for an account's bill cycle day and zone."""
    return BillingCycle(LAST_DAY if bill_cycle.day is None else bill_cycle.day, time_zone)


_SNAPSHOTS: dict[int, tuple[object, str, SlaTerms | None, PriceSnapshot]] = {}


def snapshot(term: Term, sla: SlaTerms | None = None) -> PriceSnapshot:
    """The term's prices as billing rates them. A bill run reads thousands of terms whose price
    lists are one shared (frozen) tuple per catalog version: their snapshot is made once per tuple
    (kept with it, so its id cannot be reused while cached)."""
    known = _SNAPSHOTS.get(id(term.prices))
    if known is not None and known[0] is term.prices and known[1] == term.offering_id and known[2] == sla:
        return known[3]
    made = _snapshot(term, sla)
    if len(_SNAPSHOTS) >= 4096:
        _SNAPSHOTS.clear()
    _SNAPSHOTS[id(term.prices)] = (term.prices, term.offering_id, sla, made)
    return made


def _snapshot(term: Term, sla: SlaTerms | None) -> PriceSnapshot:
    promotions = [p.charge for p in term.prices if isinstance(p.charge, Promotion)]
    if len(promotions) > 1:
        raise InvalidRequestError.one("productPrice", f"{term.offering_id}: billing applies one promotion per term")
    prices = tuple(Price(p.name, p.currency, p.charge) for p in term.prices if not isinstance(p.charge, Promotion))
    return PriceSnapshot(term.offering_id, prices, promotions[0] if promotions else None, sla)


def billed(subscription: Subscription, slas: Mapping[str, SlaTerms | None] | None = None) -> BilledSubscription | None:
    """What billing rates for ``subscription`` (None until it was activated). Each term carries the
    SLA of its own offering (``slas``, per offering id): a month on an offering with an SLA earns
    its credit after a change to one without, and no month of the latter does."""
    if subscription.specification_id is None:
        raise InvalidRequestError.one("product", f"{subscription.id} is a bundle: billing rates its components")
    first = subscription.terms[0]
    if subscription.start_date is None or first.start is None:
        return None
    sla_of = (slas or {}).get
    changes = tuple(
        PriceChange(t.start, snapshot(t, sla_of(t.offering_id))) for t in subscription.terms[1:] if t.start is not None
    )
    opened = snapshot(first, sla_of(first.offering_id))
    return BilledSubscription(subscription.id, first.start, opened, changes, subscription.termination_date)
