"""A trouble ticket changed by two requests at once, on SQLite and PostgreSQL: each reads its status
and history and writes them back. Whatever the interleaving they end as one after the other would:
a ticket resolved and cancelled at once is one of the two, the other refused, and a cancelled
ticket has no outage credited to its product."""

from __future__ import annotations

from sqlalchemy import select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import ticket_commands as tc
from bss_bridge.domain.errors import InvalidTransitionError
from bss_bridge.domain.ticket import TicketRequest, TicketStatus, TroubleTicket
from bss_bridge.storage.billing_tables import OutageRow

from ..billing_world import account, run, set_clock, subscribe, utc
from ..races import race


def test_a_ticket_resolved_and_cancelled_at_once_is_one_of_the_two(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 1, 9))
    with bss.uow() as uow:
        customer = uow.accounts.get(acme).customer_id  # type: ignore[union-attr]
    set_clock(bss, utc(2026, 3, 10, 9))
    for n in range(15):
        request = TicketRequest(f"down {n}", "Critical", "incident", customer, (sub,), utc(2026, 3, 10, 8))
        ticket, _ = run(bss, tc.OpenTroubleTicket(request))
        run(bss, tc.UpdateTroubleTicket(ticket.id, TicketStatus.IN_PROGRESS))
        results = race(
            lambda ticket=ticket: run(bss, tc.UpdateTroubleTicket(ticket.id, TicketStatus.RESOLVED, "fixed")),
            lambda ticket=ticket: run(bss, tc.UpdateTroubleTicket(ticket.id, TicketStatus.CANCELLED, "duplicate")),
        )
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(refused) == 1 and isinstance(refused[0], InvalidTransitionError), results
        won = next(r for r in results if isinstance(r, TroubleTicket))
        with bss.uow() as uow:
            stored = uow.tickets.get(ticket.id)
            outages = uow.session.scalars(select(OutageRow.id).where(OutageRow.id.contains(ticket.id))).all()
        assert stored is not None and stored.status is won.status
        assert [h.status for h in stored.history][-2:] == [TicketStatus.IN_PROGRESS, won.status]
        assert len(outages) == (1 if won.status is TicketStatus.RESOLVED else 0)


def test_one_ticket_opened_many_times_at_once_with_one_external_id_is_opened_once(any_bss: Bss) -> None:
    """The same externalId at once: one ticket, the other requests answered with it (not new), one
    with other content refused naming it; never a database error (it was so already)."""
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 1, 9))
    with bss.uow() as uow:
        customer = uow.accounts.get(acme).customer_id  # type: ignore[union-attr]
    set_clock(bss, utc(2026, 3, 10, 9))
    for n in range(8):
        request = TicketRequest(f"down {n}", "Critical", "incident", customer, (sub,), utc(2026, 3, 10, 8), f"x-{n}")
        results = race(*[lambda request=request: run(bss, tc.OpenTroubleTicket(request))] * 4)
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert sorted(new for _, new in results) == [False, False, False, True]
        assert len({ticket.id for ticket, _ in results}) == 1
