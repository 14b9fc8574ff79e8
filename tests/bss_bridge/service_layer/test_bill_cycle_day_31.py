"""An account billed on the 31st (as the API now accepts): each month's period starts on its last
day when it is shorter, never carried on, and consecutive invoices tile January to May."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bss_bridge.bootstrap import Bss

from ..billing_world import account, bill, subscribe, utc
from ..conftest import Clock, KnownInventory, make_bss


@pytest.fixture
def bss(tmp_path: Path, inventory: KnownInventory, clock: Clock) -> Iterator[Bss]:
    made = make_bss(f"sqlite:///{tmp_path / 'bss.db'}", tmp_path, inventory, clock)
    yield made
    made.close()


def test_a_bill_cycle_day_of_31_bills_in_february_and_april_and_the_periods_tile(bss: Bss) -> None:
    acme = account(bss, zone="UTC", day=31)
    subscribe(bss, acme, utc(2026, 1, 5, 10))
    periods = []
    for month in (2, 3, 4, 5):
        report = bill(bss, utc(2026, month, 1), acme)
        periods += [str(b.period) for b in report.bills]
    assert periods == [
        "2025-12-31..2026-01-31",
        "2026-01-31..2026-02-28",
        "2026-02-28..2026-03-31",
        "2026-03-31..2026-04-30",
        "2026-04-30..2026-05-31",
    ]
