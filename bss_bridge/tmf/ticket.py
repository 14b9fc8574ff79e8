"""TMF621 TroubleTicket as the BSS renders it and reads it.

The outage start has no TMF621 v4 field: the ticket is sub-typed ``@type: BssTroubleTicket``
(``@baseType: TroubleTicket``) with ``outageStartDate``, as TMF's polymorphism allows. The customer
is the ``relatedParty`` of role ``customer``; the products (TMF637) the ``relatedEntity`` entries of
``@referredType: Product`` and role ``affectedProduct``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from bss_bridge.domain import ticket_commands as tc
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.ticket import TicketRequest, TicketStatus, TroubleTicket
from bss_bridge.tmf.common import compact, href, instant, ref
from bss_bridge.tmf.inputs import PartyRefIn, Ref, TmfModel, customer_of

TYPE = "BssTroubleTicket"
PRODUCT_ROLE = "affectedProduct"


def render_ticket(base: str, t: TroubleTicket) -> dict[str, Any]:
    r = t.request
    customer = {**ref(base, "customer", r.customer_id, referred="Customer"), "role": "customer"}
    return compact(
        {
            "id": t.id,
            "href": href(base, "troubleTicket", t.id),
            "@type": TYPE,
            "@baseType": "TroubleTicket",
            "externalId": r.external_id,
            "name": r.name,
            "description": r.description,
            "severity": r.severity,
            "priority": r.priority,
            "ticketType": r.ticket_type,
            "status": t.status.value,
            "statusChangeDate": instant(t.history[-1].at),
            "statusChangeReason": t.history[-1].reason,
            "statusChange": [
                compact({"status": h.status.value, "changeDate": instant(h.at), "changeReason": h.reason})
                for h in t.history
            ],
            "creationDate": instant(t.created_at),
            "lastUpdate": instant(t.updated_at),
            "resolutionDate": instant(t.resolution_date),
            "outageStartDate": instant(r.outage_start),
            "relatedParty": [customer],
            "relatedEntity": [
                {**ref(base, "product", p), "@referredType": "Product", "role": PRODUCT_ROLE} for p in r.products
            ],
        }
    )


class RelatedEntityIn(Ref):
    role: str | None = None


class TicketIn(TmfModel):
    """A TMF621 TroubleTicket_Create with the extension ``outageStartDate`` (required)."""

    description: str = Field(min_length=1, max_length=2000)
    severity: str = Field(min_length=1, max_length=64)
    ticket_type: str = Field(min_length=1, max_length=64)
    outage_start_date: datetime
    related_party: list[PartyRefIn] = Field(min_length=1)
    related_entity: list[RelatedEntityIn] = Field(min_length=1)
    external_id: str | None = Field(None, min_length=1, max_length=200)
    name: str | None = Field(None, max_length=200)
    priority: str | None = Field(None, max_length=64)

    def command(self) -> tc.OpenTroubleTicket:
        products = []
        for n, entity in enumerate(self.related_entity):
            if entity.referred_type not in (None, "Product"):
                raise InvalidRequestError.one(
                    f"relatedEntity[{n}].@referredType", f"Product is expected, got {entity.referred_type!r}"
                )
            products.append(entity.id)
        request = TicketRequest(
            self.description,
            self.severity,
            self.ticket_type,
            customer_of(self.related_party),
            tuple(products),
            self.outage_start_date,
            self.external_id or "",
            self.name or "",
            self.priority or "",
        )
        return tc.OpenTroubleTicket(request)


class TicketPatch(TmfModel):
    """The part of a TMF621 TroubleTicket_Update this BSS takes: the status, its reason, and when a
    ticket being resolved was resolved. Any other field is refused (nothing else may change)."""

    status: TicketStatus
    status_change_reason: str | None = Field(None, max_length=2000)
    resolution_date: datetime | None = None

    def command(self, ticket_id: str) -> tc.UpdateTroubleTicket:
        return tc.UpdateTroubleTicket(ticket_id, self.status, self.status_change_reason or "", self.resolution_date)
