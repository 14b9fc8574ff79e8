"""Commands of trouble tickets (TMF621). Each has one handler that raises on failure and then stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bss_bridge.domain.commands import Command
from bss_bridge.domain.ticket import TicketRequest, TicketStatus


@dataclass(frozen=True, slots=True)
class OpenTroubleTicket(Command):
    """A new ticket; the same ``externalId`` again returns the first ticket (same content) or is refused."""

    request: TicketRequest


@dataclass(frozen=True, slots=True)
class UpdateTroubleTicket(Command):
    """A status change, with its reason; resolving may say when it was resolved (else: now)."""

    ticket_id: str
    status: TicketStatus | None = None
    reason: str = ""
    resolution_date: datetime | None = None
