"""Pricing a basket with billing's line rule: one line per charge, gross, discount and tax each
rounded once; a promotion as the discount of its item's monthly charges; totals are sums of lines."""

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

from ..builders import LAUNCH, T0

D = Decimal


def price(name: str, charge: object, currency: str = "EUR") -> OfferingPrice:
    return OfferingPrice(f"o.{name}", "o", name, currency, 1, Window(LAUNCH), charge)  # type: ignore[arg-type]


def quote(*prices: OfferingPrice, rate: Decimal = Decimal(0), currency: str = "EUR") -> object:
    return price_basket([PricedItem("1", "o", prices)], currency, rate, T0, "Europe/Paris")


def test_each_charge_is_one_line_rounded_once_with_its_tax() -> None:
    q = price_basket(
        [
            PricedItem(
                "1",
                "o",
                (price("setup", OneTimeCharge(D("0.067") * 55)), price("monthly", RecurringCharge(D("79.00")))),
            )
        ],
        "EUR",
        D(20),
        T0,
        "Europe/Paris",
    )
    assert [(line.kind, line.line.amount, line.line.tax) for line in q.lines if line.line] == [
        (LineKind.RECURRING, D("79.00"), D("15.80")),
        (LineKind.ONE_TIME, D("3.69"), D("0.74")),  # 3.685 -> 3.69 (half up), tax 0.738 -> 0.74
    ]
    assert (q.one_time, q.monthly, q.monthly_discount) == (D("3.69"), D("79.00"), D("0.00"))
    assert q.tax(LineKind.ONE_TIME) == D("0.74")
    assert q.lines[1].description == "setup: 3.69 EUR once"
    coverage = q.lines[0].line.coverage if q.lines[0].line else None
    assert coverage is not None and (str(coverage), coverage.days) == ("2026-03-01..2026-04-01", 31)


def test_a_percentage_promotion_discounts_each_monthly_charge_of_its_item() -> None:
    q = price_basket(
        [
            PricedItem(
                "1",
                "o",
                (
                    price("a", RecurringCharge(D("0.015"))),
                    price("b", RecurringCharge(D("79.00"))),
                    price("promo", Promotion("promo", DiscountKind.PERCENT, D(50), 3)),
                ),
            )
        ],
        "EUR",
        D(20),
        T0,
    )
    a, b = q.lines
    assert (a.full.amount, a.line.discount, a.line.amount) == (D("0.02"), D("0.01"), D("0.01"))  # type: ignore[union-attr]
    assert (b.full.amount, b.full.tax, b.line.amount, b.line.tax, b.months) == (
        D("79.00"),
        D("15.80"),
        D("39.50"),
        D("7.90"),
        3,
    )  # type: ignore[union-attr]
    assert (q.monthly, q.monthly_discount) == (D("79.02"), D("-39.51"))
    assert b.promotion is not None and b.promotion.name == "promo"


def test_a_fixed_promotion_never_exceeds_the_charge_it_discounts() -> None:
    small = quote(
        price("monthly", RecurringCharge(D("15.00"))), price("p", Promotion("p", DiscountKind.FIXED, D(20), 6))
    )
    assert (small.monthly, small.monthly_discount) == (D("15.00"), D("-15.00"))  # type: ignore[attr-defined]
    usual = quote(
        price("monthly", RecurringCharge(D("15.00"))), price("p", Promotion("p", DiscountKind.FIXED, D("2.50"), 6))
    )
    assert usual.monthly_discount == D("-2.50")  # type: ignore[attr-defined]


def test_usage_is_described_not_charged() -> None:
    q = quote(
        price("traffic", PerUnitUsage("GB", D("0.050"), D(1000))),
        price("tiers", GraduatedUsage("GB", (Tier(D(100), D("0.10")), Tier(None, D("0.05"), D(2))))),
        price("burst", BurstableUsage(D(100), D("3.50"))),
        rate=D(20),
    )
    assert [(line.line, line.charged) for line in q.usage] == [(None, None)] * 3  # type: ignore[attr-defined]
    assert [line.description for line in q.usage] == [  # type: ignore[attr-defined]
        "burst: 3.5 EUR per Mbit/s of the month's 95th percentile 5-minute rate above 100 Mbit/s",
        "tiers: graduated per GB: up to 100 GB at 0.1 EUR, above at 0.05 EUR + 2 EUR",
        "traffic: 0.05 EUR per GB beyond 1000 GB included per month",
    ]


def test_a_quote_in_a_zero_decimal_currency_rounds_to_whole_units() -> None:
    q = price_basket([PricedItem("1", "o", (price("monthly", RecurringCharge(D("1234.5")), "JPY"),))], "JPY", D(10), T0)
    assert (q.lines[0].line.amount, q.lines[0].line.tax) == (D(1235), D(124))  # type: ignore[union-attr]


amounts = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False, allow_infinity=False)


@given(
    st.lists(st.tuples(st.booleans(), amounts), min_size=1, max_size=8),
    st.decimals(min_value=0, max_value=100, places=2),
    st.decimals(min_value=0, max_value=100, places=1),
)
def test_totals_are_the_sums_of_the_lines(charges: list[tuple[bool, Decimal]], rate: Decimal, off: Decimal) -> None:
    prices = [
        price(f"p{n}", RecurringCharge(a) if recurring else OneTimeCharge(a))
        for n, (recurring, a) in enumerate(charges)
    ]
    prices.append(price("zz", Promotion("zz", DiscountKind.PERCENT, off, 2)))
    q = price_basket([PricedItem("1", "o", tuple(prices))], "EUR", rate, T0)
    first_month = [line.line for line in q.lines if line.line is not None]
    assert q.one_time + q.monthly + q.monthly_discount == sum(line.amount for line in first_month)
    assert q.tax(LineKind.ONE_TIME) + q.tax(LineKind.RECURRING) == sum(line.tax for line in first_month)
    assert all(line.amount.as_tuple().exponent == -2 and line.amount >= 0 for line in first_month)
