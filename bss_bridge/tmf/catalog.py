"""TMF620 ProductSpecification, ProductOffering and ProductOfferingPrice.

A price version is a ProductOfferingPrice: ``version`` and ``validFor`` say which and when,
``lifecycleStatus`` whether it is in force (``active``), yet to come (``planned``) or replaced
(``retired``). TMF's fields carry what they can (``price``, ``unitOfMeasure``, ``percentage``,
``productOfferingTerm``); the full terms (allowance, tiers, committed rate) are in ``terms``, in
the catalog file's own shape, on the ``BssProductOfferingPrice`` sub-type.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bss_bridge.domain import codec
from bss_bridge.domain.catalog import CharacteristicSpec, OfferingPrice, ProductSpecification
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.pricing import (
    BurstableUsage,
    DiscountKind,
    GraduatedUsage,
    OneTimeCharge,
    PerUnitUsage,
    Promotion,
    RecurringCharge,
    VolumeUsage,
)
from bss_bridge.tmf.common import characteristics, compact, href, instant, money, period, ref


def _integral(value: Decimal | None) -> int | None:
    return None if value is None or value != value.to_integral_value() else int(value)


def render_characteristic(spec: CharacteristicSpec) -> dict[str, Any]:
    values: list[dict[str, Any]] = [
        {"value": v, "valueType": spec.value_type.value, "isDefault": v == spec.default} for v in spec.allowed
    ]
    if spec.minimum is not None or spec.maximum is not None:
        values.append(
            compact(
                {
                    "valueType": spec.value_type.value,
                    "valueFrom": _integral(spec.minimum),
                    "valueTo": _integral(spec.maximum),
                    "rangeInterval": "closed",
                    "unitOfMeasure": spec.unit,
                }
            )
        )
    elif spec.default is not None and not spec.allowed:
        values.append({"value": spec.default, "valueType": spec.value_type.value, "isDefault": True})
    return compact(
        {
            "name": spec.name,
            "@type": "BssProductSpecCharacteristic",
            "@baseType": "ProductSpecificationCharacteristic",
            "valueType": spec.value_type.value,
            "description": spec.description,
            "configurable": True,
            "minCardinality": 1 if spec.required else 0,
            "maxCardinality": 1,
            "regex": spec.regex,
            "productSpecCharacteristicValue": values,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "unitOfMeasure": spec.unit,
            "serviceCharacteristic": spec.maps_to,
            "resourceInventoryCheck": spec.resource.value if spec.resource else None,
            "format": spec.format.value if spec.format else None,
        }
    )


def render_specification(base: str, s: ProductSpecification) -> dict[str, Any]:
    return compact(
        {
            "id": s.id,
            "href": href(base, "productSpecification", s.id),
            "@type": "ProductSpecification",
            "name": s.name,
            "description": s.description,
            "version": s.version,
            "lifecycleStatus": s.lifecycle_status,
            "lastUpdate": instant(s.updated_at),
            "isBundle": False,
            "serviceSpecification": [{"id": s.service_specification, "name": s.service_specification}],
            "productSpecCharacteristic": [render_characteristic(c) for c in s.characteristics],
        }
    )


def lifecycle(price: OfferingPrice, now: datetime) -> str:
    window = price.valid_for
    if window.contains(now):
        return "active"
    return "planned" if window.start is not None and now < window.start else "retired"


def price_fields(p: OfferingPrice) -> dict[str, Any]:
    """What TMF620's own fields can say about the charge."""
    charge = p.charge
    if isinstance(charge, OneTimeCharge):
        return {"price": money(charge.amount, p.currency)}
    if isinstance(charge, RecurringCharge):
        return {
            "price": money(charge.monthly_amount, p.currency),
            "recurringChargePeriodType": "month",
            "recurringChargePeriodLength": 1,
        }
    if isinstance(charge, Promotion):
        duration = [{"name": "promotion", "duration": {"amount": charge.months, "units": "month"}}]
        amount = (
            {"percentage": charge.value}
            if charge.kind is DiscountKind.PERCENT
            else {"price": money(charge.value, p.currency)}
        )
        return {**amount, "recurringChargePeriodType": "month", "productOfferingTerm": duration}
    if isinstance(charge, PerUnitUsage):
        return {"price": money(charge.unit_price, p.currency), "unitOfMeasure": {"amount": 1, "units": charge.unit}}
    if isinstance(charge, BurstableUsage):
        return {"price": money(charge.price_per_mbps, p.currency), "unitOfMeasure": {"amount": 1, "units": "Mbit/s"}}
    assert isinstance(charge, GraduatedUsage | VolumeUsage)
    return {"unitOfMeasure": {"amount": 1, "units": charge.unit}}


def render_price(base: str, p: OfferingPrice, now: datetime, offering_name: str | None = None) -> dict[str, Any]:
    return compact(
        {
            "id": p.id,
            "href": href(base, "productOfferingPrice", p.id),
            "@type": "BssProductOfferingPrice",
            "@baseType": "ProductOfferingPrice",
            "name": p.name,
            "version": str(p.version),
            "priceType": p.price_type,
            "lifecycleStatus": lifecycle(p, now),
            "validFor": period(p.valid_for),
            **price_fields(p),
            "currency": p.currency,
            "terms": codec.term_to_data(p.charge),
            "productOffering": ref(base, "productOffering", p.offering_id, offering_name),
        }
    )


def render_offering(base: str, o: ProductOffering, now: datetime, spec_name: str | None = None) -> dict[str, Any]:
    fixed = [
        {
            "name": name,
            "minCardinality": 1,
            "maxCardinality": 1,
            "productSpecCharacteristicValue": [{"value": c["value"], "valueType": c["valueType"], "isDefault": True}],
        }
        for name, c in ((c["name"], c) for c in characteristics(o.fixed))
    ]
    prices = [
        compact(
            {
                **ref(base, "productOfferingPrice", p.id, p.name),
                "priceType": p.price_type,
                "version": str(p.version),
                "validFor": period(p.valid_for),
                "lifecycleStatus": lifecycle(p, now),
            }
        )
        for p in sorted(o.prices, key=lambda p: (p.name, p.currency, p.version))
    ]
    return compact(
        {
            "id": o.id,
            "href": href(base, "productOffering", o.id),
            "@type": "BssProductOffering",
            "@baseType": "ProductOffering",
            "name": o.name,
            "description": o.description,
            "isBundle": o.is_bundle,
            "isSellable": o.sellable,
            "lifecycleStatus": o.lifecycle_status,
            "lastUpdate": instant(o.updated_at),
            "validFor": period(o.valid_for),
            "productSpecification": None
            if o.specification_id is None
            else ref(base, "productSpecification", o.specification_id, spec_name),
            "bundledProductOffering": [ref(base, "productOffering", b) for b in o.bundled],
            "prodSpecCharValueUse": fixed,
            "productOfferingPrice": prices,
            "serviceLevelAgreement": None
            if o.sla is None
            else {"id": f"{o.id}.sla", "name": f"{o.sla.availability_target_pct} % availability"},
            "sla": None if o.sla is None else codec.sla_to_data(o.sla),
        }
    )
