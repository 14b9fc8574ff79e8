"""Trouble tickets: what a request must say, TMF621's life cycle, the outage a resolution reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bss_bridge.domain import events
from bss_bridge.domain.errors import InvalidRequestError, InvalidTransitionError
from bss_bridge.domain.ticket import TicketRequest, TicketStatus, TroubleTicket

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
START = NOW - timedelta(hours=3)
S = TicketStatus


def request(**kw: object) -> TicketRequest:
    values: dict[str, object] = {
        "description": "no traffic since 09:00",
        "severity": "Critical",
        "ticket_type": "incident",
        "customer_id": "c-1",
        "products": ("p-1",),
        "outage_start": START,
    } | kw
    return TicketRequest(**values)  # type: ignore[arg-type]


def test_a_ticket_opens_acknowledged_and_every_problem_of_its_request_is_named() -> None:
    ticket = TroubleTicket.open("t-1", request(), NOW)
    assert ticket.status is S.ACKNOWLEDGED and ticket.outage is None
    assert ticket.events == [events.TroubleTicketCreated("t-1")]
    with pytest.raises(InvalidRequestError) as caught:
        TroubleTicket.open("t-2", request(severity=" ", products=(), outage_start=NOW + timedelta(minutes=1)), NOW)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"severity", "relatedEntity", "outageStartDate"}
    with pytest.raises(InvalidRequestError, match="offset"):
        TroubleTicket.open("t-3", request(outage_start=START.replace(tzinfo=None)), NOW)
    with pytest.raises(InvalidRequestError, match="named twice"):
        TroubleTicket.open("t-4", request(products=("p-1", "p-1")), NOW)


def test_the_life_cycle_follows_tmf621_and_a_resolution_reports_the_outage() -> None:
    ticket = TroubleTicket.open("t-1", request(), NOW)
    ticket.change_status(S.IN_PROGRESS, NOW, "engineer dispatched")
    with pytest.raises(InvalidTransitionError, match="inProgress: it cannot become acknowledged"):
        ticket.change_status(S.ACKNOWLEDGED, NOW)
    with pytest.raises(InvalidRequestError, match="only a ticket being resolved"):
        ticket.change_status(S.HELD, NOW, resolution_date=NOW)
    with pytest.raises(InvalidRequestError, match="between the outage start"):
        ticket.change_status(S.RESOLVED, NOW, resolution_date=START - timedelta(seconds=1))
    with pytest.raises(InvalidRequestError, match="between the outage start"):
        ticket.change_status(S.RESOLVED, NOW, resolution_date=NOW + timedelta(seconds=1))
    assert ticket.status is S.IN_PROGRESS  # a refused change changes nothing
    ticket.change_status(S.RESOLVED, NOW, "fibre spliced", resolution_date=NOW - timedelta(hours=1))
    assert ticket.outage == (START, NOW - timedelta(hours=1))
    assert ticket.outage_id("p-1") == "tt-t-1-p-1"
    ticket.change_status(S.CLOSED, NOW + timedelta(days=1))
    assert ticket.outage == (START, NOW - timedelta(hours=1))  # closing keeps it
    with pytest.raises(InvalidTransitionError, match="none: it is final"):
        ticket.change_status(S.IN_PROGRESS, NOW + timedelta(days=2))
    assert [h.status for h in ticket.history] == [S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED]
    changes = [(e.old, e.new) for e in ticket.events if isinstance(e, events.TroubleTicketStatusChanged)]
    assert changes == [("acknowledged", "inProgress"), ("inProgress", "resolved"), ("resolved", "closed")]
    assert [e for e in ticket.events if isinstance(e, events.TroubleTicketResolved)] == [
        events.TroubleTicketResolved("t-1")
    ]


def test_a_reopened_ticket_reports_no_outage_until_resolved_again_and_unresolved_ones_none() -> None:
    ticket = TroubleTicket.open("t-1", request(), NOW)
    ticket.change_status(S.RESOLVED, NOW)  # resolved at once: resolved now
    assert ticket.outage == (START, NOW)
    ticket.change_status(S.IN_PROGRESS, NOW, "it came back")
    assert ticket.outage is None and ticket.resolution_date is None
    ticket.change_status(S.RESOLVED, NOW + timedelta(hours=2))
    assert ticket.outage == (START, NOW + timedelta(hours=2))
    rejected = TroubleTicket.open("t-2", request(), NOW)
    rejected.change_status(S.REJECTED, NOW, "not our network")
    assert rejected.outage is None
    rejected.change_status(S.REJECTED, NOW)  # the same status again: nothing happens
    assert len(rejected.history) == 2
