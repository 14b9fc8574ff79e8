"""Repositories of product orders, cancellation requests and subscriptions (with their items and terms)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import inspect, or_, select, update
from sqlalchemy.orm import Session, selectinload

from bss_bridge.domain.catalog import OfferingPrice, Value
from bss_bridge.domain.order import (
    CancelRequest,
    CancelState,
    ItemAction,
    ItemState,
    OrderItem,
    OrderState,
    ProductOrder,
)
from bss_bridge.domain.subscription import FINAL, Subscription, SubscriptionStatus, Term
from bss_bridge.storage import mapping
from bss_bridge.storage.repositories import Repository
from bss_bridge.storage.tables import CancelRequestRow, OrderItemRow, OrderRow, SubscriptionRow, TermRow


def values_in_force(session: Session, specification_id: str, now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """(product id, characteristic values) of every term in force or to come of the products of a
    specification not ended (a product ordered and not yet active included): what a change of the
    specification's rules must still accept."""
    query = (
        select(SubscriptionRow.id, TermRow.characteristics)
        .join(TermRow, TermRow.subscription_id == SubscriptionRow.id)
        .where(
            SubscriptionRow.specification_id == specification_id,
            SubscriptionRow.status.not_in([s.value for s in FINAL]),
            or_(TermRow.end.is_(None), TermRow.end > now),
        )
        .order_by(SubscriptionRow.id, TermRow.seq)
    )
    return [(product, dict(values)) for product, values in session.execute(query)]


class OrderRepository(Repository[ProductOrder, OrderRow]):
    row_type = OrderRow
    order_by = "order_date"
    options = (selectinload(OrderRow.items),)

    def by_external_id(self, external_id: str) -> ProductOrder | None:
        row = self.session.scalars(self._select().where(OrderRow.external_id == external_id)).one_or_none()
        return None if row is None else self._load(row)

    def _to_domain(self, row: OrderRow) -> ProductOrder:
        items = [
            OrderItem(
                i.item_id,
                ItemAction(i.action),
                i.offering_id,
                i.subscription_id,
                mapping.values_from_data(i.characteristics),
                tuple(mapping.price_from_data(p) for p in i.prices),
                i.parent_id,
                ItemState(i.state),
                i.error,
                i.completed_at,
            )
            for i in row.items
        ]
        return ProductOrder(
            row.id,
            row.customer_id,
            row.billing_account_id,
            row.order_date,
            items,
            row.created_at,
            row.updated_at,
            OrderState(row.state),
            row.currency,
            row.tax_rate_pct,
            row.external_id,
            row.fingerprint,
            row.requested_start,
            row.requested_completion,
            row.description,
            row.priority,
            tuple(row.notes),
            row.completion_date,
            row.cancellation_date,
            row.cancellation_reason,
            OrderState(row.state_before_cancellation) if row.state_before_cancellation else None,
        )

    def _write(self, o: ProductOrder, row: OrderRow) -> None:
        row.external_id, row.fingerprint, row.customer_id = o.external_id, o.fingerprint, o.customer_id
        row.billing_account_id, row.state, row.order_date = o.billing_account_id, o.state.value, o.order_date
        row.currency, row.tax_rate_pct = o.currency, o.tax_rate_pct
        row.requested_start, row.requested_completion = o.requested_start, o.requested_completion
        row.completion_date, row.cancellation_date = o.completion_date, o.cancellation_date
        row.cancellation_reason, row.description, row.priority = o.cancellation_reason, o.description, o.priority
        row.state_before_cancellation = o.state_before_cancellation.value if o.state_before_cancellation else None
        row.notes, row.created_at, row.updated_at = list(o.notes), o.created_at, o.updated_at
        stored = {i.item_id: i for i in row.items}
        for position, item in enumerate(o.items):
            item_row = stored.get(item.id)
            if item_row is None:
                item_row = OrderItemRow(item_id=item.id, position=position)
                row.items.append(item_row)
                item_row.prices = [mapping.price_to_data(p) for p in item.prices]
                item_row.characteristics = mapping.values_to_data(item.characteristics)
                item_row.action, item_row.offering_id, item_row.parent_id = (
                    item.action.value,
                    item.offering_id,
                    item.parent_id,
                )
            item_row.subscription_id, item_row.state = item.subscription_id, item.state.value
            item_row.error, item_row.completed_at = item.error, item.completed_at


class CancelRequestRepository(Repository[CancelRequest, CancelRequestRow]):
    row_type = CancelRequestRow
    order_by = "created_at"

    def _to_domain(self, row: CancelRequestRow) -> CancelRequest:
        return CancelRequest(
            row.id,
            row.order_id,
            row.reason,
            row.created_at,
            CancelState(row.state),
            row.requested_date,
            row.effective_date,
            row.error,
        )

    def _write(self, c: CancelRequest, row: CancelRequestRow) -> None:
        row.order_id, row.reason, row.state, row.requested_date = c.order_id, c.reason, c.state.value, c.requested_date
        row.effective_date, row.error, row.created_at = c.effective_date, c.error, c.created_at


def term_of(row: Any, characteristics: dict[str, Value], prices: tuple[OfferingPrice, ...]) -> Term:
    """A term from its row (ORM or Core), its decoded characteristics and prices."""
    return Term(
        row.offering_id,
        characteristics,
        prices,
        row.reason,
        row.order_id,
        row.start,
        row.end,
    )


def subscription_of(row: Any, terms: list[Term]) -> Subscription:
    """A subscription from its row (ORM or Core) and its terms in order."""
    return Subscription(
        row.id,
        row.customer_id,
        row.billing_account_id,
        row.offering_id,
        row.specification_id,
        row.name,
        row.order_date,
        row.created_at,
        row.updated_at,
        terms,
        row.order_id,
        row.order_item_id,
        row.bundle_id,
        SubscriptionStatus(row.status),
        row.start_date,
        row.termination_date,
        row.locked_by,
        SubscriptionStatus(row.status_before_termination) if row.status_before_termination else None,
    )


def bump_revision(session: Session, subscription_id: str) -> int:
    """One more revision of the subscription, counted by the database (for a change of what billing
    reads beside its row: an outage); the new revision."""
    statement = (
        update(SubscriptionRow)
        .where(SubscriptionRow.id == subscription_id)
        .values(revision=SubscriptionRow.revision + 1)
        .returning(SubscriptionRow.revision)
    )
    return int(session.execute(statement).scalar_one())


class SubscriptionRepository(Repository[Subscription, SubscriptionRow]):
    row_type = SubscriptionRow
    order_by = "created_at"
    options = (selectinload(SubscriptionRow.terms),)

    def components_of(self, bundle_ids: list[str]) -> list[Subscription]:
        rows = self.session.scalars(self._select().where(SubscriptionRow.bundle_id.in_(bundle_ids)))
        return [self._load(row) for row in rows]

    def ids_of_order(self, order_id: str) -> list[str]:
        return list(self.session.scalars(select(SubscriptionRow.id).where(SubscriptionRow.order_id == order_id)))

    def _to_domain(self, row: SubscriptionRow) -> Subscription:
        terms = [
            term_of(t, mapping.values_from_data(t.characteristics), tuple(mapping.price_from_data(p) for p in t.prices))
            for t in row.terms
        ]
        return subscription_of(row, terms)

    def _write(self, s: Subscription, row: SubscriptionRow) -> None:
        row.customer_id, row.billing_account_id, row.offering_id = s.customer_id, s.billing_account_id, s.offering_id
        row.specification_id, row.name, row.status, row.order_date = (
            s.specification_id,
            s.name,
            s.status.value,
            s.order_date,
        )
        row.start_date, row.termination_date, row.order_id = s.start_date, s.termination_date, s.order_id
        row.order_item_id, row.bundle_id, row.locked_by = s.order_item_id, s.bundle_id, s.locked_by
        row.status_before_termination = s.status_before_termination.value if s.status_before_termination else None
        row.created_at, row.updated_at = s.created_at, s.updated_at
        stored = {t.seq: t for t in row.terms}
        for seq, term in enumerate(s.terms):
            term_row = stored.pop(seq, None)
            if term_row is None:
                term_row = TermRow(seq=seq)
                row.terms.append(term_row)
            term_row.offering_id, term_row.reason, term_row.order_id = term.offering_id, term.reason, term.order_id
            term_row.characteristics = mapping.values_to_data(term.characteristics)
            term_row.prices = [mapping.price_to_data(p) for p in term.prices]
            term_row.start, term_row.end = term.start, term.end
        for extra in stored.values():
            row.terms.remove(extra)
        if inspect(row).persistent and (
            self.session.is_modified(row) or any(self.session.is_modified(t) for t in row.terms)
        ):  # counted by the database: concurrent changes each add their one
            row.revision = SubscriptionRow.revision + 1
