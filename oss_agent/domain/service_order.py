"""Service orders after TMF641: a state machine over the order and its items.

The allowed transitions follow the TMF641 state diagram; anything else is refused, so an order can
never go from completed back to in progress or be completed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from oss_agent.domain.errors import InvalidTransitionError
from oss_agent.domain.events import Event, ServiceOrderStateChanged


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


@dataclass(frozen=True, slots=True)
class ServiceOrderItemSpec:
    item_id: str
    action: ItemAction
    service_spec: str
    characteristics: tuple[tuple[str, str], ...] = ()


@dataclass
class ServiceOrderItem:
    item_id: str
    action: ItemAction
    service_spec: str
    characteristics: dict[str, str] = field(default_factory=dict)
    state: OrderState = OrderState.ACKNOWLEDGED


@dataclass
class ServiceOrder:
    id: str
    items: list[ServiceOrderItem]
    requested_at: datetime
    external_id: str | None = None
    description: str = ""
    state: OrderState = OrderState.ACKNOWLEDGED
    completed_at: datetime | None = None
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def submit(
        cls,
        order_id: str,
        items: tuple[ServiceOrderItemSpec, ...],
        at: datetime,
        external_id: str | None = None,
        description: str = "",
    ) -> ServiceOrder:
        if not items:
            raise InvalidTransitionError(f"service order {order_id} has no items")
        ids = [item.item_id for item in items]
        if len(set(ids)) != len(ids):
            raise InvalidTransitionError(f"service order {order_id} repeats an item id: {ids}")
        return cls(
            order_id,
            [ServiceOrderItem(i.item_id, i.action, i.service_spec, dict(i.characteristics)) for i in items],
            at,
            external_id,
            description,
        )

    def transition(self, new: OrderState, at: datetime) -> None:
        if new not in TRANSITIONS[self.state]:
            raise InvalidTransitionError(f"service order {self.id}: {self.state} -> {new} is not allowed")
        old, self.state = self.state, new
        if new in (OrderState.COMPLETED, OrderState.FAILED, OrderState.PARTIAL, OrderState.CANCELLED):
            self.completed_at = at
        self.events.append(ServiceOrderStateChanged(self.id, old.value, new.value))

    def settle(self, at: datetime) -> None:
        """Derive the order's final state from its items (all done, none done, or some)."""
        done = [item.state is OrderState.COMPLETED for item in self.items]
        if all(done):
            self.transition(OrderState.COMPLETED, at)
        elif any(done):
            self.transition(OrderState.PARTIAL, at)
        else:
            self.transition(OrderState.FAILED, at)
