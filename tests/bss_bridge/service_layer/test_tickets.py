"""Trouble tickets through the bus: two first creations of one externalId racing end in one ticket."""

from __future__ import annotations

from typing import Any

import pytest

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import ticket_commands as tc
from bss_bridge.domain.errors import ConflictError
from bss_bridge.domain.ticket import TicketRequest
from bss_bridge.storage.ticket_repository import TicketRepository

from ..billing_world import account, run, set_clock, subscribe, utc


def test_a_creation_that_loses_the_race_on_its_external_id_returns_the_winners_ticket(
    bss: Bss, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 1, 9))
    with bss.uow() as uow:
        customer = uow.accounts.get(acme).customer_id  # type: ignore[union-attr]
    set_clock(bss, utc(2026, 3, 10, 9))
    request = TicketRequest("down", "Critical", "incident", customer, (sub,), utc(2026, 3, 10, 8), "alarm-7")
    winner, new = run(bss, tc.OpenTroubleTicket(request))
    assert new
    # the second creation does not see the first when it looks (it was not committed yet, as in a race)
    original = TicketRepository.by_external_id
    calls: list[str] = []

    def blind_once(self: TicketRepository, external_id: str) -> Any:
        calls.append(external_id)
        return None if len(calls) == 1 else original(self, external_id)

    monkeypatch.setattr(TicketRepository, "by_external_id", blind_once)
    loser, new = run(bss, tc.OpenTroubleTicket(request))
    assert (loser.id, new, len(calls)) == (winner.id, False, 2)  # the unique index refused the second
    calls.clear()
    with pytest.raises(ConflictError, match="other content"):
        run(bss, tc.OpenTroubleTicket(TicketRequest("other", "Minor", "incident", customer, (sub,),
                                                    utc(2026, 3, 10, 8), "alarm-7")))
    with bss.uow() as uow:
        assert uow.tickets.list()[1] == 1
