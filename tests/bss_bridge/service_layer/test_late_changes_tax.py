"""A tax exemption recorded after the bill runs of the periods it covers (or shortened, or removed,
after them): the next invoice corrects the tax of the lines already issued, as if the exemption had
been recorded in time, on SQLite and a real PostgreSQL. As in ``test_late_changes``, each case
bills two accounts alike but for when the exemption was recorded, and compares what each was
charged over the runs, month by month, tax included.

Both accounts (Europe/Paris, bill cycle day 1, 20 % VAT) hold a bia-100 from 5 January (150.00
setup, 79.00 a month at 50 % off for three months) and use 1,100 GB in January (100 GB above the
allowance: 5.00, billed on 1 February). The run of 1 February bills January and February; the
account in time learns the new exemption on 4 January, the late one on 2 February."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.domain.party import TaxExemption
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.domain.window import Window

from ..billing_world import account, bill, charged, run, set_clock, subscribe, utc, volume
from .test_late_changes import GONE, _complete, _order

D = Decimal
PARIS = timedelta(hours=1)  # Europe/Paris in winter
JANUARY, FEBRUARY, MARCH = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def _paris(month: int, day: int) -> datetime:
    """Local midnight in Paris, as UTC."""
    return utc(2026, month, day) - PARIS


def _exempt(bss: Bss, account_id: str, window: Window | None, at: datetime) -> None:
    """The account's exemption is now ``window`` (None: it has none), as the BSS learns at ``at``."""
    set_clock(bss, at)
    exemption = None if window is None else TaxExemption("FR", window, "EX-1", "export")
    run(bss, commands.UpdateBillingAccount(account_id, terms={"tax_exemption": exemption}))


def _lines(report: Any, account_id: str) -> list[Any]:
    return [line for b in report.bills if b.account_id == account_id and b.draft for line in b.draft.lines]


def _tax_only(report: Any, account_id: str) -> dict[date, Decimal]:
    """Per month of coverage, the tax of the report's lines that bill tax alone (no amount)."""
    found: dict[date, Decimal] = defaultdict(Decimal)
    for line in _lines(report, account_id):
        if line.tax and not line.amount:
            found[line.coverage.start.replace(day=1)] += line.tax
    return dict(found)


def _twins(bss: Bss, before: Window | None) -> tuple[str, str, dict[str, str]]:
    """The two accounts, each holding ``before`` from the start, their bia-100 and January's usage."""
    in_time, late = account(bss), account(bss, name="Globex")
    for a in (in_time, late):
        _exempt(bss, a, before, utc(2026, 1, 1, 9))
    subs = {a: subscribe(bss, a, utc(2026, 1, 5, 10)) for a in (in_time, late)}
    set_clock(bss, utc(2026, 1, 20, 9))
    run(bss, bc.ImportUsage(tuple(volume(f"u-{a}", subs[a], utc(2026, 1, 10, 9), 1100) for a in subs)))
    return in_time, late, subs


FROM_JANUARY = Window(_paris(1, 1))
CASES = {
    # name: (exemption before, exemption after, the months whose tax the late account's March invoice corrects)
    "granted, from before January": (None, FROM_JANUARY, {JANUARY: -1, FEBRUARY: -1}),
    "granted from 15 January (a period is exempt when its start is)": (None, Window(_paris(1, 15)), {FEBRUARY: -1}),
    "shortened to January": (FROM_JANUARY, Window(_paris(1, 1), _paris(2, 1)), {FEBRUARY: 1}),
    "removed": (FROM_JANUARY, None, {JANUARY: 1, FEBRUARY: 1}),
    "moved to start in February": (FROM_JANUARY, Window(_paris(2, 1)), {JANUARY: 1}),
    "shortened to end after the periods billed": (FROM_JANUARY, Window(_paris(1, 1), _paris(4, 1)), {}),
}


@pytest.mark.parametrize("case", CASES)
def test_an_exemption_changed_after_the_runs_of_its_periods_corrects_their_tax_on_the_next_invoice(
    any_bss: Bss, case: str
) -> None:
    bss = any_bss
    before, after, corrected = CASES[case]
    in_time, late, _ = _twins(bss, before)
    _exempt(bss, in_time, after, utc(2026, 1, 4, 9))
    february = bill(bss, utc(2026, 2, 1, 8))
    _exempt(bss, late, after, utc(2026, 2, 2, 9))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert charged([february, march], late) == charged([february, march], in_time)
    assert _tax_only(march, in_time) == {}
    tax_only = _tax_only(march, late)
    assert {month: (tax > 0) - (tax < 0) for month, tax in tax_only.items()} == corrected
    for month, tax in tax_only.items():  # exactly what the month's lines were charged, or are now owed
        billed = sum((x.tax for x in _lines(february, late) if x.coverage.start.replace(day=1) == month), D(0))
        owed = sum((x.tax for x in _lines(february, in_time) if x.coverage.start.replace(day=1) == month), D(0))
        assert tax == owed - billed


def test_a_tax_correction_is_made_once_and_previewed_as_made(any_bss: Bss) -> None:
    """The preview of 1 March shows the corrections the run then makes; the run repeated, and the
    next month's, make none again."""
    bss = any_bss
    in_time, late, _ = _twins(bss, None)
    _exempt(bss, in_time, FROM_JANUARY, utc(2026, 1, 4, 9))
    february = bill(bss, utc(2026, 2, 1, 8))
    _exempt(bss, late, FROM_JANUARY, utc(2026, 2, 2, 9))
    preview = bill(bss, utc(2026, 3, 1, 8), preview=True)
    march = bill(bss, utc(2026, 3, 1, 8))
    again = bill(bss, utc(2026, 3, 1, 9))
    april = bill(bss, utc(2026, 4, 1, 8))

    assert _lines(preview, late) == _lines(march, late) and _tax_only(march, late)
    assert again.bills == []
    assert _tax_only(april, late) == {}
    runs = [february, march, again, april]
    assert charged(runs, late) == charged(runs, in_time)
    assert charged(runs, late)[1][JANUARY][1] == D(0)  # January's tax all given back


def test_an_exemption_and_a_termination_recorded_late_together_are_corrected_together(any_bss: Bss) -> None:
    """The late account learns on 2 February both its exemption from 1 January and its product's
    termination on 25 January (ordered on 20 January): the credit of the days after it gives back
    no tax (none is owed on them once exempt), the corrections the rest."""
    bss = any_bss
    in_time, late, subs = _twins(bss, None)
    orders = {a: _order(bss, a, utc(2026, 1, 20, 9), ItemRequest("1", "delete", None, subs[a])) for a in subs}
    _exempt(bss, in_time, FROM_JANUARY, utc(2026, 1, 4, 9))
    _complete(bss, orders[in_time], GONE, recorded=utc(2026, 1, 26, 9))
    february = bill(bss, utc(2026, 2, 1, 8))
    _exempt(bss, late, FROM_JANUARY, utc(2026, 2, 2, 9))
    _complete(bss, orders[late], GONE, recorded=utc(2026, 2, 2, 10))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert charged([february, march], late) == charged([february, march], in_time)
    assert sum((x.tax for x in _lines(february, late) + _lines(march, late)), D(0)) == D(0)
    credits = [x for x in _lines(march, late) if x.kind is LineKind.RECURRING_CREDIT and x.amount]
    assert credits and {x.tax for x in credits} == {D("0.00")}


def test_a_period_no_longer_exempt_is_taxed_at_the_rate_of_when_it_was_billed(any_bss: Bss) -> None:
    """Both accounts go from 20 % to 21 % on 2 February. The late account learns then that its
    exemption was removed: January and February, billed on 1 February, owe 20 %, as the account
    in time was charged."""
    bss = any_bss
    in_time, late, _ = _twins(bss, FROM_JANUARY)
    _exempt(bss, in_time, None, utc(2026, 1, 4, 9))
    february = bill(bss, utc(2026, 2, 1, 8))
    set_clock(bss, utc(2026, 2, 2, 8))
    for a in (in_time, late):
        run(bss, commands.UpdateBillingAccount(a, terms={"tax_rate_pct": D(21)}))
    _exempt(bss, late, None, utc(2026, 2, 2, 9))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert charged([february, march], late) == charged([february, march], in_time)
    assert {x.tax_rate for x in _lines(march, late) if x.tax and not x.amount} == {D(20)}
