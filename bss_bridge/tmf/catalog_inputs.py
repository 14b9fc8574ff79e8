"""TMF620 bodies as commands: ProductSpecification, ProductOffering (with its prices inline) and
ProductOfferingPrice (a new version of one of an offering's prices).

A price is given either by its full ``terms`` (the catalog file's shape: ``{"perUnit": {...}}``)
with a ``currency``, or, for the simple cases, by TMF's own fields: ``priceType`` oneTime or
recurring with ``price`` (Money).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from bss_bridge.domain import codec, commands
from bss_bridge.domain.catalog import IDENT, CharacteristicSpec, PriceTerm, ResourceKind, Value, ValueFormat, ValueType
from bss_bridge.domain.errors import BssDomainError, InvalidRequestError
from bss_bridge.domain.pricing import OneTimeCharge, RecurringCharge
from bss_bridge.domain.window import Window
from bss_bridge.tmf.inputs import NONBLANK, MoneyIn, Number, Ref, TimePeriodIn, TmfModel

JsonValue = str | bool | int | Number


class CharacteristicValueIn(TmfModel):
    value: JsonValue | None = None
    value_type: str | None = None
    is_default: bool = False
    value_from: int | None = None
    value_to: int | None = None
    range_interval: str | None = None
    unit_of_measure: str | None = None
    regex: str | None = None


class SpecCharacteristicIn(TmfModel):
    name: str = Field(pattern=IDENT.pattern)
    value_type: Literal["string", "integer", "number", "boolean"] = "string"
    description: str | None = None
    configurable: bool | None = None
    min_cardinality: int = Field(1, ge=0, le=1)
    max_cardinality: int | None = Field(None, ge=1, le=1)
    regex: str | None = None
    product_spec_characteristic_value: list[CharacteristicValueIn] = Field(default_factory=list)
    minimum: Number | None = None
    maximum: Number | None = None
    unit_of_measure: str | None = None
    service_characteristic: str | None = None
    resource_inventory_check: Literal["device", "site"] | None = None
    format: Literal["ipv4Prefix"] | None = None

    def spec(self) -> CharacteristicSpec:
        values = self.product_spec_characteristic_value
        ranges = [v for v in values if v.value is None]
        low = next((Decimal(v.value_from) for v in ranges if v.value_from is not None), self.minimum)
        high = next((Decimal(v.value_to) for v in ranges if v.value_to is not None), self.maximum)
        default = next((v.value for v in values if v.is_default and v.value is not None), None)
        return CharacteristicSpec(
            name=self.name,
            value_type=ValueType(self.value_type),
            required=self.min_cardinality == 1,
            allowed=tuple(v.value for v in values if v.value is not None and not (v.is_default and len(values) == 1)),
            minimum=low,
            maximum=high,
            regex=self.regex,
            default=default,
            unit=self.unit_of_measure or next((v.unit_of_measure for v in values if v.unit_of_measure), "") or "",
            description=self.description or "",
            service_characteristic=self.service_characteristic or "",
            resource=ResourceKind(self.resource_inventory_check) if self.resource_inventory_check else None,
            format=ValueFormat(self.format) if self.format else None,
        )


class ProductSpecificationIn(TmfModel):
    id: str | None = None
    name: str = Field(min_length=1, pattern=NONBLANK)
    description: str = ""
    version: str | None = None
    lifecycle_status: str | None = None
    is_bundle: Literal[False] | None = None
    service_specification: list[Ref] = Field(min_length=1, max_length=1)
    product_spec_characteristic: list[SpecCharacteristicIn] = Field(default_factory=list)

    def command(self, new_id: str) -> commands.DefineSpecification:
        characteristics = []
        for n, c in enumerate(self.product_spec_characteristic):
            try:
                characteristics.append(c.spec())
            except InvalidRequestError as exc:
                raise exc.within(f"productSpecCharacteristic[{n}]") from None
        service = self.service_specification[0]
        return commands.DefineSpecification(
            self.id or new_id, self.name, service.name or service.id, tuple(characteristics), self.description
        )


class ProductSpecificationPatch(TmfModel):
    name: str | None = None
    description: str | None = None
    lifecycle_status: str | None = None

    def command(self, spec_id: str) -> commands.UpdateSpecification:
        return commands.UpdateSpecification(spec_id, self.name, self.description, self.lifecycle_status)


class PriceIn(TmfModel):
    id: str | None = None
    name: str = Field(min_length=1, pattern=NONBLANK)
    description: str | None = None
    price_type: Literal["oneTime", "recurring", "usage", "discount"] | None = None
    recurring_charge_period_type: Literal["month"] | None = None
    recurring_charge_period_length: Literal[1] | None = None
    price: MoneyIn | None = None
    currency: str | None = None
    terms: dict[str, Any] | None = None
    valid_for: TimePeriodIn | None = None
    version: str | None = None
    lifecycle_status: str | None = None
    product_offering: Ref | None = None

    def charge(self) -> tuple[str, PriceTerm]:
        if self.terms is not None:
            currency = self.currency or (self.price.unit if self.price else None)
            if currency is None:
                raise InvalidRequestError.one("currency", "give the currency of the terms")
            return currency, codec.term_from_data(self.terms, "terms", self.name)
        if self.price is None or self.price_type not in ("oneTime", "recurring"):
            raise InvalidRequestError.one("terms", "give the terms, or priceType oneTime/recurring with a price")
        try:
            charge = (
                OneTimeCharge(self.price.value) if self.price_type == "oneTime" else RecurringCharge(self.price.value)
            )
        except BssDomainError as exc:
            raise InvalidRequestError.one("price.value", str(exc)) from None
        return self.price.unit, charge

    def definition(self) -> commands.PriceDefinition:
        currency, charge = self.charge()
        start = None if self.valid_for is None else self.valid_for.window().start
        return commands.PriceDefinition(self.name, currency, charge, start)


class CharValueUseIn(TmfModel):
    name: str = Field(min_length=1, pattern=NONBLANK)
    value_type: str | None = None
    min_cardinality: int | None = None
    max_cardinality: int | None = None
    product_spec_characteristic_value: list[CharacteristicValueIn] = Field(min_length=1, max_length=1)
    product_specification: Ref | None = None


class SlaIn(TmfModel):
    target: Number
    credits: list[dict[str, Number]]


class ProductOfferingIn(TmfModel):
    id: str | None = None
    name: str = Field(min_length=1, pattern=NONBLANK)
    description: str = ""
    is_bundle: bool | None = None
    is_sellable: bool = True
    lifecycle_status: str = "active"
    valid_for: TimePeriodIn | None = None
    product_specification: Ref | None = None
    bundled_product_offering: list[Ref] = Field(default_factory=list)
    prod_spec_char_value_use: list[CharValueUseIn] = Field(default_factory=list)
    product_offering_price: list[PriceIn] = Field(default_factory=list)
    sla: SlaIn | None = None

    def command(self, new_id: str) -> commands.DefineOffering:
        fixed: dict[str, Value] = {}
        for use in self.prod_spec_char_value_use:
            value = use.product_spec_characteristic_value[0].value
            if value is None:
                raise InvalidRequestError.one(f"prodSpecCharValueUse[{use.name}]", "give the fixed value")
            fixed[use.name] = value
        prices = []
        for n, price in enumerate(self.product_offering_price):
            try:
                prices.append(price.definition())
            except InvalidRequestError as exc:
                raise exc.within(f"productOfferingPrice[{n}]") from None
        sla = None if self.sla is None else codec.sla_from_data(self.sla.model_dump(), "sla")
        return commands.DefineOffering(
            self.id or new_id,
            self.name,
            specification_id=None if self.product_specification is None else self.product_specification.id,
            bundled=tuple(b.id for b in self.bundled_product_offering),
            description=self.description,
            sellable=self.is_sellable,
            valid_for=Window() if self.valid_for is None else self.valid_for.window(),
            lifecycle_status=self.lifecycle_status,
            fixed=fixed,
            sla=sla,
            prices=tuple(prices),
        )


class ProductOfferingPatch(TmfModel):
    name: str | None = None
    description: str | None = None
    is_sellable: bool | None = None
    lifecycle_status: str | None = None
    valid_for: TimePeriodIn | None = None

    def command(self, offering_id: str) -> commands.UpdateOffering:
        changes: dict[str, object] = {
            "name": self.name,
            "description": self.description,
            "sellable": self.is_sellable,
            "lifecycle_status": self.lifecycle_status,
            "valid_for": None if self.valid_for is None else self.valid_for.window(),
        }
        return commands.UpdateOffering(offering_id, {k: v for k, v in changes.items() if v is not None})


class NewPriceVersionIn(PriceIn):
    product_offering: Ref

    def command(self) -> commands.ChangePrice:
        return commands.ChangePrice(self.product_offering.id, self.definition())
