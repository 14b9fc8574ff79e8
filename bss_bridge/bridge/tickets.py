"""The customer-facing trouble tickets of incidents: TMF621 tickets in this BSS, through its service
layer (the seam ``alarms.TicketDesk``; another BSS would be reached over its TMF621 API instead).

One ticket per incident, ``externalId`` the incident's key: opening again (a retry after a crash)
returns the first ticket. It names the customer, the products hurt when it opened and the outage's
start; resolving it at the incident's resolution writes each product's outage for the SLA (the
bridge's own outage records cover the same interval: the SLA counts overlapping outages once).
Products joining an incident later are not added to its ticket (TMF621 changes only the status).
"""

from __future__ import annotations

from bss_bridge.bootstrap import Bss
from bss_bridge.domain.ticket import TicketRequest, TicketStatus
from bss_bridge.domain.ticket_commands import OpenTroubleTicket, UpdateTroubleTicket
from bss_bridge.storage.incident_store import Incident

DONE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CANCELLED, TicketStatus.REJECTED})


class BssTicketDesk:
    def __init__(self, bss: Bss) -> None:
        self.bss = bss

    async def open(self, incident: Incident, products: list[str]) -> str:
        if incident.ticket_id:
            return incident.ticket_id
        with self.bss.uow() as uow:
            known = uow.tickets.by_external_id(incident.key)
        if known is not None:  # opened before the bridge noted it (a crash between the two)
            return known.id
        start = min(incident.outages.values(), default=incident.opened_at)
        request = TicketRequest(
            description=incident.description,
            severity="major",
            ticket_type="serviceOutage",
            customer_id=incident.customer_id,
            products=tuple(products),
            outage_start=min(start, self.bss.deps.clock()),
            external_id=incident.key,
            name=f"Service outage ({len(products)} product(s))",
        )
        ticket, _ = await self.bss.handle(OpenTroubleTicket(request))
        return str(ticket.id)

    async def resolve(self, incident: Incident, ticket_id: str) -> None:
        with self.bss.uow() as uow:
            ticket = uow.tickets.get(ticket_id)
        if ticket is None or ticket.status in DONE:
            return
        reason = "the network fault that caused it has cleared"
        await self.bss.handle(UpdateTroubleTicket(ticket_id, TicketStatus.RESOLVED, reason, incident.resolved_at))
