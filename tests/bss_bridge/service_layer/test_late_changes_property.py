"""Whatever a customer's history, recording it late costs the same as recording it in time.

Two accounts live the same generated history from January to April 2026: one or two products
(``bia-100``, ``bia-1000`` or burstable transit) activated in January, maybe a speed change (up to
``bia-1000``, down to ``bia-100``, or to ``bia-1000-metered``, whose usage price has another name
and unit and no SLA) or a termination, usage (volumes, or 5-minute rate samples billed at their
95th percentile), outages, maybe a tax rate change, and maybe a tax exemption (valid from an
instant, maybe to another, maybe shortened or withdrawn afterwards, recorded whenever, its window
reaching back before it is recorded or not); their bill cycle day (1, 15, 28 or 31) and time zone
are drawn too.
The first account's BSS learns each event when it happens. The second learns some of them late: an
order's completion, a usage record, an outage or an exemption reaches it on the 2nd of the next
month, after the bill run of the 1st (the bridge was down, the OSS slow, the certificate filed
late), and maybe its usage records come a second time (a retry). After the last run, by when
every late event has been billed, the two accounts must have been charged the same, in total and
month by month (each line's amount counted in the month its coverage starts), tax included. On
SQLite and PostgreSQL; the examples are derandomised, so CI runs the ones run here, and
``BSS_PROPERTY_EXAMPLES`` asks for more.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.party import TaxExemption
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.domain.window import Window

from ..billing_world import METERED, account, bill, charged, metered_offering, run, set_clock, utc, volume
from ..billing_world import rate as sample

D = Decimal
RUNS = [utc(2026, month, 1, 8) for month in (2, 3, 4, 5, 6)]  # April's late events are billed on 1 June
EXAMPLES = int(os.environ.get("BSS_PROPERTY_EXAMPLES", "100"))
TRANSIT = "transit-burst-100"
SAMPLES = 12  # 5-minute samples per rate record drawn (one hour)


@dataclass(frozen=True)
class Product:
    activated: datetime
    offering: str  # bia-100 or bia-1000 (volume usage, an SLA), or transit-burst-100 (5-minute rate samples)
    change: tuple[str, datetime] | None  # ("modify" | "delete", effective), after the activation
    change_late: bool
    usage: tuple[tuple[datetime, int, bool], ...]  # (at, GB or Mbit/s, late), maybe after a termination
    outages: tuple[tuple[datetime, int, bool], ...]  # (start, hours, late), before any termination
    faster: str = "bia-1000"  # what a "modify" changes it to (from bia-1000: a downgrade to bia-100)


@dataclass(frozen=True)
class Exemption:
    valid_for: Window
    recorded: datetime  # when the account in time learns of it
    late: bool
    revised: tuple[Window | None, datetime, bool] | None = None  # (shortened or withdrawn, recorded, late)


@dataclass(frozen=True)
class History:
    products: tuple[Product, ...]
    tax_change: tuple[datetime, int] | None  # (when, new rate): both accounts, when it happens
    zone: str = "Europe/Paris"
    day: int = 1  # the bill cycle day
    resent: bool = False  # the late account is sent its usage records a second time, a month later
    exemption: Exemption | None = None


def _instant(first: datetime, last: datetime) -> st.SearchStrategy[datetime]:
    """An instant on a day 2-27 of a month from ``first`` to ``last`` (every event is recorded, in
    time, before the run of the 1st, and late, on the 2nd after it)."""
    hours = int((last - first).total_seconds() // 3600)
    return (
        st.integers(0, hours)
        .map(lambda h: first + timedelta(hours=h))
        .filter(lambda t: 2 <= t.day <= 27 and t.hour <= 20)
    )


@st.composite
def products(draw: st.DrawFn) -> Product:
    activated = draw(_instant(utc(2026, 1, 2), utc(2026, 1, 27)))
    offering = draw(st.sampled_from(["bia-100", "bia-100", "bia-1000", TRANSIT]))
    change = None
    end = last = utc(2026, 4, 27, 20)
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["delete"] if offering == TRANSIT else ["modify", "delete"]))
        soon = draw(st.booleans())  # within a day of the activation, maybe the same local day
        at = draw(_instant(activated + timedelta(hours=2), min(end, activated + timedelta(days=1)) if soon else end))
        change = (kind, at)
        if kind == "delete":
            end = at - timedelta(hours=2)
    # usage may follow a termination: refused at guiding when it is known, taken back once it is
    usage = draw(st.lists(st.tuples(_instant(activated + timedelta(hours=1), last), st.integers(1, 900), st.booleans()),
                          max_size=4))
    outages = []
    if end - activated > timedelta(days=3):
        outages = draw(st.lists(st.tuples(_instant(activated + timedelta(hours=1), end - timedelta(hours=30)),
                                          st.integers(1, 30), st.booleans()), max_size=2))
    faster = draw(st.sampled_from(["bia-100" if offering == "bia-1000" else "bia-1000", METERED]))
    return Product(activated, offering, change, draw(st.booleans()), tuple(usage), tuple(outages), faster)


@st.composite
def exemptions(draw: st.DrawFn) -> Exemption:
    last = utc(2026, 4, 27, 20)
    start = draw(_instant(utc(2025, 12, 2), last - timedelta(days=2)))
    end = draw(st.none() | _instant(start + timedelta(days=1), last))
    recorded = draw(_instant(utc(2026, 1, 2), last - timedelta(days=1)))
    revised = None
    if draw(st.booleans()):
        shorter = draw(st.none() | _instant(start + timedelta(hours=1), end or last))  # None: withdrawn
        window = None if shorter is None else Window(start, shorter)
        revised = (window, draw(_instant(recorded, last)), draw(st.booleans()))
    return Exemption(Window(start, end), recorded, draw(st.booleans()), revised)


@st.composite
def histories(draw: st.DrawFn) -> History:
    tax = None
    if draw(st.booleans()):
        tax = (utc(2026, draw(st.integers(2, 4)), 2, 12), draw(st.sampled_from([0, 10, 21])))
    return History(
        tuple(draw(st.lists(products(), min_size=1, max_size=2))),
        tax,
        draw(st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"])),
        draw(st.sampled_from([1, 15, 28, 31])),
        draw(st.booleans()),
        draw(st.none() | exemptions()),
    )


def _late(at: datetime) -> datetime:
    """When the account that learns late learns of an event at ``at``: the 2nd of the next month."""
    return utc(at.year + at.month // 12, at.month % 12 + 1, 2, 9)


Step = tuple[datetime, int, Callable[[], Any]]  # (when, order among equal instants, what)


def _live(bss: Bss, history: History) -> tuple[str, str, list[Any]]:
    """Both accounts through the history, the runs among it; their ids and the runs' reports."""
    metered_offering(bss)
    accounts = tuple(account(bss, history.zone, history.day, name=name) for name in ("In Time", "Late"))
    reports: list[Any] = []
    steps: list[Step] = [(at, 0, lambda at=at: reports.append(bill(bss, at, *accounts))) for at in RUNS]
    customers = {}
    for a in accounts:
        with bss.uow() as uow:
            customers[a] = uow.accounts.get(a).customer_id  # type: ignore[union-attr]
    products: dict[tuple[str, int], str] = {}
    orders: dict[tuple[str, int], str] = {}

    def place(a: str, n: int, item: ItemRequest) -> None:
        placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customers[a], a, (item,))))
        run(bss, commands.StartProductOrder(placed.id))
        orders[a, n] = placed.id
        if item.action == "add":
            products[a, n] = placed.items[0].subscription_id

    def complete(a: str, n: int, at: datetime) -> None:
        run(bss, commands.CompleteOrderItem(orders[a, n], "1", at))

    for late, a in enumerate(accounts):
        for n, p in enumerate(history.products):
            transit = (("accessDevice", "pe1"), ("customerAsn", 65001))
            chars = transit if p.offering == TRANSIT else (("site", "customer1"),)
            add = ItemRequest("1", "add", p.offering, characteristics=chars)
            steps.append((p.activated - timedelta(hours=1), 1, lambda a=a, n=n, add=add: place(a, n, add)))
            steps.append((p.activated, 2, lambda a=a, n=n, at=p.activated: complete(a, n, at)))
            if p.change is not None:
                kind, at = p.change
                offering = p.faster if kind == "modify" else None

                def order(a: str = a, n: int = n, kind: str = kind, offering: str | None = offering) -> None:
                    place(a, n, ItemRequest("1", kind, offering, product_id=products[a, n]))

                steps.append((at - timedelta(hours=1), 1, order))
                done = _late(at) if late and p.change_late else at
                steps.append((done, 2, lambda a=a, n=n, at=at: complete(a, n, at)))
            for k, (at, size, usage_late) in enumerate(p.usage):
                record = f"{a}-{n}-u{k}"

                def use(a: str = a, n: int = n, record: str = record, at: datetime = at, size: int = size,
                        transit: bool = p.offering == TRANSIT) -> None:
                    product = products[a, n]
                    if transit:  # an hour of samples around ``size`` Mbit/s
                        samples = tuple(sample(f"{record}-{i}", product, at + timedelta(minutes=5 * i),
                                             str(size * (i % 4 + 1) // 3)) for i in range(SAMPLES))
                    else:
                        samples = (volume(record, product, at, size),)
                    run(bss, bc.ImportUsage(samples))

                steps.append((_late(at) if late and usage_late else at + timedelta(hours=1), 3, use))
                if late and history.resent:  # the same records again (a retry): counted once
                    steps.append((_late(at) + timedelta(hours=2), 3, use))
            for k, (start, hours, outage_late) in enumerate(p.outages):
                ticket, end = f"{a}-{n}-o{k}", start + timedelta(hours=hours)

                def down(a: str = a, n: int = n, ticket: str = ticket, start: datetime = start,
                         end: datetime = end) -> None:
                    run(bss, bc.RecordOutage(ticket, products[a, n], start, end, "fibre cut"))

                steps.append((_late(end) if late and outage_late else end + timedelta(minutes=30), 3, down))
        if history.tax_change is not None:
            at, rate = history.tax_change
            steps.append((at, 0, lambda a=a, rate=rate: run(
                bss, commands.UpdateBillingAccount(a, terms={"tax_rate_pct": D(rate)}))))
        if (e := history.exemption) is not None:

            def exempt(a: str = a, window: Window | None = e.valid_for) -> None:
                exemption = None if window is None else TaxExemption("FR", window, "EX-1", "export")
                run(bss, commands.UpdateBillingAccount(a, terms={"tax_exemption": exemption}))

            granted = _late(e.recorded) if late and e.late else e.recorded
            steps.append((granted, 0, exempt))
            if e.revised is not None:
                window, at, revised_late = e.revised
                at = max(_late(at) if late and revised_late else at, granted + timedelta(hours=1))
                steps.append((at, 0, lambda a=a, window=window: exempt(a, window)))
    for at, _, step in sorted(steps, key=lambda s: (s[0], s[1])):
        set_clock(bss, at)
        step()
    return accounts[0], accounts[1], reports


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(history=histories())
def test_a_history_recorded_late_is_charged_as_recorded_in_time(any_bss: Bss, history: History) -> None:
    in_time, late, reports = _live(any_bss, history)
    assert charged(reports, late) == charged(reports, in_time)


def test_the_late_account_of_a_history_is_billed_late(bss: Bss) -> None:
    """Not vacuous: a fixed history's late account gets, on a later invoice, the credit of a
    termination, the adjustment of usage and the SLA credit its in-time twin got first."""
    history = History(
        (
            Product(
                utc(2026, 1, 5, 10),
                "bia-100",
                ("delete", utc(2026, 2, 20, 9)),
                True,
                ((utc(2026, 1, 10, 9), 900, True), (utc(2026, 1, 12, 9), 300, True)),
                ((utc(2026, 1, 20, 8), 30, True),),
            ),
            Product(utc(2026, 1, 6, 10), TRANSIT, None, False, ((utc(2026, 1, 10, 9), 600, True),), ()),
        ),
        None,
    )
    in_time, late, reports = _live(bss, history)
    runs: defaultdict[str, set[date]] = defaultdict(set)  # per account, the runs that corrected something
    kinds: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
    for report in reports:
        for b in report.bills:
            for x in b.draft.lines if b.draft is not None else ():
                if x.kind.value in ("recurringCredit", "usageAdjustment", "slaCredit"):
                    runs[b.account_id].add(report.as_of.date())
                    kinds[b.account_id].add((x.kind.value, x.price_name))
    assert kinds[late] == {
        ("recurringCredit", "monthly"),
        ("usageAdjustment", "traffic"),
        ("usageAdjustment", "burst"),  # the 95th percentile of samples that came late
        ("slaCredit", ""),
    }
    assert min(runs[late]) > min(runs[in_time])  # learnt late, corrected a run later
    assert charged(reports, late) == charged(reports, in_time)
