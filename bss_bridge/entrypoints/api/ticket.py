"""TMF621 trouble tickets: create (idempotent on ``externalId``), list with filters, retrieve, and
PATCH the status (TMF621's life cycle; resolving records the outage billing's SLA credit counts)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bss_bridge.entrypoints.api.filters import Filter, Filters
from bss_bridge.entrypoints.api.openapi import takes
from bss_bridge.entrypoints.api.tmf import TmfResponse, body, bss_of, created, each, list_of, one, retrieve
from bss_bridge.tmf.common import BASES
from bss_bridge.tmf.ticket import TicketIn, TicketPatch, render_ticket

router = APIRouter(prefix=BASES["tmf621"], tags=["TMF621 trouble tickets"])
FILTERS = Filters(
    {
        "status": Filter(column="status"),
        "externalId": Filter(column="external_id"),
        "relatedParty.id": Filter(column="customer_id"),
        "severity": Filter(column="severity"),
        "ticketType": Filter(column="ticket_type"),
        "creationDate": Filter("date", "created_at"),
        "lastUpdate": Filter("date", "updated_at"),
        "resolutionDate": Filter("date", "resolution_date"),
    }
)
render = each(render_ticket)


@router.get("/troubleTicket", summary="List or find TroubleTicket objects", openapi_extra=FILTERS.openapi())
def list_tickets(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, FILTERS, lambda uow: uow.tickets, render)


@router.get("/troubleTicket/{ticket_id}", summary="Retrieve a TroubleTicket by ID")
def get_ticket(request: Request, ticket_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, ticket_id, "troubleTicket", lambda uow: uow.tickets, render)


@router.post(
    "/troubleTicket",
    status_code=201,
    summary="Create a TroubleTicket (the same externalId again returns the first: 200)",
    openapi_extra=takes(TicketIn),
)
async def create_ticket(request: Request) -> TmfResponse:
    ticket, new = await bss_of(request).handle((await body(request, TicketIn)).command())
    rendered = render(request, [ticket])[0]
    return created(rendered) if new else one(rendered)


@router.patch(
    "/troubleTicket/{ticket_id}",
    summary="Change a TroubleTicket's status (merge patch)",
    openapi_extra=takes(TicketPatch),
)
async def patch_ticket(request: Request, ticket_id: str) -> TmfResponse:
    ticket = await bss_of(request).handle((await body(request, TicketPatch)).command(ticket_id))
    return one(render(request, [ticket])[0])
