"""Service orders after TMF641: a state machine over the order and its items.

The allowed transitions follow the TMF641 state diagram; anything else is refused, so an order can
never go from completed back to in progress or be completed twice. An order may be cancelled until
its commit starts (the first device is about to change); from then on it runs to completion or is
rolled back, and its state says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from oss_agent.domain.errors import DomainError, InvalidTransitionError
from oss_agent.domain.events import Event, ServiceOrderStateChanged, ServiceOrderSubmitted


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


class ItemAction(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"
    NO_CHANGE = "noChange"


_S = OrderState
TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    _S.ACKNOWLEDGED: frozenset({_S.REJECTED, _S.PENDING, _S.HELD, _S.IN_PROGRESS, _S.CANCELLED}),
    _S.PENDING: frozenset({_S.IN_PROGRESS, _S.CANCELLED, _S.HELD}),
    _S.HELD: frozenset({_S.IN_PROGRESS, _S.CANCELLED, _S.PENDING}),
    _S.IN_PROGRESS: frozenset({_S.COMPLETED, _S.FAILED, _S.PARTIAL, _S.HELD, _S.PENDING, _S.CANCELLED}),
    _S.REJECTED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.COMPLETED: frozenset(),
    _S.FAILED: frozenset(),
    _S.PARTIAL: frozenset(),
}
FINAL = frozenset({_S.REJECTED, _S.CANCELLED, _S.COMPLETED, _S.FAILED, _S.PARTIAL})


@dataclass(frozen=True, slots=True)
class ServiceOrderItemSpec:
    """One item as requested: what to do to which service, with which characteristics.

    ``service_id`` names the service a modify or delete acts on; ``depends_on`` the items of the same
    order that must be done first; ``target_state`` is ``active`` or ``inactive`` for a modify that
    suspends or resumes.
    """

    item_id: str
    action: ItemAction
    service_spec: str
    characteristics: tuple[tuple[str, Any], ...] = ()
    service_id: str | None = None
    service_name: str = ""
    depends_on: tuple[str, ...] = ()
    target_state: str | None = None


@dataclass
class ServiceOrderItem:
    item_id: str
    action: ItemAction
    service_spec: str
    characteristics: dict[str, Any] = field(default_factory=dict)
    state: OrderState = OrderState.ACKNOWLEDGED
    service_id: str | None = None
    service_name: str = ""
    depends_on: tuple[str, ...] = ()
    target_state: str | None = None
    error: str = ""


@dataclass
class ServiceOrder:
    id: str
    items: list[ServiceOrderItem]
    requested_at: datetime
    external_id: str | None = None
    description: str = ""
    state: OrderState = OrderState.ACKNOWLEDGED
    completed_at: datetime | None = None
    requested_start: datetime | None = None
    started_at: datetime | None = None
    commit_started_at: datetime | None = None
    category: str = ""
    priority: str = ""
    related_party: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    cancellation_reason: str = ""
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def submit(
        cls,
        order_id: str,
        items: tuple[ServiceOrderItemSpec, ...],
        at: datetime,
        external_id: str | None = None,
        description: str = "",
        *,
        requested_start: datetime | None = None,
        related_party: list[dict[str, Any]] | None = None,
        category: str = "",
        priority: str = "",
    ) -> ServiceOrder:
        if not items:
            raise InvalidTransitionError(f"service order {order_id} has no items")
        ids = [item.item_id for item in items]
        if len(set(ids)) != len(ids):
            raise InvalidTransitionError(f"service order {order_id} repeats an item id: {ids}")
        for item in items:
            unknown = [d for d in item.depends_on if d not in ids or d == item.item_id]
            if unknown:
                raise InvalidTransitionError(f"item {item.item_id} depends on unknown item(s) {unknown}")
        order = cls(
            order_id,
            [
                ServiceOrderItem(
                    i.item_id,
                    i.action,
                    i.service_spec,
                    dict(i.characteristics),
                    service_id=i.service_id,
                    service_name=i.service_name,
                    depends_on=i.depends_on,
                    target_state=i.target_state,
                )
                for i in items
            ],
            at,
            external_id,
            description,
            requested_start=requested_start,
            related_party=list(related_party or []),
            category=category,
            priority=priority,
        )
        order.execution_order()  # refuses a cycle now, not when the order runs
        order.events.append(ServiceOrderSubmitted(order_id))
        return order

    def item(self, item_id: str) -> ServiceOrderItem:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise DomainError(f"service order {self.id} has no item {item_id!r}")

    def execution_order(self) -> list[ServiceOrderItem]:
        """The items, each after the items it depends on (stable otherwise); a cycle is refused."""
        done: list[ServiceOrderItem] = []
        placed: set[str] = set()
        waiting = list(self.items)
        while waiting:
            ready = [i for i in waiting if set(i.depends_on) <= placed]
            if not ready:
                raise InvalidTransitionError(
                    f"service order {self.id}: items {[i.item_id for i in waiting]} depend on each other"
                )
            for item in ready:
                done.append(item)
                placed.add(item.item_id)
                waiting.remove(item)
        return done

    def transition(self, new: OrderState, at: datetime) -> None:
        if new not in TRANSITIONS[self.state]:
            raise InvalidTransitionError(f"service order {self.id}: {self.state} -> {new} is not allowed")
        old, self.state = self.state, new
        if new is OrderState.IN_PROGRESS and self.started_at is None:
            self.started_at = at
        if new in FINAL:
            self.completed_at = at
        self.events.append(ServiceOrderStateChanged(self.id, old.value, new.value))

    @property
    def cancellable(self) -> bool:
        return self.state not in FINAL and self.commit_started_at is None

    def start(self, at: datetime) -> None:
        self.transition(OrderState.IN_PROGRESS, at)
        for item in self.items:
            item.state = OrderState.IN_PROGRESS

    def begin_commit(self, at: datetime) -> None:
        """The first device is about to change: from now on the order can no longer be cancelled."""
        if self.state is not OrderState.IN_PROGRESS:
            raise InvalidTransitionError(f"service order {self.id} is {self.state}, not inProgress")
        self.commit_started_at = at

    def cancel(self, at: datetime, reason: str = "") -> None:
        if self.commit_started_at is not None:
            started = self.commit_started_at.isoformat()
            raise InvalidTransitionError(f"service order {self.id} cannot be cancelled: its commit started {started}")
        self.transition(OrderState.CANCELLED, at)
        self.cancellation_reason = reason
        for item in self.items:
            item.state = OrderState.CANCELLED

    def reject(self, at: datetime, problems: list[Mapping[str, str]]) -> None:
        self.errors = [dict(p) for p in problems]
        self.transition(OrderState.REJECTED, at)
        for item in self.items:
            item.state = OrderState.REJECTED

    def fail(self, at: datetime, reason: str, per_item: Mapping[str, str] | None = None) -> None:
        """Every item failed (an activation is all or nothing); ``reason`` says why, per item if known."""
        self.errors.append({"code": "activationFailed", "reason": "Activation failed", "message": reason})
        for item in self.items:
            item.state = OrderState.FAILED
            item.error = (per_item or {}).get(item.item_id, reason)
        if self.state is not OrderState.IN_PROGRESS:
            self.transition(OrderState.IN_PROGRESS, at)
        self.transition(OrderState.FAILED, at)

    def complete(self, at: datetime) -> None:
        for item in self.items:
            item.state = OrderState.COMPLETED
        self.settle(at)

    def settle(self, at: datetime) -> None:
        """Derive the order's final state from its items (all done, none done, or some)."""
        done = [item.state is OrderState.COMPLETED for item in self.items]
        if all(done):
            self.transition(OrderState.COMPLETED, at)
        elif any(done):
            self.transition(OrderState.PARTIAL, at)
        else:
            self.transition(OrderState.FAILED, at)
