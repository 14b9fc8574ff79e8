"""Trouble tickets (TMF621): a customer's issue with some of its products, tracked to resolution.

A ticket names one customer (``relatedParty``), the products (subscriptions) it is about
(``relatedEntity``) and when the outage began (``outage_start``; TMF621 v4 has no field for it:
the API carries it as an extension). Its status follows TMF621's life cycle::

    acknowledged -> inProgress | rejected | cancelled | resolved
    inProgress   -> pending | held | resolved | cancelled
    pending      -> inProgress | cancelled | resolved
    held         -> inProgress | cancelled | resolved
    resolved     -> closed | inProgress              (reopened: the issue came back)
    rejected, cancelled, closed: final

A resolved ticket records its ``resolution_date`` (given, else the instant it was resolved); the
outage it reports is ``[outage_start, resolution_date)``, what the SLA credit counts for each of its
products (``outage_id`` names that outage, so resolving again after a reopening moves its end, never
adds a second one; while reopened, the first resolution stands). A ticket rejected or cancelled
before any resolution reports no outage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bss_bridge.domain import events
from bss_bridge.domain.errors import InvalidRequestError, InvalidTransitionError, Problem

MAX_TEXT = 2000
MAX_PRODUCTS = 100


class TicketStatus(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    PENDING = "pending"
    HELD = "held"
    IN_PROGRESS = "inProgress"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    RESOLVED = "resolved"


S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS, S.REJECTED, S.CANCELLED, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.PENDING, S.HELD, S.RESOLVED, S.CANCELLED}),
    S.PENDING: frozenset({S.IN_PROGRESS, S.CANCELLED, S.RESOLVED}),
    S.HELD: frozenset({S.IN_PROGRESS, S.CANCELLED, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.CLOSED: frozenset(),
}


def aware(moment: datetime, name: str) -> datetime:
    if moment.utcoffset() is None:
        raise InvalidRequestError.one(name, "a date-time needs its offset (2026-03-01T09:00:00Z)")
    return moment


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: TicketStatus
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TicketRequest:
    """What a client asks for (checked by :meth:`TroubleTicket.open`)."""

    description: str
    severity: str
    ticket_type: str
    customer_id: str
    products: tuple[str, ...]
    outage_start: datetime
    external_id: str = ""
    name: str = ""
    priority: str = ""

    def problems(self, now: datetime) -> list[Problem]:
        found = [
            Problem(name, f"is required and at most {MAX_TEXT} characters")
            for name, value in (("description", self.description), ("severity", self.severity),
                                ("ticketType", self.ticket_type))
            if not value.strip() or len(value) > MAX_TEXT
        ]
        if not self.products:
            found.append(Problem("relatedEntity", "name at least one product (@referredType Product) it is about"))
        elif len(self.products) > MAX_PRODUCTS:
            found.append(Problem("relatedEntity", f"at most {MAX_PRODUCTS} products, got {len(self.products)}"))
        elif len(set(self.products)) != len(self.products):
            found.append(Problem("relatedEntity", "a product is named twice"))
        if self.outage_start.utcoffset() is None:
            found.append(Problem("outageStartDate", "a date-time needs its offset (2026-03-01T09:00:00Z)"))
        elif self.outage_start > now:
            found.append(Problem("outageStartDate", f"{self.outage_start.isoformat()} is in the future"))
        return found

    def fingerprint(self) -> tuple[object, ...]:
        """What a retry with the same externalId must repeat to be the same ticket."""
        return (self.customer_id, tuple(sorted(self.products)), self.outage_start, self.description)


@dataclass
class TroubleTicket:
    id: str
    request: TicketRequest
    status: TicketStatus
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange]
    resolution_date: datetime | None = None
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def open(cls, ticket_id: str, request: TicketRequest, now: datetime) -> TroubleTicket:
        problems = request.problems(now)
        if problems:
            raise InvalidRequestError(problems)
        ticket = cls(ticket_id, request, S.ACKNOWLEDGED, now, now, [StatusChange(S.ACKNOWLEDGED, now)])
        ticket.events.append(events.TroubleTicketCreated(ticket_id))
        return ticket

    @property
    def outage(self) -> tuple[datetime, datetime] | None:
        """The outage this ticket reports: from its start to its resolution, once resolved."""
        if self.resolution_date is None or self.status not in (S.RESOLVED, S.CLOSED):
            return None
        return self.request.outage_start, self.resolution_date

    def outage_id(self, product_id: str) -> str:
        return f"tt-{self.id}-{product_id}"

    def change_status(
        self, status: TicketStatus, now: datetime, reason: str = "", resolution_date: datetime | None = None
    ) -> None:
        """Move to ``status`` if TMF621's life cycle allows it; resolving records the resolution date."""
        if status is self.status:
            return
        if resolution_date is not None and status is not S.RESOLVED:
            raise InvalidRequestError.one("resolutionDate", "only a ticket being resolved takes a resolution date")
        if status not in TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(TRANSITIONS[self.status])) or "none: it is final"
            raise InvalidTransitionError(
                f"trouble ticket {self.id} is {self.status.value}: it cannot become {status.value} (allowed: {allowed})"
            )
        if status is S.RESOLVED:
            resolved = aware(resolution_date, "resolutionDate") if resolution_date is not None else now
            if resolved < self.request.outage_start or resolved > now:
                raise InvalidRequestError.one(
                    "resolutionDate",
                    f"{resolved.isoformat()} must lie between the outage start "
                    f"({self.request.outage_start.isoformat()}) and now",
                )
            self.resolution_date = resolved
        elif status is S.IN_PROGRESS:
            self.resolution_date = None  # reopened
        old, self.status, self.updated_at = self.status, status, now
        self.history.append(StatusChange(status, now, reason))
        self.events.append(events.TroubleTicketStatusChanged(self.id, old.value, status.value))
        if status is S.RESOLVED:
            self.events.append(events.TroubleTicketResolved(self.id))
