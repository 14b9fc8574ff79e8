"""A catalog file (``config/catalog.yaml``) read into a :class:`LoadCatalog` command.

Every problem is reported with its file, line and field; nothing is loaded unless the whole file is
right. The shape of prices is :mod:`bss_bridge.domain.codec`'s; see ``config/catalog.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bss_bridge.config.yamlfile import YamlFile, read_yaml
from bss_bridge.domain import codec, commands
from bss_bridge.domain.catalog import Value
from bss_bridge.domain.errors import BssDomainError, InvalidRequestError, Problem
from bss_bridge.domain.pricing import Promotion
from bss_bridge.domain.window import Window
from bss_bridge.errors import ConfigError

SPEC_KEYS = {"id", "name", "serviceSpecification", "description", "characteristics"}
OFFERING_KEYS = {
    "id",
    "name",
    "specification",
    "bundle",
    "description",
    "sellable",
    "validFor",
    "lifecycleStatus",
    "characteristics",
    "sla",
    "prices",
}
PRICE_KEYS = {"name", "currency", "validFrom", *codec.TERM_KINDS}


def _instant(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidRequestError.one(where, f"{value!r} is not a date and time (2026-01-01T00:00:00Z)") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidRequestError.one(where, f"{value!r}: give a date and time with its offset (2026-01-01T00:00:00Z)")
    return value


def _mapping(value: object, where: str, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRequestError.one(where, "expected a mapping")
    unknown = sorted(set(value) - keys)
    if unknown:
        raise InvalidRequestError.one(f"{where}.{unknown[0]}", f"unknown key (known: {', '.join(sorted(keys))})")
    return value


def _text(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError.one(f"{where}.{key}", "is required (a string)")
    return value


def _specification(data: object, where: str) -> commands.DefineSpecification:
    spec = _mapping(data, where, SPEC_KEYS)
    characteristics = spec.get("characteristics") or []
    if not isinstance(characteristics, list):
        raise InvalidRequestError.one(f"{where}.characteristics", "a list")
    return commands.DefineSpecification(
        _text(spec, "id", where),
        _text(spec, "name", where),
        _text(spec, "serviceSpecification", where),
        tuple(
            codec.characteristic_from_data(c, f"{where}.characteristics[{n}]") for n, c in enumerate(characteristics)
        ),
        str(spec.get("description", "")),
    )


def _price(data: object, where: str) -> commands.PriceDefinition:
    price = _mapping(data, where, PRICE_KEYS)
    name = _text(price, "name", where)
    charge = codec.term_from_data(price, where, name)
    if isinstance(charge, Promotion) and charge.name != name:
        raise InvalidRequestError.one(f"{where}.name", "a promotion is named by its price")
    return commands.PriceDefinition(
        name, _text(price, "currency", where), charge, _instant(price.get("validFrom"), f"{where}.validFrom")
    )


def _offering(data: object, where: str) -> commands.DefineOffering:
    offering = _mapping(data, where, OFFERING_KEYS)
    valid = _mapping(offering.get("validFor") or {}, f"{where}.validFor", {"start", "end"})
    characteristics = offering.get("characteristics") or {}
    if not isinstance(characteristics, Mapping):
        raise InvalidRequestError.one(f"{where}.characteristics", "a mapping of characteristic: fixed value")
    fixed: dict[str, Value] = {}
    for name, value in characteristics.items():
        if not isinstance(value, str | int | bool | Decimal):
            raise InvalidRequestError.one(f"{where}.characteristics.{name}", "a string, number or boolean")
        fixed[str(name)] = value
    prices = offering.get("prices") or []
    bundle = offering.get("bundle") or []
    if not isinstance(prices, list) or not isinstance(bundle, list):
        raise InvalidRequestError.one(where, "prices and bundle are lists")
    sellable = offering.get("sellable", True)
    if not isinstance(sellable, bool):
        raise InvalidRequestError.one(f"{where}.sellable", "true or false")
    return commands.DefineOffering(
        _text(offering, "id", where),
        _text(offering, "name", where),
        specification_id=offering.get("specification"),
        bundled=tuple(str(b) for b in bundle),
        description=str(offering.get("description", "")),
        sellable=sellable,
        valid_for=Window(
            _instant(valid.get("start"), f"{where}.validFor.start"), _instant(valid.get("end"), f"{where}.validFor.end")
        ),
        lifecycle_status=str(offering.get("lifecycleStatus", "active")),
        fixed=fixed,
        sla=None if offering.get("sla") is None else codec.sla_from_data(offering["sla"], f"{where}.sla"),
        prices=tuple(_price(p, f"{where}.prices[{n}]") for n, p in enumerate(prices)),
    )


def parse_catalog(file: YamlFile, apply: bool = False) -> commands.LoadCatalog:
    document = file.data or {}
    problems: list[Problem] = []
    if not isinstance(document, Mapping) or set(document) - {"specifications", "offerings"}:
        raise ConfigError([file.problem((), "a catalog file has 'specifications' and 'offerings' (lists)")])
    specifications: list[commands.DefineSpecification] = []
    offerings: list[commands.DefineOffering] = []

    def each(key: str) -> list[tuple[str, object]]:
        entries = document.get(key) or []
        if not isinstance(entries, list):
            problems.append(Problem(key, "a list"))
            return []
        return [(f"{key}[{n}]", entry) for n, entry in enumerate(entries)]

    for where, entry in each("specifications"):
        try:
            specifications.append(_specification(entry, where))
        except BssDomainError as exc:
            problems += exc.problems if isinstance(exc, InvalidRequestError) else [Problem(where, str(exc))]
    for where, entry in each("offerings"):
        try:
            offerings.append(_offering(entry, where))
        except BssDomainError as exc:
            problems += exc.problems if isinstance(exc, InvalidRequestError) else [Problem(where, str(exc))]
    if problems:
        raise ConfigError([file.problem(p.field, p.message) for p in problems])
    # components before the bundles made of them
    offerings.sort(key=lambda o: bool(o.bundled))
    return commands.LoadCatalog(tuple(specifications), tuple(offerings), apply)


def read_catalog(path: Path, apply: bool = False) -> commands.LoadCatalog:
    return parse_catalog(read_yaml(path), apply)
