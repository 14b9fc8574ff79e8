"""An offering's prices changed by two requests at once, on SQLite and PostgreSQL: each reads the
price's versions and adds the next. Whatever the interleaving, they end as one after the other
would: both versions chained (each ends where the next starts), or the later-sent refused as
starting before the version the other added; never a database error for a request."""

from __future__ import annotations

import itertools
from decimal import Decimal

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import commands
from bss_bridge.domain.errors import ConflictError
from bss_bridge.domain.pricing import RecurringCharge

from ..billing_world import run, set_clock, utc
from ..races import race


def reprice(bss: Bss, day: int, amount: str) -> object:
    price = commands.PriceDefinition("monthly", "EUR", RecurringCharge(Decimal(amount)), utc(2026, 4, day))
    return run(bss, commands.ChangePrice("bia-100", price))


def test_two_price_changes_of_one_offering_at_once_end_as_one_after_the_other(any_bss: Bss) -> None:
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(10):
        day = 1 + 2 * n
        results = race(lambda day=day: reprice(bss, day, "50"), lambda day=day: reprice(bss, day + 1, "51"))
        errors = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(e, ConflictError) and "must start after version" in str(e) for e in errors), errors
        assert len(errors) <= 1
    with bss.uow() as uow:
        offering = uow.offerings.get("bia-100")
        assert offering is not None
        chain = sorted((p for p in offering.prices if p.chain == ("monthly", "EUR")), key=lambda p: p.version)
    assert [p.version for p in chain] == list(range(1, len(chain) + 1))
    assert all(a.valid_for.end == b.valid_for.start for a, b in itertools.pairwise(chain))
