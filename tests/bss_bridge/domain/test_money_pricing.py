"""The BSS's money rule and the price components' own consistency checks."""

from __future__ import annotations

import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss_bridge.domain.errors import InvalidMoneyError, InvalidPriceError
from bss_bridge.domain.money import format_money, minor_units, round_money, to_decimal
from bss_bridge.domain.pricing import (
    BurstableUsage,
    CreditTier,
    DiscountKind,
    GraduatedUsage,
    OneTimeCharge,
    Price,
    PriceType,
    Promotion,
    RecurringCharge,
    SlaTerms,
    Tier,
)

D = decimal.Decimal


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (D("0.067") * 55, "EUR", D("3.69")),  # Kill Bill #1124: 3.685 rounds half up
        (D("2.5"), "JPY", D("3")),
        (D("1.0005"), "KWD", D("1.001")),
        (D("-3.685"), "EUR", D("-3.69")),
        (D("0.004999"), "USD", D("0.00")),
    ],
)
def test_round_money_rounds_half_up_to_the_minor_unit(amount: D, currency: str, expected: D) -> None:
    result = round_money(amount, currency)
    assert result == expected
    assert result.as_tuple().exponent == -minor_units(currency)


@pytest.mark.parametrize("bad", [0.1, True, "1e999999999", "1e-40", "NaN", "Infinity", "ten"])
def test_money_refuses_floats_and_non_finite_values(bad: object) -> None:
    with pytest.raises(InvalidMoneyError):
        to_decimal(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["eur", "EURO", "E1R", "", "ÉUR"])
def test_a_currency_must_look_like_iso_4217(code: str) -> None:
    with pytest.raises(InvalidMoneyError, match="ISO 4217"):
        minor_units(code)


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6))
def test_rounding_is_idempotent_and_within_half_a_minor_unit(amount: D) -> None:
    once = round_money(amount, "EUR")
    assert round_money(once, "EUR") == once
    assert abs(once - amount) <= D("0.005")


def test_format_money_shows_the_currency_decimals() -> None:
    assert format_money(D(3), "EUR") == "3.00 EUR"
    assert format_money(D("3.4"), "JPY") == "3 JPY"


def test_price_types() -> None:
    assert Price("setup", "EUR", OneTimeCharge(D(100))).price_type is PriceType.ONE_TIME
    assert Price("monthly", "EUR", RecurringCharge(D(50))).price_type is PriceType.RECURRING
    assert Price("95th", "EUR", BurstableUsage(D(100), D(2))).price_type is PriceType.USAGE


@pytest.mark.parametrize(
    "make",
    [
        lambda: OneTimeCharge(D(-1)),
        lambda: GraduatedUsage("GB", ()),
        lambda: GraduatedUsage("GB", (Tier(D(10), D(1)),)),  # last tier bounded
        lambda: GraduatedUsage("GB", (Tier(D(10), D(1)), Tier(D(5), D(1)), Tier(None, D(1)))),
        lambda: GraduatedUsage("GB", (Tier(None, D(1)), Tier(None, D(1)))),
        lambda: BurstableUsage(D(100), D(2), percentile=D(0)),
        lambda: Promotion("p", DiscountKind.PERCENT, D(101), 3),
        lambda: Promotion("p", DiscountKind.FIXED, D(5), 0),
        lambda: SlaTerms(D("99.9"), (CreditTier(D(99), D(25)), CreditTier(D("99.9"), D(10)))),
        lambda: SlaTerms(D("99.9"), (CreditTier(D("99.9"), D(25)), CreditTier(D(99), D(10)))),
        lambda: Price("x", "eur", OneTimeCharge(D(1))),
    ],
)
def test_inconsistent_price_terms_are_refused(make: object) -> None:
    with pytest.raises((InvalidPriceError, InvalidMoneyError)):
        make()  # type: ignore[operator]
