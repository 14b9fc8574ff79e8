"""Rating of every usage price, the percentile rule, and the one rounding place."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss_bridge.domain.billing.cycles import BillCycle
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.billing.lines import LineBasis, LineKind, LineSpec, TaxTerms, make_line, shares, totals
from bss_bridge.domain.billing.rating import (
    percentile_rank,
    percentile_rate,
    rate_burstable,
    rate_graduated,
    rate_per_unit,
    rate_quantity,
    rate_volume,
)
from bss_bridge.domain.money import round_money
from bss_bridge.domain.pricing import (
    BurstableUsage,
    DiscountKind,
    GraduatedUsage,
    PerUnitUsage,
    Promotion,
    Tier,
    VolumeUsage,
)

D = Decimal
ZERO = Decimal(0)
TIERS = (Tier(D(100), D("0.10")), Tier(D(1000), D("0.05"), flat_fee=D(2)), Tier(None, D("0.01")))
JANUARY = BillCycle(1, "UTC").period_containing(date(2024, 1, 1))


def spec_of(kind: LineKind, quantity: D, unit: str, unit_price: D, gross: D, discount: D = ZERO) -> LineSpec:
    return LineSpec(
        kind=kind,
        description=kind.value,
        coverage=JANUARY,
        quantity=quantity,
        unit=unit,
        unit_price=unit_price,
        gross=gross,
        discount=discount,
    )


def parts(rated: tuple[object, ...]) -> list[tuple[str, D, D, D]]:
    return [(p.part, p.quantity, p.unit_price, p.amount) for p in rated]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (D(0), []),
        (D(40), [("included", D(40), D(0), D(0))]),
        (D(100), [("included", D(100), D(0), D(0))]),
        (D("100.5"), [("included", D(100), D(0), D(0)), ("above allowance", D("0.5"), D("0.05"), D("0.025"))]),
        (D(155), [("included", D(100), D(0), D(0)), ("above allowance", D(55), D("0.05"), D("2.75"))]),
    ],
)
def test_per_unit_with_an_included_allowance(quantity: D, expected: list[tuple[str, D, D, D]]) -> None:
    assert parts(rate_per_unit(PerUnitUsage("GB", D("0.05"), included=D(100)), quantity)) == expected


def test_per_unit_without_an_allowance_bills_every_unit() -> None:
    assert parts(rate_per_unit(PerUnitUsage("GB", D("0.067")), D(55))) == [
        ("above allowance", D(55), D("0.067"), D("3.685"))
    ]


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (D(0), []),
        (D(100), [("tier 1", D(100), D("0.10"), D("10.00"))]),
        (D("100.001"), [("tier 1", D(100), D("0.10"), D("10.00")), ("tier 2", D("0.001"), D("0.05"), D("2.00005"))]),
        (
            D(1500),
            [
                ("tier 1", D(100), D("0.10"), D("10.00")),
                ("tier 2", D(900), D("0.05"), D("47.00")),
                ("tier 3", D(500), D("0.01"), D("5.00")),
            ],
        ),
    ],
)
def test_graduated_tiers_price_each_unit_in_its_tier(quantity: D, expected: list[tuple[str, D, D, D]]) -> None:
    assert parts(rate_graduated(GraduatedUsage("GB", TIERS), quantity)) == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (D(0), []),
        (D(100), [("tier 1", D(100), D("0.10"), D("10.00"))]),  # the bound is inclusive
        (D(101), [("tier 2", D(101), D("0.05"), D("7.05"))]),  # every unit at tier 2, plus its flat fee
        (D(5000), [("tier 3", D(5000), D("0.01"), D("50.00"))]),
    ],
)
def test_volume_tiers_price_every_unit_in_the_one_tier(quantity: D, expected: list[tuple[str, D, D, D]]) -> None:
    assert parts(rate_volume(VolumeUsage("GB", TIERS), quantity)) == expected


@given(st.integers(0, 3000))
def test_graduated_rating_equals_pricing_unit_by_unit(quantity: int) -> None:
    bounds = [(D(0), D(100), D("0.10"), D(0)), (D(100), D(1000), D("0.05"), D(2)), (D(1000), None, D("0.01"), D(0))]
    expected = D(0)
    for unit in range(1, quantity + 1):
        expected += next(price for low, high, price, _ in bounds if high is None or unit <= high)
    expected += sum((fee for low, _, _, fee in bounds if quantity > low), D(0))
    assert sum((p.amount for p in rate_graduated(GraduatedUsage("GB", TIERS), D(quantity))), D(0)) == expected


def test_rating_refuses_negative_totals_and_burstable_totals() -> None:
    with pytest.raises(InvalidBillingInputError, match="non-negative"):
        rate_per_unit(PerUnitUsage("GB", D(1)), D(-1))
    with pytest.raises(InvalidBillingInputError, match="rate samples"):
        rate_quantity(BurstableUsage(D(100), D(2)), D(5))


@pytest.mark.parametrize(
    ("count", "rank"),
    [(8640, 8208), (8928, 8482), (8064, 7661), (20, 19), (19, 19), (10, 10), (1, 1), (0, 0)],
)
def test_the_percentile_rank_drops_at_most_five_percent(count: int, rank: int) -> None:
    assert percentile_rank(count, D(95)) == rank
    assert count - rank == math.floor(count * 5 / 100)


def test_a_month_of_samples_bills_the_highest_after_the_top_five_percent() -> None:
    # 30 days of 5-minute samples: 432 bursts at 900 Mbit/s are free, the 433rd highest sample is billed.
    samples = [D(900)] * 432 + [D(350)] + [D(120)] * (8640 - 433)
    assert percentile_rate(samples, D(95)) == D(350)
    assert percentile_rate([*samples[1:], D(120)], D(95)) == D(120)  # 431 bursts: the 350 is dropped too
    assert percentile_rate([*samples, D(900)], D(95)) == D(900)  # 8641 samples: still only 432 dropped


@given(st.lists(st.integers(0, 10_000), max_size=400), st.sampled_from([D(95), D(90), D("99.5"), D(100)]))
def test_percentile_rate_matches_sorting_and_dropping(values: list[int], percentile: D) -> None:
    samples = [D(v) / 10 for v in values]
    dropped = math.floor(len(samples) * (100 - percentile) / 100)
    kept = sorted(samples)[: len(samples) - dropped]
    assert percentile_rate(samples, percentile) == (kept[-1] if kept else D(0))


def test_burstable_bills_the_higher_direction_above_the_commitment() -> None:
    price = BurstableUsage(committed_mbps=D(100), price_per_mbps=D("2.50"))
    inbound = [D(80)] * 19 + [D(900)]  # the one burst is the dropped 5 %
    outbound = [D(130)] * 20
    (part,) = rate_burstable(price, inbound, outbound)
    assert (part.quantity, part.unit_price, part.amount) == (D(30), D("2.50"), D("75.00"))
    assert "130" in part.description
    assert rate_burstable(price, inbound, [D(60)] * 20) == ()  # within the commitment: nothing more to pay
    assert rate_burstable(price, ()) == ()


@pytest.mark.parametrize(
    ("gross", "currency", "rate", "expected_amount", "expected_tax"),
    [
        (D("0.067") * 55, "EUR", D(0), D("3.69"), D("0.00")),  # Kill Bill #1124: 3.685 rounds once, half up
        (D("0.067") * 55, "EUR", D(20), D("3.69"), D("0.74")),  # tax on the rounded amount: 0.738 -> 0.74
        (D("0.067") * 55, "JPY", D(10), D(4), D(0)),
        (D("-3.685"), "EUR", D(20), D("-3.69"), D("-0.74")),  # a credit mirrors its charge
        (D("1.0005"), "KWD", D(5), D("1.001"), D("0.050")),
    ],
)
def test_a_line_rounds_once_half_up_to_the_minor_unit(
    gross: D, currency: str, rate: D, expected_amount: D, expected_tax: D
) -> None:
    spec = spec_of(LineKind.USAGE, D(55), "GB", D("0.067"), gross)
    line = make_line(spec, currency, TaxTerms(rate))
    assert (line.amount, line.tax) == (expected_amount, expected_tax)
    assert str(line.amount) == str(expected_amount)  # exactly the currency's decimals
    assert line.tax_included == expected_amount + expected_tax


def test_a_discount_is_rounded_once_and_never_exceeds_its_charge() -> None:
    spec = spec_of(LineKind.RECURRING, D(1), "month", D("49.99"), D("49.99"), discount=D("4.999"))
    line = make_line(spec, "EUR", TaxTerms(D(19)))
    assert (line.gross, line.discount, line.amount, line.tax) == (D("49.99"), D("5.00"), D("44.99"), D("8.55"))
    with pytest.raises(InvalidBillingInputError, match="exceeds its charge"):
        make_line(spec_of(LineKind.RECURRING, D(1), "month", D(5), D(5), discount=D(6)), "EUR", TaxTerms())


def test_a_line_s_tax_is_its_share_of_its_group_s_rounded_tax() -> None:
    """Billed 0.62 and then 0.66 of the same thing: per line 0.12 + 0.13 = 0.25; as a group, the tax of
    1.28 is 0.26, so the second line carries 0.14 (the group's tax less the 0.12 before it)."""
    first = make_line(spec_of(LineKind.USAGE, D(1), "GB", D("0.62"), D("0.62")), "EUR", TaxTerms(D(20)))
    second = spec_of(LineKind.USAGE_ADJUSTMENT, D(1), "GB", D("0.66"), D("0.66"))
    assert first.tax == D("0.12") and make_line(second, "EUR", TaxTerms(D(20))).tax == D("0.13")
    assert make_line(second, "EUR", TaxTerms(D(20)), (first.amount, first.tax)).tax == D("0.14")
    back = make_line(spec_of(LineKind.USAGE_ADJUSTMENT, D(-1), "GB", D("0.62"), D("-0.62")), "EUR", TaxTerms(D(20)),
                     (first.amount, first.tax))
    assert str(back.tax) == "-0.12"  # all of it given back: exactly what was charged


@given(st.lists(st.decimals(min_value=-500, max_value=500, places=5, allow_nan=False), min_size=1, max_size=8),
       st.integers(-3, 3))
def test_shares_round_each_part_and_sum_to_the_total(parts: list[D], off: int) -> None:
    total = round_money(sum(parts, D(0)), "EUR") + D(off) / 100
    found = shares(parts, total, "EUR")
    assert sum(found, D(0)) == total and all(x.as_tuple().exponent == -2 for x in found)
    largest = max(range(len(parts)), key=lambda n: (abs(parts[n]), -n))
    assert all(found[n] == round_money(p, "EUR") for n, p in enumerate(parts) if n != largest)


def test_an_exempt_account_pays_no_tax_whatever_its_rate() -> None:
    line = make_line(
        spec_of(LineKind.ONE_TIME, D(1), "each", D(100), D(100)),
        "EUR",
        TaxTerms(D(20), exemption="reverse charge, art. 196 VAT directive"),
    )
    assert (line.tax_rate, line.tax) == (D(0), D("0.00"))
    with pytest.raises(InvalidBillingInputError, match="reason"):
        TaxTerms(exemption=" ")
    with pytest.raises(InvalidBillingInputError, match="0-100"):
        TaxTerms(D(101))


@given(
    st.lists(st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False), max_size=30),
    st.sampled_from([D(0), D(7), D("19.6"), D(25)]),
)
def test_totals_are_the_sums_of_the_lines(amounts: list[D], rate: D) -> None:
    lines = [make_line(spec_of(LineKind.ADJUSTMENT, D(1), "each", a, a), "EUR", TaxTerms(rate)) for a in amounts]
    result = totals(lines, "EUR")
    assert result.subtotal == sum((line.amount for line in lines), D("0.00"))
    assert result.tax == sum((line.tax for line in lines), D("0.00"))
    assert result.total == result.subtotal + result.tax
    assert result.total.as_tuple().exponent == -2


def test_a_line_carries_every_field_of_its_spec_but_the_rounded_ones() -> None:
    """make_line names the fields it copies: a field added to LineBasis and not copied would be lost."""
    spec = LineSpec(
        kind=LineKind.RECURRING,
        description="bia-100, monthly",
        coverage=JANUARY,
        quantity=D(1),
        unit="month",
        unit_price=D("49.99"),
        gross=D("49.994"),
        discount=D("4.996"),
        subscription_id="s1",
        product="bia-100",
        price_name="monthly",
        part="base",
        period_days=31,
        promotion=Promotion("welcome", DiscountKind.PERCENT, D(10), 3),
        reference="r1",
    )
    line = make_line(spec, "EUR", TaxTerms(D(20)))
    for f in fields(LineBasis):
        if f.name not in ("gross", "discount"):
            assert getattr(line, f.name) == getattr(spec, f.name), f.name
            assert getattr(spec, f.name) != f.default, f"{f.name}: give it a value other than its default"
    assert (line.gross, line.discount, line.amount, line.tax) == (D("49.99"), D("5.00"), D("44.99"), D("9.00"))
