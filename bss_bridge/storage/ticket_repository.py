"""Trouble tickets (TMF621) loaded from and written back to their rows; a resolved ticket's outage
written where billing's SLA reads outages (``bss_outages``), one row per product named."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bss_bridge.domain.ticket import StatusChange, TicketRequest, TicketStatus, TroubleTicket
from bss_bridge.storage import sla_store
from bss_bridge.storage.billing_tables import OutageRow
from bss_bridge.storage.repositories import Repository
from bss_bridge.storage.ticket_tables import TroubleTicketRow


class TicketRepository(Repository[TroubleTicket, TroubleTicketRow]):
    row_type = TroubleTicketRow
    order_by = "created_at"

    def by_external_id(self, external_id: str) -> TroubleTicket | None:
        row = self.session.scalars(self._select().where(TroubleTicketRow.external_id == external_id)).one_or_none()
        return None if row is None else self._load(row)

    def _to_domain(self, row: TroubleTicketRow) -> TroubleTicket:
        request = TicketRequest(
            row.description,
            row.severity,
            row.ticket_type,
            row.customer_id,
            tuple(str(p) for p in row.products),
            row.outage_start,
            row.external_id or "",
            row.name,
            row.priority,
        )
        history = [
            StatusChange(TicketStatus(h["status"]), datetime.fromisoformat(h["at"]), h.get("reason", ""))
            for h in row.history
        ]
        return TroubleTicket(
            row.id, request, TicketStatus(row.status), row.created_at, row.updated_at, history, row.resolution_date
        )

    def _write(self, t: TroubleTicket, row: TroubleTicketRow) -> None:
        r = t.request
        row.external_id, row.customer_id, row.products = r.external_id or None, r.customer_id, list(r.products)
        row.description, row.name, row.severity, row.priority = r.description, r.name, r.severity, r.priority
        row.ticket_type, row.outage_start = r.ticket_type, r.outage_start
        row.status, row.resolution_date = t.status.value, t.resolution_date
        row.history = [{"status": h.status.value, "at": h.at.isoformat(), "reason": h.reason} for h in t.history]
        row.created_at, row.updated_at = t.created_at, t.updated_at

    def report_outage(self, ticket: TroubleTicket, now: datetime) -> int:
        """The outage of a resolved ``ticket`` on each of its products, ``[start, resolution)``: one row
        per product keyed ``outage_id``, so resolving again (after a reopening) moves its end and never
        adds a second one. Nothing for a ticket not resolved. Returns the rows written."""
        outage = ticket.outage
        if outage is None:
            return 0
        ids = {ticket.outage_id(p): p for p in ticket.request.products}
        existing = {row.id: row for row in self.session.scalars(select(OutageRow).where(OutageRow.id.in_(ids)))}
        end = outage[1]
        description = f"trouble ticket {ticket.id}: {ticket.request.description}"[:2000]
        start = ticket.request.outage_start
        for outage_id, product in sorted(ids.items(), key=lambda item: item[1]):  # rows locked in one order
            row = existing.get(outage_id)
            sla_store.write_outage(self.session, row, outage_id, product, start, end, description, now)
        return len(ids)
