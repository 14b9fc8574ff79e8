"""The catalog's terms as plain data (the shape of ``config/catalog.yaml`` and of the stored JSON):
price terms, SLA terms, characteristic specifications and characteristic values.

Amounts are decimal strings (never floats); reading names the field of anything wrong::

    {recurring: "79.00"}                       RecurringCharge
    {oneTime: "150.00"}                        OneTimeCharge
    {perUnit: {unit: GB, unitPrice: "0.05", included: 1000}}
    {graduated: {unit: GB, tiers: [{upTo: 100, unitPrice: "0.10"}, {upTo: null, unitPrice: "0.05"}]}}
    {volume: {unit: GB, tiers: [...]}}         (tiers may carry flatFee)
    {burstable: {committedMbps: 100, pricePerMbps: "3.50", percentile: 95}}
    {promotion: {percent: 50, months: 3}}      or {promotion: {fixed: "20.00", months: 6}}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from bss_bridge.domain.catalog import CharacteristicSpec, PriceTerm, ResourceKind, Value, ValueFormat, ValueType
from bss_bridge.domain.errors import BssDomainError, InvalidRequestError, join_field
from bss_bridge.domain.money import to_decimal
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

TERM_KINDS = ("oneTime", "recurring", "perUnit", "graduated", "volume", "burstable", "promotion")


def _text(value: Decimal) -> str:
    return f"{value:f}"


def _mapping(data: object, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidRequestError.one(where, f"expected a mapping, got {type(data).__name__}")
    return data


def _decimal(data: Mapping[str, Any], key: str, where: str, default: Decimal | None = None) -> Decimal:
    if key not in data or data[key] is None:
        if default is None:
            raise InvalidRequestError.one(join_field(where, key), "is required")
        return default
    return _amount(data[key], join_field(where, key))


def _amount(value: object, where: str) -> Decimal:
    if not isinstance(value, Decimal | int | str) or isinstance(value, bool):
        raise InvalidRequestError.one(where, f'{value!r} is not a decimal number (write amounts as "0.05")')
    try:
        return to_decimal(value)
    except BssDomainError as exc:
        raise InvalidRequestError.one(where, str(exc)) from None


def _unit(data: Mapping[str, Any], where: str) -> str:
    unit = data.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise InvalidRequestError.one(join_field(where, "unit"), "name the unit usage is counted in (e.g. GB)")
    return unit


def _tiers(data: Mapping[str, Any], where: str) -> tuple[Tier, ...]:
    tiers = data.get("tiers")
    if not isinstance(tiers, list):
        raise InvalidRequestError.one(join_field(where, "tiers"), "a list of tiers")
    result = []
    for n, raw in enumerate(tiers):
        tier = _mapping(raw, f"{where}.tiers[{n}]")
        up_to = None if tier.get("upTo") is None else _decimal(tier, "upTo", f"{where}.tiers[{n}]")
        result.append(
            Tier(
                up_to,
                _decimal(tier, "unitPrice", f"{where}.tiers[{n}]"),
                _decimal(tier, "flatFee", f"{where}.tiers[{n}]", Decimal(0)),
            )
        )
    return tuple(result)


def _promotion(data: Mapping[str, Any], where: str, name: str) -> Promotion:
    months = data.get("months")
    if not isinstance(months, int) or isinstance(months, bool):
        raise InvalidRequestError.one(
            join_field(where, "months"), "how many months the discount lasts (a whole number)"
        )
    if ("percent" in data) == ("fixed" in data):
        raise InvalidRequestError.one(where, "a promotion is either 'percent' or 'fixed'")
    kind = DiscountKind.PERCENT if "percent" in data else DiscountKind.FIXED
    return Promotion(name, kind, _decimal(data, kind.value, where), months)


_READERS: dict[str, Callable[[Any, str, str], PriceTerm]] = {
    "oneTime": lambda v, w, n: OneTimeCharge(_amount(v, w)),
    "recurring": lambda v, w, n: RecurringCharge(_amount(v, w)),
    "perUnit": lambda v, w, n: PerUnitUsage(
        _unit(_mapping(v, w), w), _decimal(v, "unitPrice", w), _decimal(v, "included", w, Decimal(0))
    ),
    "graduated": lambda v, w, n: GraduatedUsage(_unit(_mapping(v, w), w), _tiers(v, w)),
    "volume": lambda v, w, n: VolumeUsage(_unit(_mapping(v, w), w), _tiers(v, w)),
    "burstable": lambda v, w, n: BurstableUsage(
        _decimal(_mapping(v, w), "committedMbps", w),
        _decimal(v, "pricePerMbps", w),
        _decimal(v, "percentile", w, Decimal(95)),
    ),
    "promotion": lambda v, w, n: _promotion(_mapping(v, w), w, n),
}


def term_from_data(data: Mapping[str, Any], where: str = "", name: str = "") -> PriceTerm:
    """The one price term in ``data`` (exactly one of :data:`TERM_KINDS`)."""
    kinds = [k for k in TERM_KINDS if k in data]
    if len(kinds) != 1:
        raise InvalidRequestError.one(
            where, f"give exactly one of {', '.join(TERM_KINDS)}; got {', '.join(kinds) or 'none'}"
        )
    kind = kinds[0]
    try:
        return _READERS[kind](data[kind], join_field(where, kind), name)
    except InvalidRequestError:
        raise
    except BssDomainError as exc:
        raise InvalidRequestError.one(join_field(where, kind), str(exc)) from None


def term_to_data(term: PriceTerm) -> dict[str, Any]:
    if isinstance(term, OneTimeCharge):
        return {"oneTime": _text(term.amount)}
    if isinstance(term, RecurringCharge):
        return {"recurring": _text(term.monthly_amount)}
    if isinstance(term, PerUnitUsage):
        return {"perUnit": {"unit": term.unit, "unitPrice": _text(term.unit_price), "included": _text(term.included)}}
    if isinstance(term, GraduatedUsage | VolumeUsage):
        tiers = [
            {
                "upTo": None if t.up_to is None else _text(t.up_to),
                "unitPrice": _text(t.unit_price),
                "flatFee": _text(t.flat_fee),
            }
            for t in term.tiers
        ]
        return {("graduated" if isinstance(term, GraduatedUsage) else "volume"): {"unit": term.unit, "tiers": tiers}}
    if isinstance(term, BurstableUsage):
        return {
            "burstable": {
                "committedMbps": _text(term.committed_mbps),
                "pricePerMbps": _text(term.price_per_mbps),
                "percentile": _text(term.percentile),
            }
        }
    return {"promotion": {term.kind.value: _text(term.value), "months": term.months}}


def sla_from_data(data: Mapping[str, Any], where: str = "sla") -> SlaTerms:
    credits = data.get("credits")
    if not isinstance(credits, list):
        raise InvalidRequestError.one(join_field(where, "credits"), "a list of {below, credit} percentages")
    try:
        return SlaTerms(
            _decimal(data, "target", where),
            tuple(
                CreditTier(
                    _decimal(_mapping(c, f"{where}.credits[{n}]"), "below", f"{where}.credits[{n}]"),
                    _decimal(c, "credit", f"{where}.credits[{n}]"),
                )
                for n, c in enumerate(credits)
            ),
        )
    except InvalidRequestError:
        raise
    except BssDomainError as exc:
        raise InvalidRequestError.one(where, str(exc)) from None


def sla_to_data(sla: SlaTerms) -> dict[str, Any]:
    return {
        "target": _text(sla.availability_target_pct),
        "credits": [{"below": _text(t.below_pct), "credit": _text(t.credit_pct)} for t in sla.credit_tiers],
    }


def value_to_data(value: Value) -> Any:
    """JSON-safe: a Decimal becomes ``{"decimal": "1.5"}`` so it reads back as a Decimal."""
    return {"decimal": _text(value)} if isinstance(value, Decimal) else value


def value_from_data(data: Any) -> Value:
    if isinstance(data, Mapping) and set(data) == {"decimal"}:
        return Decimal(str(data["decimal"]))
    if isinstance(data, str | int | bool):
        return data
    raise InvalidRequestError.one("value", f"{data!r} is not a characteristic value")


def characteristic_to_data(spec: CharacteristicSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": spec.name, "valueType": spec.value_type.value, "required": spec.required}
    if spec.allowed:
        data["values"] = [value_to_data(v) for v in spec.allowed]
    for key, value in (("min", spec.minimum), ("max", spec.maximum)):
        if value is not None:
            data[key] = _text(value)
    for key, text in (
        ("regex", spec.regex),
        ("unit", spec.unit),
        ("description", spec.description),
        ("serviceCharacteristic", spec.service_characteristic),
        ("resource", spec.resource.value if spec.resource else None),
        ("format", spec.format.value if spec.format else None),
    ):
        if text:
            data[key] = text
    if spec.default is not None:
        data["default"] = value_to_data(spec.default)
    return data


def characteristic_from_data(data: Mapping[str, Any], where: str = "") -> CharacteristicSpec:
    try:
        value_type = ValueType(data.get("valueType", "string"))
    except ValueError:
        raise InvalidRequestError.one(
            join_field(where, "valueType"), f"one of {', '.join(v.value for v in ValueType)}"
        ) from None
    try:
        resource = ResourceKind(data["resource"]) if data.get("resource") else None
    except ValueError:
        raise InvalidRequestError.one(join_field(where, "resource"), "device or site") from None
    try:
        value_format = ValueFormat(data["format"]) if data.get("format") else None
    except ValueError:
        raise InvalidRequestError.one(join_field(where, "format"), f"one of {', '.join(ValueFormat)}") from None
    values = data.get("values") or []
    if not isinstance(values, list):
        raise InvalidRequestError.one(join_field(where, "values"), "a list of allowed values")
    try:
        return CharacteristicSpec(
            name=str(data.get("name", "")),
            value_type=value_type,
            required=bool(data.get("required", True)),
            allowed=tuple(value_from_data(v) for v in values),
            minimum=None if data.get("min") is None else _decimal(data, "min", where),
            maximum=None if data.get("max") is None else _decimal(data, "max", where),
            regex=data.get("regex"),
            default=None if data.get("default") is None else value_from_data(data["default"]),
            unit=str(data.get("unit", "")),
            description=str(data.get("description", "")),
            service_characteristic=str(data.get("serviceCharacteristic", "")),
            resource=resource,
            format=value_format,
        )
    except InvalidRequestError as exc:
        raise exc.within(where) from None
