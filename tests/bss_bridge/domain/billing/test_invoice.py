"""Invoice assembly, table by table: exact lines for the pitfalls other billing systems hit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.billing.invoice import (
    Account,
    Adjustment,
    AvailabilityReport,
    BillingInput,
    InvoiceDraft,
    PeriodTax,
    UnbilledUsage,
    assemble_invoice,
)
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, TaxTerms
from bss_bridge.domain.billing.sla import Outage
from bss_bridge.domain.billing.subscriptions import PriceChange, PriceSnapshot, Subscription
from bss_bridge.domain.billing.usage import (
    RateSample,
    UsageKey,
    UsageRecord,
    UsageTotal,
    aggregate_usage,
    group_samples,
)
from bss_bridge.domain.pricing import (
    BurstableUsage,
    CreditTier,
    DiscountKind,
    OneTimeCharge,
    PerUnitUsage,
    Price,
    Promotion,
    RecurringCharge,
    SlaTerms,
    Tier,
    VolumeUsage,
)

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
SLA = SlaTerms(D("99.9"), (CreditTier(D("99.9"), D(10)), CreditTier(D(99), D(25)), CreditTier(D(95), D(100))))


def internet(speed: str, monthly: str, unit_price: str, included: int) -> PriceSnapshot:
    return PriceSnapshot(
        f"Business Internet {speed}",
        (
            Price("installation", "EUR", OneTimeCharge(D("150.00"))),
            Price("monthly", "EUR", RecurringCharge(D(monthly))),
            Price("traffic", "EUR", PerUnitUsage("GB", D(unit_price), included=D(included))),
        ),
        sla=SLA,
    )


I100 = internet("100M", "62.00", "0.05", 500)
I200 = internet("200M", "93.00", "0.04", 1000)
TRANSIT = PriceSnapshot(
    "IP Transit 100M burstable",
    (
        Price("commitment", "EUR", RecurringCharge(D("310.00"))),
        Price("burst", "EUR", BurstableUsage(D(100), D("2.50"))),
    ),
)
ACME = Account("acme", "EUR", BillCycle(1, "Europe/Paris"), TaxTerms(D(20)))


def paris(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def period(account: Account, day: date) -> BillingPeriod:
    return account.cycle.period_containing(day)


def rows(draft: InvoiceDraft) -> list[tuple[str, str, str, str, str]]:
    return [
        (line.kind.value, str(line.coverage), str(line.quantity), str(line.amount), str(line.tax))
        for line in draft.lines
    ]


def invoice(account: Account, month: date, *subs: Subscription, **given: object) -> InvoiceDraft:
    return assemble_invoice(BillingInput(account, period(account, month), subs, **given))  # type: ignore[arg-type]


S1 = Subscription("s1", paris(1, 15, 10), I100)
JAN_USAGE = UsageTotal(UsageKey("s1", "GB", date(2024, 1, 1)), D(120), 40)


def first_invoice() -> InvoiceDraft:
    return invoice(ACME, date(2024, 2, 1), S1, usage=(JAN_USAGE,))


def test_the_first_invoice_charges_setup_the_partial_month_and_the_next_in_advance() -> None:
    draft = first_invoice()
    assert rows(draft) == [
        ("oneTimeCharge", "2024-01-15..2024-01-15", "1", "150.00", "30.00"),
        ("recurringCharge", "2024-01-15..2024-02-01", "1", "34.00", "6.80"),  # 62 * 17/31
        ("usageCharge", "2024-01-01..2024-02-01", "120", "0.00", "0.00"),  # within the 500 GB allowance
        ("recurringCharge", "2024-02-01..2024-03-01", "1", "62.00", "12.40"),
    ]
    assert (draft.totals.subtotal, draft.totals.tax, draft.totals.total) == (D("246.00"), D("49.20"), D("295.20"))
    assert draft.usage_billed == (JAN_USAGE.key,)
    assert draft.lines[2].description == (
        "Business Internet 100M, traffic 2024-01-01 – 2024-01-31: 120 of 500 GB included"
    )


def test_an_upgrade_usage_above_the_allowance_and_an_sla_credit_on_the_next_invoice() -> None:
    upgraded = Subscription("s1", S1.activated_at, I100, (PriceChange(paris(2, 20, 9), I200),))
    draft = invoice(
        ACME,
        date(2024, 3, 1),
        upgraded,
        usage=(UsageTotal(UsageKey("s1", "GB", date(2024, 2, 1)), D(1100)),),
        availability=(AvailabilityReport("s1", date(2024, 2, 1), (Outage(paris(2, 10, 10), paris(2, 10, 12)),)),),
        billed=first_invoice().lines,
    )
    assert rows(draft) == [
        ("recurringCredit", "2024-02-20..2024-03-01", "-1", "-21.38", "-4.28"),  # 62 * 10/29 unused
        ("recurringCharge", "2024-02-20..2024-03-01", "1", "32.07", "6.41"),  # 93 * 10/29
        ("usageCharge", "2024-02-01..2024-03-01", "1000", "0.00", "0.00"),  # the 200M terms: 1000 GB included
        ("usageCharge", "2024-02-01..2024-03-01", "100", "4.00", "0.80"),
        ("slaCredit", "2024-02-01..2024-03-01", "10", "-7.27", "-1.45"),  # 10 % of 62*19/29 + 93*10/29
        ("recurringCharge", "2024-03-01..2024-04-01", "1", "93.00", "18.60"),
    ]
    sla = draft.lines[4]
    assert "availability 99.712 %" in sla.description and "target 99.9 %" in sla.description
    assert (draft.totals.subtotal, draft.totals.tax, draft.totals.total) == (D("100.42"), D("20.08"), D("120.50"))


def test_late_usage_becomes_an_adjustment_on_a_later_invoice() -> None:
    first = first_invoice()
    late = UsageTotal(UsageKey("s1", "GB", date(2024, 1, 1)), D(530), 52)  # January's complete total now
    march = invoice(ACME, date(2024, 3, 1), S1, billed=first.lines)
    draft = invoice(
        ACME, date(2024, 4, 1), S1, usage=(late,), billed=first.lines + march.lines, history_from=date(2024, 1, 1)
    )
    assert rows(draft) == [
        ("usageAdjustment", "2024-01-01..2024-02-01", "380", "0.00", "0.00"),
        ("usageAdjustment", "2024-01-01..2024-02-01", "30", "1.50", "0.30"),  # January's terms: 0.05 a GB
        ("recurringCharge", "2024-04-01..2024-05-01", "1", "62.00", "12.40"),
    ]
    with pytest.raises(InvalidBillingInputError, match="before the history window"):
        invoice(ACME, date(2024, 4, 1), S1, usage=(late,), billed=first.lines + march.lines)


def test_0_067_times_55_is_one_line_of_3_69() -> None:
    # Kill Bill #1124: the unrounded 3.685 must never reach a sanity check or a total.
    metered = PriceSnapshot("Metered", (Price("traffic", "EUR", PerUnitUsage("GB", D("0.067"))),))
    sub = Subscription("m", paris(12, 1, year=2023), metered)
    usage = (UsageTotal(UsageKey("m", "GB", date(2024, 1, 1)), D(55)),)
    draft = invoice(ACME, date(2024, 2, 1), sub, usage=usage)
    assert rows(draft) == [("usageCharge", "2024-01-01..2024-02-01", "55", "3.69", "0.74")]
    assert draft.totals.total == D("4.43")
    # Rating again compares round(3.685) with the 3.69 billed: nothing, not round(-0.005) = -0.01.
    assert invoice(ACME, date(2024, 2, 1), sub, usage=usage, billed=draft.lines).lines == ()
    late = (UsageTotal(UsageKey("m", "GB", date(2024, 1, 1)), D(110)),)  # 7.37 in all: 3.68 more
    assert rows(
        invoice(ACME, date(2024, 3, 1), sub, usage=late, billed=draft.lines, history_from=date(2024, 1, 1))
    ) == [("usageAdjustment", "2024-01-01..2024-02-01", "55", "3.68", "0.73")]  # 20 % of 7.37 is 1.47: 0.74 billed


def test_burstable_bills_the_95th_percentile_above_the_commitment() -> None:
    sub = Subscription("t", paris(1, 1), TRANSIT)
    january = invoice(ACME, date(2024, 1, 1), sub)
    slots = 31 * 288  # 8928 five-minute samples in January: the top 446 are free
    rates = [D(900)] * 446 + [D(180)] + [D(90)] * (slots - 447)
    samples = [RateSample("t", paris(1, 1) + timedelta(minutes=5 * i), rate, D(50)) for i, rate in enumerate(rates)]
    (january_samples,) = group_samples(samples, ACME.cycle)
    draft = invoice(ACME, date(2024, 2, 1), sub, samples=(january_samples,), billed=january.lines)
    assert rows(draft) == [
        ("usageCharge", "2024-01-01..2024-02-01", "80", "200.00", "40.00"),
        ("recurringCharge", "2024-02-01..2024-03-01", "1", "310.00", "62.00"),
    ]
    assert "95th percentile 180 Mbit/s" in draft.lines[0].description
    again = invoice(ACME, date(2024, 2, 1), sub, samples=(january_samples,), billed=january.lines + draft.lines)
    assert again.lines == ()


def test_late_usage_that_moves_a_volume_total_to_the_next_tier_reprices_every_unit() -> None:
    tiers = (Tier(D(100), D("0.10")), Tier(None, D("0.05"), flat_fee=D(2)))
    volume = PriceSnapshot("Volume", (Price("traffic", "EUR", VolumeUsage("GB", tiers)),))
    sub = Subscription("v", paris(12, 1, year=2023), volume)
    key = UsageKey("v", "GB", date(2024, 1, 1))
    february = invoice(ACME, date(2024, 2, 1), sub, usage=(UsageTotal(key, D(100)),))
    assert rows(february) == [("usageCharge", "2024-01-01..2024-02-01", "100", "10.00", "2.00")]
    march = invoice(
        ACME,
        date(2024, 3, 1),
        sub,
        usage=(UsageTotal(key, D(101)),),
        billed=february.lines,
        history_from=date(2024, 1, 1),
    )
    assert rows(march) == [
        ("usageAdjustment", "2024-01-01..2024-02-01", "101", "7.05", "1.41"),  # all 101 at 0.05, plus 2 flat
        ("usageAdjustment", "2024-01-01..2024-02-01", "-100", "-10.00", "-2.00"),  # tier 1 given back
    ]
    total = sum((line.amount for line in february.lines + march.lines), D(0))
    assert total == D("7.05")


def test_burstable_samples_after_termination_are_not_rated() -> None:
    ended = Subscription("t", paris(1, 1), TRANSIT, terminated_at=paris(1, 16, 12))
    burst = [RateSample("t", paris(1, 16) + timedelta(minutes=5 * i), D(1000), D(0)) for i in range(288)]
    calm = [RateSample("t", paris(1, 1) + timedelta(minutes=5 * i), D(100), D(0)) for i in range(15 * 288)]
    (samples,) = group_samples([*calm, *burst], ACME.cycle)
    january = invoice(ACME, date(2024, 1, 1), Subscription("t", paris(1, 1), TRANSIT))
    draft = invoice(ACME, date(2024, 2, 1), ended, samples=(samples,), billed=january.lines)
    # 288 bursts among 4,608 samples would exceed the 230 dropped; from the 16th on they do not count.
    assert rows(draft) == [("recurringCredit", "2024-01-16..2024-02-01", "-1", "-160.00", "-32.00")]


def test_a_same_day_upgrade_from_a_free_plan_bills_once() -> None:
    free = PriceSnapshot("Trial", (Price("monthly", "EUR", RecurringCharge(D(0))),))
    sub = Subscription("f", paris(1, 10, 9), free, (PriceChange(paris(1, 10, 16), I100),))
    assert rows(invoice(ACME, date(2024, 2, 1), sub)) == [
        ("oneTimeCharge", "2024-01-10..2024-01-10", "1", "150.00", "30.00"),  # the 100M's, set by day's end
        ("recurringCharge", "2024-01-10..2024-02-01", "1", "44.00", "8.80"),  # 62 * 22/31, nothing for the trial
        ("recurringCharge", "2024-02-01..2024-03-01", "1", "62.00", "12.40"),
    ]


def test_bill_cycle_day_31_bills_february_and_its_leap_day() -> None:
    account = Account("a31", "EUR", BillCycle(31, "UTC"))
    sub = Subscription("s", datetime(2024, 2, 15, 12, tzinfo=UTC), I100)
    draft = invoice(account, date(2024, 2, 29), sub)
    assert draft.period.start == date(2024, 2, 29) and draft.period.end == date(2024, 3, 31)
    assert rows(draft) == [
        ("oneTimeCharge", "2024-02-15..2024-02-15", "1", "150.00", "0.00"),
        ("recurringCharge", "2024-02-15..2024-02-29", "1", "29.93", "0.00"),  # 62 * 14/29
        ("recurringCharge", "2024-02-29..2024-03-31", "1", "62.00", "0.00"),
    ]


def test_usage_near_a_dst_change_belongs_to_the_local_month() -> None:
    account = Account("ny", "USD", BillCycle(1, "America/New_York"))
    metered = PriceSnapshot("Metered", (Price("traffic", "USD", PerUnitUsage("GB", D(1))),))
    sub = Subscription("m", datetime(2024, 2, 1, 5, tzinfo=UTC), metered)
    records = [
        UsageRecord("a", "m", "GB", datetime(2024, 4, 1, 3, 30, tzinfo=UTC), D(7)),  # 31 March 23:30 EDT
        UsageRecord("b", "m", "GB", datetime(2024, 4, 1, 4, 0, tzinfo=UTC), D(100)),  # 1 April 00:00 EDT
        UsageRecord("c", "m", "GB", datetime(2024, 3, 10, 7, 30, tzinfo=UTC), D(2)),  # 03:30 EDT, after the jump
    ]
    totals = tuple(aggregate_usage(records, account.cycle))
    draft = invoice(account, date(2024, 4, 1), sub, usage=totals)
    assert rows(draft) == [("usageCharge", "2024-03-01..2024-04-01", "9", "9.00", "0.00")]
    assert draft.lines[0].coverage.ends_at == datetime(2024, 4, 1, 4, tzinfo=UTC)
    assert draft.usage_deferred == (UsageKey("m", "GB", date(2024, 4, 1)),)


def test_termination_credits_the_rest_and_later_usage_is_reported_not_billed() -> None:
    ended = Subscription("s1", S1.activated_at, I100, terminated_at=paris(2, 25, 18))
    usage = (
        UsageTotal(UsageKey("s1", "GB", date(2024, 2, 1)), D(10)),
        UsageTotal(UsageKey("ghost", "GB", date(2024, 2, 1)), D(3)),
    )
    draft = invoice(ACME, date(2024, 3, 1), ended, usage=usage, billed=first_invoice().lines)
    assert rows(draft) == [
        ("recurringCredit", "2024-02-25..2024-03-01", "-1", "-10.69", "-2.14"),  # 62 * 5/29
        ("usageCharge", "2024-02-01..2024-03-01", "10", "0.00", "0.00"),
    ]
    assert draft.usage_unbilled == (UnbilledUsage(UsageKey("ghost", "GB", date(2024, 2, 1)), "unknown subscription"),)
    april = invoice(
        ACME,
        date(2024, 4, 1),
        ended,
        usage=(UsageTotal(UsageKey("s1", "GB", date(2024, 3, 1)), D(1)),),
        billed=first_invoice().lines + draft.lines,
    )
    assert april.lines == ()
    assert april.usage_unbilled == (
        UnbilledUsage(UsageKey("s1", "GB", date(2024, 3, 1)), "the subscription was not active in that period"),
    )


@pytest.mark.parametrize(
    ("terms", "march_tax"),
    [
        (TaxTerms(D(21)), "19.53"),  # the rate went up on 1 March
        (TaxTerms(exemption="exempt: certificate EX-1 from 1 March"), "0.00"),
    ],
)
def test_a_correction_of_an_invoiced_period_is_taxed_as_that_period_was(terms: TaxTerms, march_tax: str) -> None:
    """February was invoiced at 20 %; the account's tax changed for March. February's termination
    credit gives back the 20 % it charged, February's usage (a February supply) is taxed at 20 %,
    and March is billed on the new terms."""
    s2 = Subscription("s2", paris(1, 3), I200)
    february = invoice(ACME, date(2024, 2, 1), S1, s2, usage=(JAN_USAGE,))
    ended = Subscription("s1", S1.activated_at, I100, terminated_at=paris(2, 25, 18))
    usage = (UsageTotal(UsageKey("s1", "GB", date(2024, 2, 1)), D(530)),)
    march = invoice(replace(ACME, tax=terms), date(2024, 3, 1), ended, s2, usage=usage, billed=february.lines)
    assert rows(march) == [
        ("recurringCredit", "2024-02-25..2024-03-01", "-1", "-10.69", "-2.14"),  # 20 % of 62 * 5/29
        ("usageCharge", "2024-02-01..2024-03-01", "500", "0.00", "0.00"),
        ("usageCharge", "2024-02-01..2024-03-01", "30", "1.50", "0.30"),  # 20 %, not 21 % (0.32)
        ("recurringCharge", "2024-03-01..2024-04-01", "1", "93.00", march_tax),
    ]
    assert {line.tax_rate for line in march.lines[:3]} == {D(20)}
    assert march.tax_exemption == terms.exemption
    feb_s1 = [x for x in february.lines if x.subscription_id == "s1" and x.coverage.start == date(2024, 2, 1)]
    assert [(x.amount, x.tax) for x in feb_s1] == [(D("62.00"), D("12.40"))]  # what the credit reverses 5/29 of


EXEMPT = TaxTerms(exemption="exempt (FR): certificate EX-1")


def test_an_exemption_learnt_after_its_periods_were_invoiced_gives_back_each_line_s_tax() -> None:
    """January and February were invoiced at 20 % on 1 February; an exemption covering them is
    learnt later, with s1's termination on 25 February. March's invoice gives back each line's tax
    by a line of no amount (the 0.00 usage line has none to give back), and the termination's credit
    gives back no tax: the two months are charged none. Given again with what it made, it makes
    nothing (``changed`` still set: there is nothing left to correct)."""
    february = invoice(ACME, date(2024, 2, 1), S1, usage=(JAN_USAGE,))
    ended = Subscription("s1", S1.activated_at, I100, terminated_at=paris(2, 25, 18))
    now = (PeriodTax(date(2024, 1, 1), EXEMPT, changed=True), PeriodTax(date(2024, 2, 1), EXEMPT, changed=True))
    given = {"history_from": date(2024, 1, 1), "period_tax": now}
    march = invoice(replace(ACME, tax=EXEMPT), date(2024, 3, 1), ended, billed=february.lines, **given)
    assert rows(march) == [
        ("recurringCredit", "2024-02-25..2024-03-01", "-1", "-10.69", "0.00"),
        ("oneTimeCharge", "2024-01-15..2024-01-15", "0", "0.00", "-30.00"),
        ("recurringCharge", "2024-01-15..2024-02-01", "0", "0.00", "-6.80"),
        ("recurringCharge", "2024-02-01..2024-03-01", "0", "0.00", "-12.40"),
    ]
    corrections = march.lines[1:]
    assert {(x.tax_rate, x.tmf_type) for x in corrections} == {(D(20), "appliedBillingCredit")}
    assert corrections[0].description == "Business Internet 100M, installation (2024-01-15): tax corrected " + (
        "(exempt (FR): certificate EX-1)"
    )
    assert sum((x.tax for x in february.lines + march.lines), D(0)) == D(0)
    again = invoice(replace(ACME, tax=EXEMPT), date(2024, 3, 1), ended, billed=february.lines + march.lines, **given)
    assert again.lines == ()


def test_periods_no_longer_exempt_are_charged_each_line_s_share_of_its_group_s_tax() -> None:
    """January to March invoiced exempt (February's credit of a termination recorded late
    included); the exemption is withdrawn. April's invoice charges each line its share of its
    group's tax at 20 %, rounded once as the group's: February's 62.00 and -10.69 owe
    round(51.31 x 20 %) = 10.26, as 12.40 and -2.14, as billed in time."""
    free = replace(ACME, tax=EXEMPT)
    january_on = {"history_from": date(2024, 1, 1)}
    february = invoice(free, date(2024, 2, 1), S1, usage=(JAN_USAGE,))
    ended = Subscription("s1", S1.activated_at, I100, terminated_at=paris(2, 25, 18))
    march = invoice(free, date(2024, 3, 1), ended, billed=february.lines, **january_on)
    starts = (date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1))
    owed = tuple(PeriodTax(start, TaxTerms(D(20)), changed=True) for start in starts)
    billed = february.lines + march.lines
    april = invoice(ACME, date(2024, 4, 1), ended, billed=billed, period_tax=owed, **january_on)
    assert rows(april) == [
        ("oneTimeCharge", "2024-01-15..2024-01-15", "0", "0.00", "30.00"),
        ("recurringCharge", "2024-01-15..2024-02-01", "0", "0.00", "6.80"),
        ("recurringCharge", "2024-02-01..2024-03-01", "0", "0.00", "12.40"),
        ("recurringCredit", "2024-02-25..2024-03-01", "0", "0.00", "-2.14"),
    ]
    assert "tax corrected (no longer exempt, 20 %)" in april.lines[0].description
    in_time = invoice(ACME, date(2024, 2, 1), S1, usage=(JAN_USAGE,)).lines
    in_time += invoice(ACME, date(2024, 3, 1), ended, billed=in_time, **january_on).lines
    assert sum((x.tax for x in billed + april.lines), D(0)) == sum((x.tax for x in in_time), D(0))
    again = invoice(ACME, date(2024, 4, 1), ended, billed=billed + april.lines, period_tax=owed, **january_on)
    assert again.lines == ()


def test_an_exemption_withdrawn_then_granted_again_corrects_each_line_once_each_time() -> None:
    """As above, then the exemption is withdrawn (April's invoice charges the tax back) and granted
    again (May's gives it back): each time one correction per line billed, never a correction of a
    correction, and the months end as charged no tax."""
    february = invoice(ACME, date(2024, 2, 1), S1, usage=(JAN_USAGE,))
    ended = Subscription("s1", S1.activated_at, I100, terminated_at=paris(2, 25, 18))
    starts = (date(2024, 1, 1), date(2024, 2, 1))
    january_on = {"history_from": date(2024, 1, 1)}
    free, taxed = replace(ACME, tax=EXEMPT), ACME

    def changed(terms: TaxTerms) -> dict[str, object]:
        return {**january_on, "period_tax": tuple(PeriodTax(start, terms, changed=True) for start in starts)}

    billed = february.lines
    march = invoice(free, date(2024, 3, 1), ended, billed=billed, **changed(EXEMPT))
    billed += march.lines
    april = invoice(taxed, date(2024, 4, 1), ended, billed=billed, **changed(TaxTerms(D(20))))
    billed += april.lines
    may = invoice(free, date(2024, 5, 1), ended, billed=billed, **changed(EXEMPT))
    assert [x.tax for x in april.lines] == [D("30.00"), D("6.80"), D("12.40"), D("-2.14")]
    assert [x.tax for x in may.lines] == [D("-30.00"), D("-6.80"), D("-12.40"), D("2.14")]
    assert all(x.description.count("tax corrected") == 1 for x in april.lines + may.lines)
    assert sum((x.tax for x in billed + may.lines), D(0)) == D(0)


def test_an_upgrade_learnt_late_costs_to_the_cent_what_it_cost_billed_in_time() -> None:
    """Activated on 2 January at half price, upgraded on 3 January. Billed in time, January holds one
    day of the old price and 29 of the new. Learnt after January was billed (30 days of the old
    price), the credit of 29 days is what brings the old price's January to the rounding of its one
    day (1.28, tax 0.26), not the 29 days rounded on their own (-36.95, tax -7.39)."""
    half = Promotion("launch", DiscountKind.PERCENT, D(50), 3)
    old = PriceSnapshot("bia-100", (Price("monthly", "EUR", RecurringCharge(D("79.00"))),), half)
    new = PriceSnapshot("bia-1000", (Price("monthly", "EUR", RecurringCharge(D("249.00"))),), half)
    plain = Subscription("s1", paris(1, 2, 1), old)
    upgraded = Subscription("s1", paris(1, 2, 1), old, (PriceChange(paris(1, 3, 1), new),))
    in_time = invoice(ACME, date(2024, 2, 1), upgraded).lines
    first = invoice(ACME, date(2024, 2, 1), plain).lines
    late = first + invoice(ACME, date(2024, 3, 1), upgraded, billed=first, history_from=date(2024, 1, 1)).lines
    credit = next(line for line in late if line.kind is LineKind.RECURRING_CREDIT)
    assert (str(credit.coverage), credit.gross, credit.discount, credit.amount, credit.tax) == (
        "2024-01-03..2024-02-01", D("-73.90"), D("-36.96"), D("-36.94"), D("-7.38")
    )

    def january(lines: tuple[InvoiceLine, ...], product: str) -> tuple[Decimal, ...]:
        mine = [x for x in lines if x.product == product and x.coverage.start < date(2024, 2, 1)]
        return tuple(sum((getattr(x, f) for x in mine), D(0)) for f in ("gross", "discount", "amount", "tax"))

    assert january(late, "bia-100") == january(in_time, "bia-100") == (D("2.55"), D("1.27"), D("1.28"), D("0.26"))
    assert january(late, "bia-1000") == january(in_time, "bia-1000")


def test_a_period_never_invoiced_is_taxed_on_the_terms_given() -> None:
    """An activation recorded late, in a period with no invoice yet, is taxed as the invoice's period."""
    late = Subscription("s9", paris(2, 15, 12), I100)
    draft = invoice(replace(ACME, tax=TaxTerms(D(21))), date(2024, 3, 1), late, history_from=date(2024, 2, 1))
    assert {(line.coverage.start, line.tax_rate) for line in draft.lines} == {
        (date(2024, 2, 15), D(21)),
        (date(2024, 3, 1), D(21)),
    }


def test_adjustments_apply_once() -> None:
    refund = Adjustment("adj-7", "Goodwill credit, ticket 7", D("-15"), date(2024, 1, 20))
    draft = invoice(ACME, date(2024, 2, 1), adjustments=(refund,))
    assert rows(draft) == [("adjustment", "2024-01-20..2024-01-20", "1", "-15.00", "-3.00")]
    assert draft.adjustments_applied == ("adj-7",)
    again = invoice(ACME, date(2024, 2, 1), adjustments=(refund,), billed=draft.lines)
    assert again.lines == () and again.adjustments_applied == ()


def test_a_repeated_run_makes_nothing_and_input_order_does_not_matter() -> None:
    s2 = Subscription("s2", paris(1, 3), I200)
    usage = (JAN_USAGE, UsageTotal(UsageKey("s2", "GB", date(2024, 1, 1)), D(1500)))
    draft = invoice(ACME, date(2024, 2, 1), S1, s2, usage=usage)
    assert invoice(ACME, date(2024, 2, 1), s2, S1, usage=usage[::-1]) == draft  # the preview is the invoice
    again = invoice(ACME, date(2024, 2, 1), S1, s2, usage=usage, billed=draft.lines)
    assert again.lines == () and again.totals.total == D("0.00")


def test_a_change_recorded_late_rerates_the_period_on_its_new_terms_whatever_the_line_order() -> None:
    first = first_invoice()
    jan = UsageKey("s1", "GB", date(2024, 1, 1))
    march = invoice(
        ACME, date(2024, 3, 1), S1, usage=(UsageTotal(jan, D(530)),), billed=first.lines, history_from=date(2024, 1, 1)
    )
    billed = first.lines + march.lines  # January: 500 included + 30 above at 0.05
    late = Subscription("s1", S1.activated_at, I100, (PriceChange(paris(1, 20), I200),))  # recorded in April
    draft = invoice(
        ACME, date(2024, 4, 1), late, usage=(UsageTotal(jan, D(530)),), billed=billed, history_from=date(2024, 1, 1)
    )
    assert rows(draft) == [
        ("recurringCredit", "2024-01-20..2024-02-01", "-1", "-24.00", "-4.80"),  # 62 * 12/31
        ("recurringCharge", "2024-01-20..2024-02-01", "1", "36.00", "7.20"),  # 93 * 12/31
        ("usageAdjustment", "2024-01-01..2024-02-01", "530", "0.00", "0.00"),  # 200M: within its 1000 GB
        ("usageAdjustment", "2024-01-01..2024-02-01", "-30", "-1.50", "-0.30"),  # what 100M billed, given back
        ("usageAdjustment", "2024-01-01..2024-02-01", "-500", "0.00", "0.00"),
        ("recurringCredit", "2024-02-01..2024-03-01", "-1", "-62.00", "-12.40"),
        ("recurringCharge", "2024-02-01..2024-03-01", "1", "93.00", "18.60"),
        ("recurringCredit", "2024-03-01..2024-04-01", "-1", "-62.00", "-12.40"),
        ("recurringCharge", "2024-03-01..2024-04-01", "1", "93.00", "18.60"),
        ("recurringCharge", "2024-04-01..2024-05-01", "1", "93.00", "18.60"),
    ]
    assert draft.lines[2].description == (
        "Business Internet 200M, traffic 2024-01-01 – 2024-01-31: 530 of 1000 GB included"
    )
    assert draft.lines[3].product == draft.lines[4].product == I100.offering
    assert draft.lines[3].description == (
        "Business Internet 100M, traffic 2024-01-01 – 2024-01-31: above allowance billed before, reversed (30 GB)"
    )
    assert (
        invoice(
            ACME,
            date(2024, 4, 1),
            late,
            usage=(UsageTotal(jan, D(530)),),
            billed=billed[::-1],
            history_from=date(2024, 1, 1),
        )
        == draft
    )


FIBRE = PriceSnapshot(
    "Business Fibre 1G",
    (Price("monthly", "EUR", RecurringCharge(D("93.00"))), Price("data", "EUR", PerUnitUsage("TB", D("20.00")))),
)
FLAT = PriceSnapshot("Business Internet flat", (Price("monthly", "EUR", RecurringCharge(D("93.00"))),))


def _usage_by_product(*drafts: InvoiceDraft) -> dict[tuple[str, str, str, str], tuple[Decimal, Decimal]]:
    """January's usage lines netted per offering, price, part and unit: (quantity, amount)."""
    net: dict[tuple[str, str, str, str], tuple[Decimal, Decimal]] = {}
    for line in (line for draft in drafts for line in draft.lines):
        if line.kind in (LineKind.USAGE, LineKind.USAGE_ADJUSTMENT) and line.coverage.start == date(2024, 1, 1):
            key = (line.product, line.price_name, line.part, line.unit)
            quantity, amount = net.get(key, (D(0), D(0)))
            net[key] = (quantity + line.quantity, amount + line.amount)
    return {key: value for key, value in net.items() if any(value)}


@pytest.mark.parametrize("terms", [FIBRE, FLAT], ids=["another usage price", "no usage price"])
def test_a_change_recorded_late_gives_back_usage_billed_under_terms_that_no_longer_price_it(
    terms: PriceSnapshot,
) -> None:
    """January's 530 GB were billed on 1 February under I100's "traffic" (1.50 above its 500 GB).
    A change to other terms effective 20 January, recorded in March: the usage is billed as if the
    change had been known on 1 February, under the new terms' own price (another name, another
    unit) or not at all (no usage price), and what "traffic" billed is given back under its name."""
    changed = Subscription("s1", S1.activated_at, I100, (PriceChange(paris(1, 20), terms),))
    in_tb = UsageTotal(UsageKey("s1", "TB", date(2024, 1, 1)), D("0.53"))
    usage = (in_tb,) if terms is FIBRE else (UsageTotal(UsageKey("s1", "GB", date(2024, 1, 1)), D(530)),)
    billed = invoice(ACME, date(2024, 2, 1), S1, usage=(UsageTotal(JAN_USAGE.key, D(530)),))
    assert _usage_by_product(billed) == {
        ("Business Internet 100M", "traffic", "included", "GB"): (D(500), D("0.00")),
        ("Business Internet 100M", "traffic", "above allowance", "GB"): (D(30), D("1.50")),
    }
    march = invoice(ACME, date(2024, 3, 1), changed, usage=usage, billed=billed.lines, history_from=date(2024, 1, 1))
    in_time = invoice(ACME, date(2024, 2, 1), changed, usage=usage)

    assert _usage_by_product(billed, march) == _usage_by_product(in_time)
    reversed_parts = [
        line for line in march.lines if line.kind is LineKind.USAGE_ADJUSTMENT and line.product == I100.offering
    ]
    assert {(line.price_name, line.part, line.quantity, line.amount) for line in reversed_parts} == {
        ("traffic", "included", D(-500), D("0.00")),
        ("traffic", "above allowance", D(-30), D("-1.50")),
    }
    assert all(line.description.startswith("Business Internet 100M, traffic ") for line in reversed_parts)
    if terms is FLAT:  # nothing to bill it on: reported, as it is to the account that knew in time
        assert [u.key for u in march.usage_unbilled] == [u.key for u in in_time.usage_unbilled] == [usage[0].key]
    again = invoice(  # given everything billed since, nothing more
        ACME, date(2024, 4, 1), changed, usage=usage, billed=billed.lines + march.lines, history_from=date(2024, 1, 1)
    )
    assert not [line for line in again.lines if line.kind is LineKind.USAGE_ADJUSTMENT]


def test_a_change_of_the_activation_day_recorded_late_charges_the_final_terms_one_time_prices_only() -> None:
    """Activated on 15 January on I100 (installation 150.00) and changed the same evening to terms
    whose one-time price is a connection (200.00), the change recorded after the bill of 1 February:
    the next bill credits the installation and charges the connection, as the in-time bill did."""
    connection = Price("connection", "EUR", OneTimeCharge(D("200.00")))
    connected = PriceSnapshot("Business Fibre 1G", (connection, *FIBRE.prices))
    changed = Subscription("s1", S1.activated_at, I100, (PriceChange(paris(1, 15, 18), connected),))
    billed = invoice(ACME, date(2024, 2, 1), S1)
    march = invoice(ACME, date(2024, 3, 1), changed, billed=billed.lines, history_from=date(2024, 1, 1))
    in_time = invoice(ACME, date(2024, 2, 1), changed)

    def one_time(*drafts: InvoiceDraft) -> dict[tuple[str, str], Decimal]:
        net: dict[tuple[str, str], Decimal] = {}
        for line in (x for draft in drafts for x in draft.lines if x.kind is LineKind.ONE_TIME):
            net[line.product, line.price_name] = net.get((line.product, line.price_name), D(0)) + line.amount
        return {key: amount for key, amount in net.items() if amount}

    assert one_time(billed, march) == one_time(in_time) == {("Business Fibre 1G", "connection"): D("200.00")}
    assert [(x.product, x.price_name, x.quantity, x.amount, str(x.coverage)) for x in march.lines
            if x.kind is LineKind.ONE_TIME and x.amount < 0] == [
        ("Business Internet 100M", "installation", D(-1), D("-150.00"), "2024-01-15..2024-01-15")
    ]
    again = invoice(ACME, date(2024, 4, 1), changed, billed=billed.lines + march.lines, history_from=date(2024, 1, 1))
    assert not [x for x in again.lines if x.kind is LineKind.ONE_TIME]


def test_a_change_recorded_late_to_terms_without_an_sla_takes_back_the_credit_of_the_old_terms() -> None:
    """January's 10-hour outage earned I100's SLA credit on 1 February. A change effective 20
    January to terms without an SLA, recorded in March: January's last day is on terms without an
    SLA, so the bill made in time credited nothing, and the next bill takes the credit back."""
    down = (AvailabilityReport("s1", date(2024, 1, 1), (Outage(paris(1, 16, 8), paris(1, 16, 18)),)),)
    changed = Subscription("s1", S1.activated_at, I100, (PriceChange(paris(1, 20), FLAT),))
    billed = invoice(ACME, date(2024, 2, 1), S1, availability=down)
    march = invoice(ACME, date(2024, 3, 1), changed, availability=down, billed=billed.lines,
                    history_from=date(2024, 1, 1))
    in_time = invoice(ACME, date(2024, 2, 1), changed, availability=down)

    def sla(*drafts: InvoiceDraft) -> Decimal:
        return sum((x.amount for d in drafts for x in d.lines if x.kind is LineKind.SLA_CREDIT), D(0))

    assert sla(billed) < 0
    assert sla(billed, march) == sla(in_time) == 0
    taken_back = [x for x in march.lines if x.kind is LineKind.SLA_CREDIT]
    assert [(x.product, x.quantity, x.amount) for x in taken_back] == [(I100.offering, D(-1), -sla(billed))]
    assert taken_back[0].description.endswith("credited before, taken back (no SLA on the terms of the period)")
    again = invoice(ACME, date(2024, 4, 1), changed, availability=down, billed=billed.lines + march.lines,
                    history_from=date(2024, 1, 1))
    assert not [x for x in again.lines if x.kind is LineKind.SLA_CREDIT]


def test_a_credit_for_a_period_the_subscription_turns_out_not_to_be_active_in_is_taken_back() -> None:
    """January's outage earned an SLA credit on 1 February; the activation is then known to have
    been on 3 February (billing takes what storage holds): January has no active day, the bill
    made in time credited nothing for it, so the next bill takes the credit back, saying why."""
    down = (AvailabilityReport("s1", date(2024, 1, 1), (Outage(paris(1, 16, 8), paris(1, 16, 18)),)),)
    later = Subscription("s1", paris(2, 3, 10), I100)
    billed = invoice(ACME, date(2024, 2, 1), S1, availability=down)
    march = invoice(ACME, date(2024, 3, 1), later, availability=down, billed=billed.lines,
                    history_from=date(2024, 1, 1))
    credited = [x.amount for x in billed.lines if x.kind is LineKind.SLA_CREDIT]
    taken_back = [x for x in march.lines if x.kind is LineKind.SLA_CREDIT]
    assert len(credited) == 1 and credited[0] < 0
    assert [(x.product, x.quantity, x.amount, str(x.coverage)) for x in taken_back] == [
        (I100.offering, D(-1), -credited[0], "2024-01-15..2024-02-01")
    ]
    assert taken_back[0].description.endswith("credited before, taken back (not active in the period)")
    again = invoice(ACME, date(2024, 4, 1), later, availability=down, billed=billed.lines + march.lines,
                    history_from=date(2024, 1, 1))
    assert not [x for x in again.lines if x.kind is LineKind.SLA_CREDIT]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"usage": (JAN_USAGE, JAN_USAGE)}, "given twice"),
        ({"usage": (UsageTotal(UsageKey("s1", "GB", date(2024, 1, 5)), D(1)),)}, "not the start of a billing period"),
        ({"history_from": date(2024, 1, 5)}, "history_from"),
        ({"history_from": date(2024, 3, 1)}, "history_from"),
        ({"availability": (AvailabilityReport("nobody", date(2024, 1, 1)),)}, "unknown subscriptions"),
    ],
)
def test_contradictory_input_is_refused_and_nothing_is_billed(given: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidBillingInputError, match=message):
        invoice(ACME, date(2024, 2, 1), S1, **given)


def test_lines_from_a_later_period_or_another_currency_are_refused() -> None:
    march = invoice(ACME, date(2024, 3, 1), S1, history_from=date(2024, 1, 1))
    with pytest.raises(InvalidBillingInputError, match="bill periods in order"):
        invoice(ACME, date(2024, 2, 1), S1, billed=march.lines)
    dollars = Account("usd", "USD", ACME.cycle)
    with pytest.raises(InvalidBillingInputError, match="another currency"):
        invoice(dollars, date(2024, 2, 1), S1)
    with pytest.raises(InvalidBillingInputError, match="not a period of this bill cycle"):
        assemble_invoice(BillingInput(ACME, BillCycle(5, "Europe/Paris").period_containing(date(2024, 2, 10))))
