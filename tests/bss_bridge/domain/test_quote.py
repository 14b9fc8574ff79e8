"""Pricing a basket: one line per charge, rounded once; totals are sums of lines."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bss_bridge.domain.catalog import OfferingPrice
from bss_bridge.domain.pricing import (
    BurstableUsage,
    DiscountKind,
    GraduatedUsage,
    OneTimeCharge,
    PerUnitUsage,
    Promotion,
    RecurringCharge,
    Tier,
)
from bss_bridge.domain.quote import LineKind, PricedItem, price_basket
from bss_bridge.domain.window import Window

from ..builders import LAUNCH

D = Decimal


def price(name: str, charge: object, currency: str = "EUR") -> OfferingPrice:
    return OfferingPrice(f"o.{name}", "o", name, currency, 1, Window(LAUNCH), charge)  # type: ignore[arg-type]


def test_each_charge_is_one_line_rounded_once_with_its_tax() -> None:
    item = PricedItem(
        "1", "o", (price("setup", OneTimeCharge(D("0.067") * 55)), price("monthly", RecurringCharge(D("79.00"))))
    )
    quote = price_basket([item], "EUR", D(20))
    assert [(line.kind, line.amount, line.tax) for line in quote.lines] == [
        (LineKind.RECURRING, D("79.00"), D("15.80")),
        (LineKind.ONE_TIME, D("3.69"), D("0.74")),  # 3.685 -> 3.69 (half up), tax 0.738 -> 0.74
    ]
    assert (quote.one_time, quote.monthly, quote.monthly_discount) == (D("3.69"), D("79.00"), D("0.00"))
    assert quote.tax(LineKind.ONE_TIME) == D("0.74")
    assert quote.lines[1].description == "setup: 3.69 EUR once"


def test_a_percentage_promotion_is_computed_from_the_unrounded_recurring_charges() -> None:
    item = PricedItem(
        "1",
        "o",
        (
            price("a", RecurringCharge(D("0.015"))),
            price("b", RecurringCharge(D("0.015"))),
            price("promo", Promotion("promo", DiscountKind.PERCENT, D(50), 3)),
        ),
    )
    quote = price_basket([item], "EUR", D(0))
    # each recurring line rounds 0.015 -> 0.02; the discount is 50 % of 0.030 = 0.015 -> 0.02
    assert [(line.kind, line.amount, line.months) for line in quote.lines] == [
        (LineKind.RECURRING, D("0.02"), None),
        (LineKind.RECURRING, D("0.02"), None),
        (LineKind.DISCOUNT, D("-0.02"), 3),
    ]
    assert quote.lines[2].description == "promo: 50 % off the monthly charges for 3 months"


def test_a_fixed_promotion_never_exceeds_what_it_discounts_and_a_bundles_covers_its_components() -> None:
    bundle = PricedItem("1", "bundle", (price("loyalty", Promotion("loyalty", DiscountKind.FIXED, D(500), 12)),))
    parts = [
        PricedItem("1.1", "x", (price("monthly", RecurringCharge(D("79.00"))),), parent="1"),
        PricedItem("1.2", "y", (price("monthly", RecurringCharge(D("300.00"))),), parent="1"),
    ]
    quote = price_basket([bundle, *parts], "EUR", D(0))
    assert quote.monthly == D("379.00") and quote.monthly_discount == D("-379.00")
    small = PricedItem("1", "bundle", (price("loyalty", Promotion("loyalty", DiscountKind.FIXED, D(20), 12)),))
    assert price_basket([small, *parts], "EUR", D(0)).monthly_discount == D("-20.00")


def test_usage_is_described_not_charged() -> None:
    item = PricedItem(
        "1",
        "o",
        (
            price("traffic", PerUnitUsage("GB", D("0.050"), D(1000))),
            price("tiers", GraduatedUsage("GB", (Tier(D(100), D("0.10")), Tier(None, D("0.05"), D(2))))),
            price("burst", BurstableUsage(D(100), D("3.50"))),
        ),
    )
    quote = price_basket([item], "EUR", D(20))
    assert [(line.amount, line.tax) for line in quote.usage] == [(None, None)] * 3
    assert [line.description for line in quote.usage] == [
        "burst: 3.5 EUR per Mbit/s of the month's 95th percentile 5-minute rate above 100 Mbit/s",
        "tiers: graduated per GB: up to 100 GB at 0.1 EUR, above at 0.05 EUR + 2 EUR",
        "traffic: 0.05 EUR per GB beyond 1000 GB included per month",
    ]
    assert quote.one_time == D("0.00") and quote.monthly == D("0.00")


def test_a_quote_in_a_zero_decimal_currency_rounds_to_whole_units() -> None:
    item = PricedItem("1", "o", (price("monthly", RecurringCharge(D("1234.5")), "JPY"),))
    quote = price_basket([item], "JPY", D(10))
    assert (quote.lines[0].amount, quote.lines[0].tax) == (D(1235), D(124))


amounts = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)


@given(
    st.lists(st.tuples(st.booleans(), amounts), min_size=1, max_size=8),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_totals_are_the_sums_of_the_lines(charges: list[tuple[bool, Decimal]], rate: Decimal) -> None:
    prices = tuple(
        price(f"p{n}", RecurringCharge(a) if recurring else OneTimeCharge(a))
        for n, (recurring, a) in enumerate(charges)
    )
    quote = price_basket([PricedItem("1", "o", prices)], "EUR", rate)
    assert quote.one_time + quote.monthly == sum(line.amount for line in quote.lines if line.amount is not None)
    assert quote.tax(LineKind.ONE_TIME, LineKind.RECURRING) == sum(
        line.tax for line in quote.lines if line.tax is not None
    )
    assert all(line.amount is not None and line.amount.as_tuple().exponent == -2 for line in quote.lines)
