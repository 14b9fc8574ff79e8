"""The product catalog (TMF620): specifications, offerings and their versioned prices.

- A **product specification** names the OSS service specification that realises it and, for each
  of its characteristics, the service characteristic it maps to: the only coupling between the
  BSS's catalog and the OSS's. A characteristic may require its value to exist in the OSS's
  resource inventory (a device, or a site some device is at): the order checks it over TMF639.
- A **product offering** sells one specification (or bundles other offerings), within its
  ``validFor`` window and while its sellable flag is set; it may fix characteristic values (the
  100 Mbit/s offering fixes ``bandwidthMbps`` to 100).
- **Prices are versioned**: each named price (per currency) is a chain of versions whose windows
  tile; a price change adds a version from a date on and closes the previous one there. An order
  takes the versions valid at its order date, and a subscription keeps what it was sold at until
  it is migrated.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bss_bridge.domain import events
from bss_bridge.domain.errors import InvalidRequestError, Problem
from bss_bridge.domain.party import check_name
from bss_bridge.domain.pricing import PriceComponent, Promotion, price_type
from bss_bridge.domain.window import Window

Value = str | int | Decimal | bool
IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_id(value: str, field_name: str = "id") -> str:
    if not IDENT.fullmatch(value):  # not match(): '$' lets a final line break through
        raise InvalidRequestError.one(field_name, f"{value!r}: 1-64 letters, digits, '.', '_' or '-'")
    return value


class ValueType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"


class ValueFormat(StrEnum):
    """What a string characteristic's value must be beyond its type, where a regex cannot say it."""

    IPV4_PREFIX = "ipv4Prefix"  # a customer LAN, as the OSS will take it


# What the OSS takes as a customer LAN (it becomes a static route and a BGP network on the PE): a /8
# to a /30 with its host bits zero, over none of the blocks RFC 6890 gives a special meaning to.
LAN_PREFIX_LENGTHS = range(8, 31)
SPECIAL_PURPOSE = tuple(
    (ipaddress.IPv4Network(block), meaning)
    for block, meaning in (
        ("0.0.0.0/8", "'this network'"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved (and the broadcast address)"),
    )
)


def ipv4_prefix_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a customer LAN, or None: refused at the order, not after it is
    accepted and its charges started, when the OSS refuses it."""
    try:
        network = ipaddress.IPv4Network(text)
    except ValueError:
        try:
            meant = ipaddress.IPv4Network(text, strict=False)
        except ValueError:
            return f"{text!r} is not an IPv4 prefix (like 192.0.2.0/24)"
        return f"{text} has host bits set: did you mean {meant}?"
    if str(network) != text:
        return f"{text!r}: write the prefix as {network}"
    if network.prefixlen not in LAN_PREFIX_LENGTHS:
        return f"{text}: a customer LAN is a /8 to a /30, not a /{network.prefixlen}"
    for block, meaning in SPECIAL_PURPOSE:
        if network.overlaps(block):
            return f"{text} overlaps {block}, {meaning} addresses, which are never a customer LAN"
    return None


class ResourceKind(StrEnum):
    """What a characteristic's value names in the OSS's resource inventory (TMF639)."""

    DEVICE = "device"
    SITE = "site"


def _typed(value: object, kind: ValueType) -> Value:
    """``value`` as ``kind`` (an integral Decimal is an integer, an int is a number); else ValueError."""
    if kind is ValueType.BOOLEAN and isinstance(value, bool):
        return value
    if isinstance(value, bool):
        raise ValueError
    if kind is ValueType.STRING and isinstance(value, str):
        return value
    if kind is ValueType.INTEGER:
        if isinstance(value, int):
            return value
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            return int(value)
    if kind is ValueType.NUMBER and isinstance(value, int | Decimal) and Decimal(value).is_finite():
        return Decimal(value)
    raise ValueError


@dataclass(frozen=True, slots=True)
class CharacteristicSpec:
    """One characteristic of a product specification and the rules its value must follow."""

    name: str
    value_type: ValueType
    required: bool = True
    allowed: tuple[Value, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    regex: str | None = None
    default: Value | None = None
    unit: str = ""
    description: str = ""
    service_characteristic: str = ""  # the OSS service characteristic it maps to; empty: the same name
    resource: ResourceKind | None = None
    format: ValueFormat | None = None

    def __post_init__(self) -> None:
        if not self.name or not IDENT.fullmatch(self.name):
            raise InvalidRequestError.one("name", f"{self.name!r} is not a characteristic name")
        if self.resource is not None and self.value_type is not ValueType.STRING:
            raise InvalidRequestError.one("valueType", "a characteristic naming a device or site is a string")
        if self.format is not None and self.value_type is not ValueType.STRING:
            raise InvalidRequestError.one("valueType", f"a characteristic of format {self.format} is a string")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise InvalidRequestError.one("regex", f"not a regular expression: {exc}") from None
        if self.minimum is not None and self.maximum is not None and self.maximum < self.minimum:
            raise InvalidRequestError.one("valueTo", f"{self.maximum} is below valueFrom {self.minimum}")
        object.__setattr__(
            self, "allowed", tuple(self._checked(v, "productSpecCharacteristicValue") for v in self.allowed)
        )
        if self.default is not None:
            object.__setattr__(self, "default", self.check(self.default))

    def _checked(self, value: object, where: str) -> Value:
        try:
            return _typed(value, self.value_type)
        except ValueError:
            raise InvalidRequestError.one(where, f"{value!r} is not of type {self.value_type}") from None

    @property
    def maps_to(self) -> str:
        return self.service_characteristic or self.name

    @property
    def may_join_a_sold_specification(self) -> bool:
        """Optional or defaulted: products already made without it stay valid."""
        return not self.required or self.default is not None

    def validation_differs(self, other: CharacteristicSpec) -> bool:
        """``other`` is this characteristic with another regex or format (its description aside):
        what it accepts may change, nothing else about it (type, whether required, default, values,
        range, unit, what it maps to in the OSS)."""
        same_rules = dataclasses.replace(self, regex=other.regex, format=other.format, description=other.description)
        return same_rules == other and (self.regex, self.format) != (other.regex, other.format)

    def check(self, value: object) -> Value:
        """``value`` normalised to this characteristic's type, or an error on ``value``."""
        typed = self._checked(value, "value")
        if self.allowed and typed not in self.allowed:
            choices = ", ".join(str(v) for v in self.allowed)
            raise InvalidRequestError.one("value", f"{typed!r} is not one of {choices}")
        if isinstance(typed, int | Decimal) and not isinstance(typed, bool):
            if self.minimum is not None and typed < self.minimum:
                raise InvalidRequestError.one("value", f"{typed} is below the minimum {self.minimum}{self.unit_text}")
            if self.maximum is not None and typed > self.maximum:
                raise InvalidRequestError.one("value", f"{typed} is above the maximum {self.maximum}{self.unit_text}")
        if isinstance(typed, str):
            if not typed.strip():
                raise InvalidRequestError.one("value", "must not be empty")
            if self.regex is not None and not re.fullmatch(self.regex, typed):
                raise InvalidRequestError.one("value", f"{typed!r} does not match {self.regex}")
            problem = ipv4_prefix_problem(typed) if self.format is ValueFormat.IPV4_PREFIX else None
            if problem is not None:
                raise InvalidRequestError.one("value", f"{self.name}: {problem}")
        return typed

    @property
    def unit_text(self) -> str:
        return f" {self.unit}" if self.unit else ""


@dataclass(eq=False)
class ProductSpecification:
    id: str
    name: str
    service_specification: str
    characteristics: tuple[CharacteristicSpec, ...]
    created_at: datetime
    updated_at: datetime
    description: str = ""
    version: str = "1"
    lifecycle_status: str = "active"
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        spec_id: str,
        name: str,
        service_specification: str,
        characteristics: tuple[CharacteristicSpec, ...],
        now: datetime,
        description: str = "",
    ) -> ProductSpecification:
        check_id(spec_id)
        if not service_specification.strip():
            raise InvalidRequestError.one("serviceSpecification", "name the OSS service specification that realises it")
        names = [c.name for c in characteristics]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidRequestError.one("productSpecCharacteristic", f"named twice: {', '.join(duplicates)}")
        spec = cls(spec_id, check_name(name), service_specification, characteristics, now, now, description)
        spec.events.append(events.ProductSpecificationCreated(spec_id))
        return spec

    def update(
        self,
        now: datetime,
        *,
        name: str | None = None,
        description: str | None = None,
        lifecycle_status: str | None = None,
    ) -> None:
        changed = []
        for attr, value in (("name", name), ("description", description), ("lifecycle_status", lifecycle_status)):
            if value is not None and value != getattr(self, attr):
                setattr(self, attr, check_name(value) if attr == "name" else value)
                changed.append(attr)
        if changed:
            self.updated_at = now
            self.events.append(events.ProductSpecificationChanged(self.id, tuple(changed)))

    def extend(self, now: datetime, added: Sequence[CharacteristicSpec]) -> None:
        """New characteristics for a specification that may already be sold. Each must be optional
        or carry a default, so that every product already made under it stays valid; the version
        goes up by one. Changing or removing a characteristic is a new specification."""
        problems = []
        for c in added:
            where = f"productSpecCharacteristic[{c.name}]"
            if self.characteristic(c.name) is not None:
                problems.append(Problem(where, f"{self.id} already has a characteristic {c.name!r}"))
            elif not c.may_join_a_sold_specification:
                message = "a characteristic added to a specification in use must be optional or have a default"
                problems.append(Problem(where, message))
        if problems:
            raise InvalidRequestError(problems)
        if not added:
            return
        self.characteristics = (*self.characteristics, *added)
        self.version = str(int(self.version) + 1) if self.version.isdigit() else f"{self.version}+1"
        self.updated_at = now
        self.events.append(events.ProductSpecificationChanged(self.id, ("productSpecCharacteristic",)))

    def revalidate(self, now: datetime, revised: Sequence[CharacteristicSpec]) -> None:
        """Characteristics whose values are now checked by another regex or format (see
        :meth:`CharacteristicSpec.validation_differs`), each replacing the one of its name; the
        version goes up by one. The caller has checked the values already stored against them."""
        by_name = {c.name: c for c in revised}
        problems = [
            Problem(f"productSpecCharacteristic[{c.name}]", f"{self.id} has no characteristic {c.name!r} like it")
            for c in revised
            if (current := self.characteristic(c.name)) is None or not current.validation_differs(c)
        ]
        if problems:
            raise InvalidRequestError(problems)
        if not revised:
            return
        self.characteristics = tuple(by_name.get(c.name, c) for c in self.characteristics)
        self.version = str(int(self.version) + 1) if self.version.isdigit() else f"{self.version}+1"
        self.updated_at = now
        self.events.append(events.ProductSpecificationChanged(self.id, ("productSpecCharacteristic",)))

    def characteristic(self, name: str) -> CharacteristicSpec | None:
        return next((c for c in self.characteristics if c.name == name), None)

    def values(
        self,
        given: Sequence[tuple[str, object]],
        fixed: Mapping[str, Value] | None = None,
        base: Mapping[str, Value] | None = None,
        fields: Sequence[str] | None = None,
        missing: str = "productCharacteristic",
    ) -> dict[str, Value]:
        """The characteristic values of a product: ``given`` (name, value) pairs in request order,
        checked against this specification and an offering's ``fixed`` values; what is not given is
        the fixed value, else ``base`` (a modified product's current value), else the default.
        Problems name ``fields[i]`` (by default ``productCharacteristic[i]``) of a wrong pair, and
        ``missing`` for a required value not given."""
        fixed, base = fixed or {}, base or {}
        where = list(fields) if fields is not None else [f"productCharacteristic[{n}]" for n in range(len(given))]
        problems: list[Problem] = []
        result: dict[str, Value] = {}
        seen: set[str] = set()
        for n, (name, value) in enumerate(given):
            spec = self.characteristic(name)
            if spec is None:
                known = ", ".join(c.name for c in self.characteristics) or "none"
                message = f"{name!r} is not a characteristic of {self.id} (known: {known})"
                problems.append(Problem(f"{where[n]}.name", message))
                continue
            if name in seen:
                problems.append(Problem(f"{where[n]}.name", f"{name!r} is given twice"))
                continue
            seen.add(name)
            try:
                result[name] = spec.check(value)
            except InvalidRequestError as exc:
                problems += exc.within(where[n]).problems
                continue
            if name in fixed and result[name] != fixed[name]:
                problems.append(Problem(f"{where[n]}.value", f"this offering fixes {name} to {fixed[name]}"))
        for spec in self.characteristics:
            if spec.name in seen:
                continue
            if spec.name in fixed:
                result[spec.name] = fixed[spec.name]
            elif spec.name in base:
                result[spec.name] = base[spec.name]
            elif spec.default is not None:
                result[spec.name] = spec.default
            elif spec.required:
                problems.append(Problem(missing, f"{spec.name} is required{_hint(spec)}"))
        if problems:
            raise InvalidRequestError(problems)
        return result

    def service_values(self, values: Mapping[str, Value]) -> dict[str, Value]:
        """The same values named as the OSS service specification names them."""
        return {spec.maps_to: values[spec.name] for spec in self.characteristics if spec.name in values}

    def resource_checks(self, values: Mapping[str, Value]) -> list[tuple[str, ResourceKind, str]]:
        """(characteristic, kind, value) for every value that must exist in the OSS's inventory."""
        return [
            (spec.name, spec.resource, str(values[spec.name]))
            for spec in self.characteristics
            if spec.resource is not None and spec.name in values
        ]


def _hint(spec: CharacteristicSpec) -> str:
    if spec.allowed:
        return f" (one of {', '.join(str(v) for v in spec.allowed)})"
    if spec.resource is not None:
        return f" (a {spec.resource} of the OSS's resource inventory)"
    return f" ({spec.value_type})"


PriceTerm = PriceComponent | Promotion


@dataclass(frozen=True, slots=True)
class OfferingPrice:
    """One version of one of an offering's named prices. ``charge`` is what is charged (one-time,
    recurring, usage) or, for a promotion, the discount granted on the recurring charges."""

    id: str
    offering_id: str
    name: str
    currency: str
    version: int
    valid_for: Window
    charge: PriceTerm

    @property
    def price_type(self) -> str:
        """TMF620 ``priceType``: oneTime, recurring, usage, or discount for a promotion."""
        return "discount" if isinstance(self.charge, Promotion) else price_type(self.charge).value

    @property
    def chain(self) -> tuple[str, str]:
        """Versions of the same (name, currency) replace each other."""
        return self.name, self.currency


def price_id(offering_id: str, name: str, currency: str, version: int) -> str:
    return f"{offering_id}.{name}.{currency}.v{version}"
