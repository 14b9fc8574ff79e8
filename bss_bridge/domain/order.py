"""Product orders (TMF622) and their state machine.

An order is ``acknowledged`` when accepted (every rule checked, nothing half-made), moves to
``inProgress`` when fulfilment starts, and ends ``completed`` (every item done), ``failed`` (none
done) or ``partial``. Items are ``add`` (a new subscription), ``modify`` (a speed change: another
offering of the same specification, or other characteristic values) or ``delete`` (termination).
A bundle's ``add`` item has one child item per component; the children are what gets fulfilled,
the bundle item follows them.

Cancellation (TMF622 CancelProductOrder): an order not yet started is cancelled at once; one in
progress with nothing finished goes to ``assessingCancellation`` until fulfilment says whether it
can still be undone (``pendingCancellation`` then ``cancelled``) or not (back to ``inProgress``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bss_bridge.domain import events
from bss_bridge.domain.catalog import OfferingPrice, Value
from bss_bridge.domain.errors import InvalidTransitionError, NotFoundError


class OrderState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    PENDING = "pending"
    HELD = "held"
    IN_PROGRESS = "inProgress"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL = "partial"
    ASSESSING_CANCELLATION = "assessingCancellation"
    PENDING_CANCELLATION = "pendingCancellation"


OS = OrderState
ORDER_TRANSITIONS: dict[OS, frozenset[OS]] = {
    OS.ACKNOWLEDGED: frozenset({OS.IN_PROGRESS, OS.PENDING, OS.HELD, OS.CANCELLED, OS.REJECTED}),
    OS.PENDING: frozenset({OS.IN_PROGRESS, OS.CANCELLED, OS.ASSESSING_CANCELLATION}),
    OS.HELD: frozenset({OS.IN_PROGRESS, OS.CANCELLED, OS.ASSESSING_CANCELLATION}),
    OS.IN_PROGRESS: frozenset({OS.COMPLETED, OS.FAILED, OS.PARTIAL, OS.HELD, OS.PENDING, OS.ASSESSING_CANCELLATION}),
    OS.ASSESSING_CANCELLATION: frozenset({OS.PENDING_CANCELLATION, OS.IN_PROGRESS}),
    OS.PENDING_CANCELLATION: frozenset({OS.CANCELLED}),
    OS.COMPLETED: frozenset(),
    OS.FAILED: frozenset(),
    OS.PARTIAL: frozenset(),
    OS.CANCELLED: frozenset(),
    OS.REJECTED: frozenset(),
}
FINAL_ORDER_STATES = frozenset({OS.COMPLETED, OS.FAILED, OS.PARTIAL, OS.CANCELLED, OS.REJECTED})


class ItemAction(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"


class ItemState(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_ITEM_STATES = frozenset({ItemState.COMPLETED, ItemState.FAILED, ItemState.CANCELLED})


@dataclass(eq=False)
class OrderItem:
    id: str
    action: ItemAction
    offering_id: str | None
    subscription_id: str | None  # add: the one it creates; modify/delete: the one it changes
    characteristics: dict[str, Value] = field(default_factory=dict)
    prices: tuple[OfferingPrice, ...] = ()  # the versions sold (valid at the order date)
    parent_id: str | None = None  # the bundle item this is a component of
    state: ItemState = ItemState.ACKNOWLEDGED
    error: str = ""
    completed_at: datetime | None = None


@dataclass(eq=False)
class ProductOrder:
    id: str
    customer_id: str
    billing_account_id: str
    order_date: datetime
    items: list[OrderItem]
    created_at: datetime
    updated_at: datetime
    state: OrderState = OrderState.ACKNOWLEDGED
    currency: str = ""  # the account's, and the tax rate in force, when the order was priced
    tax_rate_pct: Decimal = Decimal(0)
    external_id: str | None = None
    fingerprint: str = ""
    requested_start: datetime | None = None
    requested_completion: datetime | None = None
    description: str = ""
    priority: str = ""
    notes: tuple[str, ...] = ()
    completion_date: datetime | None = None
    cancellation_date: datetime | None = None
    cancellation_reason: str = ""
    state_before_cancellation: OrderState | None = None
    events: list[events.Event] = field(default_factory=list, repr=False)

    def announce(self) -> None:
        self.events.append(events.ProductOrderCreated(self.id))

    def item(self, item_id: str) -> OrderItem:
        found = next((i for i in self.items if i.id == item_id), None)
        if found is None:
            raise NotFoundError("productOrderItem", f"{self.id}/{item_id}")
        return found

    def children(self, item: OrderItem) -> list[OrderItem]:
        return [i for i in self.items if i.parent_id == item.id]

    def leaves(self) -> list[OrderItem]:
        """The items fulfilment works on: everything but a bundle item with components."""
        return [i for i in self.items if not self.children(i)]

    def _move(self, new: OrderState, now: datetime) -> None:
        if new not in ORDER_TRANSITIONS[self.state]:
            raise InvalidTransitionError(f"product order {self.id} cannot go from {self.state} to {new}")
        old, self.state, self.updated_at = self.state, new, now
        self.events.append(events.ProductOrderStateChanged(self.id, old.value, new.value))

    def _item_state(self, item: OrderItem, new: ItemState, now: datetime) -> None:
        if item.state is new:
            return
        old, item.state, self.updated_at = item.state, new, now
        if new in FINAL_ITEM_STATES:
            item.completed_at = now
        self.events.append(events.ProductOrderItemStateChanged(self.id, item.id, old.value, new.value))

    def start(self, now: datetime) -> None:
        self._move(OS.IN_PROGRESS, now)
        for item in self.items:
            self._item_state(item, ItemState.IN_PROGRESS, now)

    def _require_in_progress(self, item: OrderItem) -> None:
        if self.state not in (OS.IN_PROGRESS, OS.ASSESSING_CANCELLATION):
            raise InvalidTransitionError(f"product order {self.id} is {self.state}, not in progress")
        if self.children(item):
            raise InvalidTransitionError(f"item {item.id} is a bundle: its components are fulfilled, not it")
        if item.state is not ItemState.IN_PROGRESS:
            raise InvalidTransitionError(f"item {item.id} of order {self.id} is already {item.state}")

    def complete_item(self, item_id: str, at: datetime) -> OrderItem:
        item = self.item(item_id)
        self._require_in_progress(item)
        self._item_state(item, ItemState.COMPLETED, at)
        self._settle(at)
        return item

    def fail_item(self, item_id: str, reason: str, at: datetime) -> OrderItem:
        item = self.item(item_id)
        self._require_in_progress(item)
        item.error = reason
        self._item_state(item, ItemState.FAILED, at)
        self._settle(at)
        return item

    def _settle(self, now: datetime) -> None:
        """Bundle items follow their components; the order ends once every item has."""
        for bundle in (i for i in self.items if self.children(i)):
            states = {c.state for c in self.children(bundle)}
            if states <= FINAL_ITEM_STATES:
                new = (
                    ItemState.COMPLETED
                    if states == {ItemState.COMPLETED}
                    else (ItemState.CANCELLED if states == {ItemState.CANCELLED} else ItemState.FAILED)
                )
                self._item_state(bundle, new, now)
        states = {i.state for i in self.leaves()}
        if not states <= FINAL_ITEM_STATES:
            return
        if self.state is OS.ASSESSING_CANCELLATION:
            self.refuse_cancellation(now)  # nothing left to cancel: it finished first
        if states == {ItemState.COMPLETED}:
            self._move(OS.COMPLETED, now)
        elif ItemState.COMPLETED in states:
            self._move(OS.PARTIAL, now)
        else:
            self._move(OS.FAILED, now)
        self.completion_date = now

    @property
    def cancellable_at_once(self) -> bool:
        return self.state in (OS.ACKNOWLEDGED, OS.PENDING, OS.HELD)

    def request_cancellation(self, reason: str, now: datetime) -> None:
        """Cancel at once when nothing started; otherwise assess it (nothing may be finished yet)."""
        if self.cancellable_at_once:
            self.cancel(reason, now)
            return
        if self.state is not OS.IN_PROGRESS:
            raise InvalidTransitionError(f"product order {self.id} is {self.state}: it can no longer be cancelled")
        finished = [i.id for i in self.leaves() if i.state in FINAL_ITEM_STATES]
        if finished:
            raise InvalidTransitionError(
                f"product order {self.id} cannot be cancelled: item(s) {', '.join(finished)} already finished"
            )
        self.cancellation_reason = reason
        self.state_before_cancellation = self.state
        self._move(OS.ASSESSING_CANCELLATION, now)

    def accept_cancellation(self, now: datetime) -> None:
        self._move(OS.PENDING_CANCELLATION, now)
        self.cancel(self.cancellation_reason, now)

    def refuse_cancellation(self, now: datetime) -> None:
        self._move(self.state_before_cancellation or OS.IN_PROGRESS, now)
        self.state_before_cancellation = None

    def cancel(self, reason: str, now: datetime) -> None:
        self._move(OS.CANCELLED, now)
        self.cancellation_reason, self.cancellation_date = reason, now
        for item in self.items:
            if item.state not in FINAL_ITEM_STATES:
                self._item_state(item, ItemState.CANCELLED, now)


class CancelState(StrEnum):
    """TMF622 TaskStateType of a CancelProductOrder request."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    DONE = "done"
    TERMINATED_WITH_ERROR = "terminatedWithError"


@dataclass(eq=False)
class CancelRequest:
    id: str
    order_id: str
    reason: str
    created_at: datetime
    state: CancelState = CancelState.ACKNOWLEDGED
    requested_date: datetime | None = None
    effective_date: datetime | None = None
    error: str = ""
    events: list[events.Event] = field(default_factory=list, repr=False)

    def announce(self) -> None:
        self.events.append(events.CancelProductOrderCreated(self.id, self.order_id))

    def follow(self, order: ProductOrder, now: datetime) -> None:
        """Mirror the order: done once it is cancelled, in progress while assessed, else refused."""
        if order.state is OS.CANCELLED:
            new, self.effective_date = CancelState.DONE, order.cancellation_date or now
        elif order.state in (OS.ASSESSING_CANCELLATION, OS.PENDING_CANCELLATION):
            new = CancelState.IN_PROGRESS
        else:
            new, self.error = CancelState.TERMINATED_WITH_ERROR, f"the order went on to {order.state}"
        if new is not self.state:
            old, self.state = self.state, new
            self.events.append(events.CancelProductOrderStateChanged(self.id, old.value, new.value))
