"""Services after TMF638: what an order made, in which state, on which resources.

A service is created *reserved* when an order that adds it starts (its pool values are taken in its
name), becomes *active* (or *inactive*, suspended) once every device is committed and checked, and
*terminated* when deleted or when the order that was to create it failed. ``supporting_resources``
are TMF639 resource ids (``pe1``, ``pe1:eth3``): the link from a device or interface to the services
riding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from oss_agent.domain.errors import InvalidTransitionError
from oss_agent.domain.events import Event, ServiceAttributesChanged, ServiceCreated, ServiceStateChanged


class ServiceState(StrEnum):
    FEASIBILITY_CHECKED = "feasibilityChecked"
    DESIGNED = "designed"
    RESERVED = "reserved"
    INACTIVE = "inactive"
    ACTIVE = "active"
    TERMINATED = "terminated"


_S = ServiceState
SERVICE_TRANSITIONS: dict[ServiceState, frozenset[ServiceState]] = {
    _S.FEASIBILITY_CHECKED: frozenset({_S.DESIGNED, _S.RESERVED, _S.TERMINATED}),
    _S.DESIGNED: frozenset({_S.RESERVED, _S.TERMINATED}),
    _S.RESERVED: frozenset({_S.ACTIVE, _S.INACTIVE, _S.TERMINATED}),
    _S.ACTIVE: frozenset({_S.INACTIVE, _S.TERMINATED}),
    _S.INACTIVE: frozenset({_S.ACTIVE, _S.TERMINATED}),
    _S.TERMINATED: frozenset(),
}


@dataclass
class Service:
    id: str
    name: str
    spec_id: str
    state: ServiceState
    characteristics: dict[str, Any]
    order_id: str
    order_item_id: str
    created_at: datetime
    updated_at: datetime
    external_id: str | None = None
    related_party: list[dict[str, Any]] = field(default_factory=list)
    supporting_resources: tuple[str, ...] = ()
    in_sync: bool | None = None
    sync_detail: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def reserve(
        cls,
        service_id: str,
        name: str,
        spec_id: str,
        characteristics: Mapping[str, Any],
        order_id: str,
        order_item_id: str,
        at: datetime,
        *,
        external_id: str | None = None,
        related_party: list[dict[str, Any]] | None = None,
    ) -> Service:
        service = cls(
            service_id,
            name,
            spec_id,
            ServiceState.RESERVED,
            dict(characteristics),
            order_id,
            order_item_id,
            at,
            at,
            external_id,
            list(related_party or []),
        )
        service.events.append(ServiceCreated(service_id))
        return service

    @property
    def live(self) -> bool:
        """On the network now (active or suspended)."""
        return self.state in (ServiceState.ACTIVE, ServiceState.INACTIVE)

    def transition(self, new: ServiceState, at: datetime) -> None:
        if new is self.state:
            return
        if new not in SERVICE_TRANSITIONS[self.state]:
            raise InvalidTransitionError(f"service {self.id}: {self.state} -> {new} is not allowed")
        old, self.state, self.updated_at = self.state, new, at
        self.events.append(ServiceStateChanged(self.id, old.value, new.value))

    def provisioned(
        self,
        characteristics: Mapping[str, Any],
        resources: tuple[str, ...],
        checks: list[dict[str, Any]],
        order_id: str,
        at: datetime,
    ) -> None:
        """What an order just committed: the values, the resources it rides on, the checks that passed."""
        changed = dict(characteristics) != self.characteristics or resources != self.supporting_resources
        self.characteristics, self.supporting_resources = dict(characteristics), resources
        self.checks, self.order_id, self.updated_at = checks, order_id, at
        self.in_sync, self.sync_detail = True, ""
        if changed:
            self.events.append(ServiceAttributesChanged(self.id, "characteristics"))

    def mark_sync(self, in_sync: bool, detail: str, at: datetime) -> bool:
        """Record a configuration check; True when the sync status changed."""
        changed = in_sync != self.in_sync
        self.in_sync, self.sync_detail, self.updated_at = in_sync, detail, at
        if changed:
            self.events.append(ServiceAttributesChanged(self.id, "inSync"))
        return changed
