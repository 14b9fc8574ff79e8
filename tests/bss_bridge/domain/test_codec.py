"""The catalog's terms as plain data: every kind reads back as written; anything wrong names its field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bss_bridge.domain import codec
from bss_bridge.domain.catalog import CharacteristicSpec, ResourceKind, ValueFormat, ValueType
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.pricing import (
    BurstableUsage,
    CreditTier,
    DiscountKind,
    GraduatedUsage,
    OneTimeCharge,
    PerUnitUsage,
    Promotion,
    RecurringCharge,
    SlaTerms,
    Tier,
    VolumeUsage,
)

D = Decimal
TERMS = [
    OneTimeCharge(D("150.00")),
    RecurringCharge(D("79.00")),
    PerUnitUsage("GB", D("0.05"), D(1000)),
    GraduatedUsage("GB", (Tier(D(100), D("0.10")), Tier(None, D("0.05"), D(2)))),
    VolumeUsage("GB", (Tier(D(100), D("0.10")), Tier(None, D("0.05")))),
    BurstableUsage(D(100), D("3.50"), D(95)),
    Promotion("launch", DiscountKind.PERCENT, D(50), 3),
    Promotion("loyalty", DiscountKind.FIXED, D("20.00"), 12),
]


@pytest.mark.parametrize("term", TERMS, ids=lambda t: type(t).__name__)
def test_every_price_term_reads_back_as_written(term: object) -> None:
    data = codec.term_to_data(term)  # type: ignore[arg-type]
    name = term.name if isinstance(term, Promotion) else ""
    assert codec.term_from_data(data, "prices[0]", name) == term


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, r"prices\[0\]: give exactly one of oneTime, recurring"),
        ({"oneTime": "1", "recurring": "2"}, r"prices\[0\]: give exactly one of .* got oneTime, recurring"),
        ({"recurring": 79.0}, r"prices\[0\].recurring: 79.0 is not a decimal number"),
        ({"recurring": "-1"}, r"prices\[0\].recurring: a recurring amount must not be negative"),
        ({"perUnit": {"unitPrice": "1"}}, r"prices\[0\].perUnit.unit: name the unit"),
        (
            {"graduated": {"unit": "GB", "tiers": [{"upTo": 10, "unitPrice": "1"}]}},
            "the last tier must have no upper bound",
        ),
        (
            {"graduated": {"unit": "GB", "tiers": [{"upTo": None}]}},
            r"prices\[0\].graduated.tiers\[0\].unitPrice: is required",
        ),
        ({"promotion": {"percent": 10}}, r"prices\[0\].promotion.months"),
        ({"promotion": {"percent": 10, "fixed": 1, "months": 2}}, "either 'percent' or 'fixed'"),
    ],
)
def test_a_wrong_term_names_its_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        codec.term_from_data(data, "prices[0]")


def test_sla_terms_and_characteristics_round_trip() -> None:
    sla = SlaTerms(D("99.9"), (CreditTier(D("99.9"), D(10)), CreditTier(D(99), D(25)), CreditTier(D(95), D(100))))
    assert codec.sla_from_data(codec.sla_to_data(sla)) == sla
    spec = CharacteristicSpec(
        "speed",
        ValueType.NUMBER,
        allowed=(D("1.5"), D(10)),
        minimum=D(1),
        maximum=D(10),
        default=D(10),
        unit="Gbit/s",
        service_characteristic="bw",
    )
    assert codec.characteristic_from_data(codec.characteristic_to_data(spec)) == spec
    site = CharacteristicSpec("site", ValueType.STRING, resource=ResourceKind.SITE, regex="[a-z0-9]+", required=False)
    assert codec.characteristic_from_data(codec.characteristic_to_data(site)) == site
    lan = CharacteristicSpec("lan", ValueType.STRING, format=ValueFormat.IPV4_PREFIX)
    assert codec.characteristic_to_data(lan)["format"] == "ipv4Prefix"
    assert codec.characteristic_from_data(codec.characteristic_to_data(lan)) == lan
    with pytest.raises(InvalidRequestError, match=r"productSpecCharacteristic\[2\].format: one of ipv4Prefix"):
        codec.characteristic_from_data({"name": "x", "format": "ipv6Prefix"}, "productSpecCharacteristic[2]")
    with pytest.raises(InvalidRequestError, match=r"productSpecCharacteristic\[1\].valueType"):
        codec.characteristic_from_data({"name": "x", "valueType": "colour"}, "productSpecCharacteristic[1]")
    assert codec.value_from_data(codec.value_to_data(D("2.50"))) == D("2.50")
