"""Handlers of trouble tickets (TMF621).

Opening: the customer must exist and every product named must be one of its subscriptions. The same
``externalId`` again returns the first ticket when it repeats it (customer, products, outage start,
description) and is refused otherwise; two concurrent first creations are settled by the unique
index (the loser returns the winner's ticket). Resolving writes the ticket's outage for each of its
products in the same transaction, where billing's SLA credit reads outages.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bss_bridge.domain import ticket_commands as tc
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, Problem, found
from bss_bridge.domain.ticket import MAX_TEXT, TicketRequest, TicketStatus, TroubleTicket
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.holds import hold_ticket


def _replay(existing: TroubleTicket, request: TicketRequest) -> TroubleTicket:
    if existing.request.fingerprint() != request.fingerprint():
        raise ConflictError(
            f"externalId {request.external_id!r} already names trouble ticket {existing.id}, with other content: "
            "send a new externalId for a new ticket"
        )
    return existing


def _check_parties(uow: UnitOfWork, request: TicketRequest) -> None:
    if uow.customers.get(request.customer_id) is None:
        raise InvalidRequestError.one("relatedParty", f"no customer {request.customer_id!r}")
    named = uow.subscriptions.get_many(list(request.products))
    problems = []
    for n, product in enumerate(request.products):
        subscription = named.get(product)
        if subscription is None:
            problems.append(Problem(f"relatedEntity[{n}]", f"no product {product!r} in the product inventory"))
        elif subscription.customer_id != request.customer_id:
            problems.append(
                Problem(f"relatedEntity[{n}]", f"product {product!r} is not customer {request.customer_id!r}'s")
            )
    if problems:
        raise InvalidRequestError(problems)


async def open_ticket(cmd: tc.OpenTroubleTicket, uow: UnitOfWork, deps: Deps) -> tuple[TroubleTicket, bool]:
    """The ticket and whether it is new (False: the same externalId was sent before)."""
    request, now = cmd.request, deps.clock()
    try:
        with uow:
            if request.external_id and (existing := uow.tickets.by_external_id(request.external_id)):
                return _replay(existing, request), False
            ticket = TroubleTicket.open(deps.new_id(), request, now)
            _check_parties(uow, request)
            uow.tickets.add(ticket)
            uow.commit()
    except IntegrityError:
        if not request.external_id:
            raise
        with uow:  # another creation with this externalId won the race
            existing = uow.tickets.by_external_id(request.external_id)
            if existing is None:
                raise
            return _replay(existing, request), False
    return ticket, True


async def update_ticket(cmd: tc.UpdateTroubleTicket, uow: UnitOfWork, deps: Deps) -> TroubleTicket:
    now = deps.clock()
    if len(cmd.reason) > MAX_TEXT:
        raise InvalidRequestError.one("statusChangeReason", f"at most {MAX_TEXT} characters")
    with uow:
        hold_ticket(uow.session, cmd.ticket_id)  # another change at once waits, or is seen
        ticket = found(uow.tickets.get(cmd.ticket_id), "troubleTicket", cmd.ticket_id)
        if cmd.status is not None:
            was = ticket.status
            ticket.change_status(cmd.status, now, cmd.reason, cmd.resolution_date)
            if ticket.status is TicketStatus.RESOLVED and was is not TicketStatus.RESOLVED:
                uow.tickets.report_outage(ticket, now)
        elif cmd.resolution_date is not None:
            raise InvalidRequestError.one("resolutionDate", "is set by resolving the ticket (status resolved)")
        uow.commit()
    return ticket


HANDLERS = {
    tc.OpenTroubleTicket: open_ticket,
    tc.UpdateTroubleTicket: update_ticket,
}
