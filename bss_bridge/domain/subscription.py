"""Subscriptions: the product inventory (TMF637), what a customer has and at what price.

A subscription is created by an order (``created``), becomes ``pendingActive`` while it is being
provisioned and ``active`` when the service works (its start date is that moment: billing starts
when the service works, not when it was ordered), may be ``suspended`` and resumed, and is
terminated through ``pendingTerminate``. A failed activation ``aborted``; a cancelled order's
subscriptions are ``cancelled``.

Its **terms** are the price history billing charges from: each term is the offering,
characteristics and price versions in force from its start to its end, and consecutive terms tile
(a speed change or a price migration closes the current term where the next begins). A price
change in the catalog never touches an existing term. A promotion is an acquisition discount: it
is sold with the subscription and kept through later modifications, counted from the start date.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from bss_bridge.domain import events
from bss_bridge.domain.catalog import OfferingPrice, Value
from bss_bridge.domain.errors import InvalidTransitionError


class SubscriptionStatus(StrEnum):
    CREATED = "created"
    PENDING_ACTIVE = "pendingActive"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    PENDING_TERMINATE = "pendingTerminate"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"
    ABORTED = "aborted"


S = SubscriptionStatus
TRANSITIONS: dict[S, frozenset[S]] = {
    S.CREATED: frozenset({S.PENDING_ACTIVE, S.CANCELLED, S.ABORTED}),
    S.PENDING_ACTIVE: frozenset({S.ACTIVE, S.ABORTED, S.CANCELLED}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.PENDING_TERMINATE}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.PENDING_TERMINATE}),
    S.PENDING_TERMINATE: frozenset({S.TERMINATED, S.ACTIVE, S.SUSPENDED}),
    S.TERMINATED: frozenset(),
    S.CANCELLED: frozenset(),
    S.ABORTED: frozenset(),
}
LIVE = frozenset({S.ACTIVE, S.SUSPENDED})
FINAL = frozenset({S.TERMINATED, S.CANCELLED, S.ABORTED})


@dataclass(frozen=True, slots=True)
class Term:
    """What the subscription is charged for from ``start`` (None until activation) to ``end``."""

    offering_id: str
    characteristics: dict[str, Value]
    prices: tuple[OfferingPrice, ...]
    reason: str  # order, modify, priceMigration
    order_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def promotions(self) -> tuple[OfferingPrice, ...]:
        return tuple(p for p in self.prices if p.price_type == "discount")


@dataclass(eq=False)
class Subscription:
    id: str
    customer_id: str
    billing_account_id: str
    offering_id: str
    specification_id: str | None
    name: str
    order_date: datetime
    created_at: datetime
    updated_at: datetime
    terms: list[Term]
    order_id: str | None = None
    order_item_id: str | None = None
    bundle_id: str | None = None
    status: SubscriptionStatus = SubscriptionStatus.CREATED
    start_date: datetime | None = None
    termination_date: datetime | None = None
    locked_by: str | None = None  # the order changing it now; one order at a time
    status_before_termination: SubscriptionStatus | None = None
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        subscription_id: str,
        *,
        customer_id: str,
        billing_account_id: str,
        offering_id: str,
        specification_id: str | None,
        name: str,
        characteristics: dict[str, Value],
        prices: tuple[OfferingPrice, ...],
        order_id: str,
        order_item_id: str,
        order_date: datetime,
        now: datetime,
        bundle_id: str | None = None,
    ) -> Subscription:
        term = Term(offering_id, dict(characteristics), prices, "order", order_id)
        subscription = cls(
            subscription_id,
            customer_id,
            billing_account_id,
            offering_id,
            specification_id,
            name,
            order_date,
            now,
            now,
            [term],
            order_id,
            order_item_id,
            bundle_id,
            locked_by=order_id,
        )
        subscription.events.append(events.SubscriptionCreated(subscription_id))
        return subscription

    @property
    def current(self) -> Term:
        return self.terms[-1]

    @property
    def characteristics(self) -> dict[str, Value]:
        return self.current.characteristics

    @property
    def is_live(self) -> bool:
        return self.status in LIVE

    def term_at(self, moment: datetime) -> Term | None:
        """The term in force at ``moment`` (None before the start or after the termination)."""
        for term in self.terms:
            if term.start is not None and term.start <= moment and (term.end is None or moment < term.end):
                return term
        return None

    def _move(self, new: SubscriptionStatus, now: datetime) -> None:
        if new not in TRANSITIONS[self.status]:
            raise InvalidTransitionError(f"subscription {self.id} cannot go from {self.status} to {new}")
        old, self.status, self.updated_at = self.status, new, now
        self.events.append(events.SubscriptionStatusChanged(self.id, old.value, new.value))

    def lock(self, order_id: str) -> None:
        if self.locked_by is not None and self.locked_by != order_id:
            raise InvalidTransitionError(f"subscription {self.id} is being changed by order {self.locked_by}")
        self.locked_by = order_id

    def unlock(self, order_id: str) -> None:
        if self.locked_by == order_id:
            self.locked_by = None

    def provisioning(self, now: datetime) -> None:
        self._move(S.PENDING_ACTIVE, now)

    def activate(self, at: datetime) -> None:
        """The service works from ``at``: the subscription and its first term start there."""
        self._move(S.ACTIVE, at)
        self.start_date = at
        self.terms[0] = replace(self.terms[0], start=at)
        if self.order_id is not None:
            self.unlock(self.order_id)

    def abort(self, now: datetime) -> None:
        self._move(S.ABORTED, now)
        self.locked_by = None

    def cancel(self, now: datetime) -> None:
        self._move(S.CANCELLED, now)
        self.locked_by = None

    def suspend(self, now: datetime) -> None:
        self._move(S.SUSPENDED, now)

    def resume(self, now: datetime) -> None:
        self._move(S.ACTIVE, now)

    def request_termination(self, order_id: str, now: datetime) -> None:
        self.lock(order_id)
        before = self.status
        self._move(S.PENDING_TERMINATE, now)
        self.status_before_termination = before

    def keep(self, order_id: str, now: datetime) -> None:
        """The termination failed or was cancelled: back to what it was."""
        self._move(self.status_before_termination or S.ACTIVE, now)
        self.status_before_termination = None
        self.unlock(order_id)

    def terminate(self, at: datetime, order_id: str | None = None) -> None:
        """Ends at ``at``: the current term closes there (billing's final, prorated charge)."""
        self._move(S.TERMINATED, at)
        self.termination_date = at
        self.terms[-1] = replace(self.current, end=at)
        self.locked_by = None
        self.status_before_termination = None

    def change_terms(
        self,
        at: datetime,
        *,
        offering_id: str,
        characteristics: dict[str, Value],
        prices: tuple[OfferingPrice, ...],
        reason: str,
        order_id: str | None = None,
    ) -> None:
        """From ``at`` on the subscription is charged on new terms; its promotions go with it. A
        change at the very instant the current term started replaces that term (it never applied)."""
        if not self.is_live:
            raise InvalidTransitionError(f"subscription {self.id} is {self.status}: only a live one changes terms")
        current = self.current
        assert current.start is not None
        if at < current.start:
            raise InvalidTransitionError(
                f"subscription {self.id}: a change at {at.isoformat()} precedes its current terms"
                f" ({current.start.isoformat()})"
            )
        kept = tuple(p for p in prices if p.price_type != "discount") + current.promotions()
        new = Term(offering_id, dict(characteristics), kept, reason, order_id, at)
        if at == current.start:
            self.terms[-1] = new
        else:
            self.terms[-1] = replace(current, end=at)
            self.terms.append(new)
        changed = ["terms"] + (["offering"] if offering_id != self.offering_id else [])
        self.offering_id = offering_id
        self.updated_at = at
        self.events.append(events.SubscriptionChanged(self.id, tuple(changed)))


def follow_components(bundle: Subscription, components: list[Subscription], now: datetime) -> None:
    """Move a bundle's own subscription after its components: active once every component is
    active (from the latest start), cancelled or aborted when none got active, terminated once
    every component has ended. Mixed states (one suspended, one active) leave it as it is."""
    statuses = {c.status for c in components}
    pending = {S.CREATED, S.PENDING_ACTIVE}
    if bundle.status in pending:
        if statuses & pending:
            return
        if bundle.status is S.CREATED:
            bundle.provisioning(now)
        if statuses == {S.ACTIVE}:
            bundle.activate(max(c.start_date or now for c in components))
        elif statuses == {S.CANCELLED}:
            bundle.cancel(now)
        else:
            bundle.abort(now)
    elif bundle.status in (S.ACTIVE, S.SUSPENDED, S.PENDING_TERMINATE) and statuses <= FINAL:
        if bundle.status is not S.PENDING_TERMINATE:
            bundle.request_termination(bundle.locked_by or bundle.id, now)
        bundle.terminate(max((c.termination_date for c in components if c.termination_date), default=now))
