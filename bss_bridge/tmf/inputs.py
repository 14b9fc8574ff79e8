"""Reading TMF request bodies: JSON numbers as Decimals (never floats), pydantic models that refuse
unknown fields, and every problem reported with the field it is about (``productOrderItem[0].
productOffering.id: is required``) as an :class:`InvalidRequestError`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import simplejson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel

from bss_bridge.domain.errors import InvalidMoneyError, InvalidRequestError, Problem
from bss_bridge.domain.money import MAX_EXPONENT, to_decimal
from bss_bridge.domain.window import Window

M = TypeVar("M", bound=BaseModel)

CURRENCY = r"^[A-Z]{3}$"  # an ISO 4217 code's shape (checked again by the domain)
NONBLANK = r"\S"  # text is stripped before it is checked: blanks alone are no text
DECIMAL_TEXT = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"


def _exact_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError("a number is expected")
    if isinstance(value, str) and not re.fullmatch(DECIMAL_TEXT, value):
        raise ValueError(f"{value!r} is not a decimal number")
    try:
        return to_decimal(value)  # money's range: 1e2000 would be a billion-digit string to print
    except InvalidMoneyError as exc:
        raise ValueError(str(exc)) from None


# A number, exact: a JSON number (the body's parser reads it as a Decimal, never a float) or a decimal
# string ("19.90"), as the document says (pydantic's Decimal alone would also take "1_0" or " 1 ").
Number = Annotated[
    Decimal,
    BeforeValidator(_exact_number),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": -(10**MAX_EXPONENT), "exclusiveMaximum": 10**MAX_EXPONENT},
                {"type": "string", "pattern": DECIMAL_TEXT},
            ],
            "description": f"exact; magnitudes from 1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT}",
        }
    ),
]

MESSAGES = {
    "extra_forbidden": "unknown or unsupported field",
    "missing": "is required",
}


class TmfModel(BaseModel):
    """An input: TMF's polymorphism fields are accepted (and not used), anything else unknown is refused."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, str_strip_whitespace=True, alias_generator=to_camel
    )

    type_: str | None = Field(None, alias="@type")
    base_type: str | None = Field(None, alias="@baseType")
    schema_location: str | None = Field(None, alias="@schemaLocation")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        """Every date-time of every input within :data:`EARLIEST`..:data:`LATEST` (an order or an
        offering dated 9999-12-31T23:59:59-05:00 was a 500: its UTC value overflows)."""
        if isinstance(value, datetime) and (problem := instant_problem(value, naive_ok=True)):
            raise ValueError(problem)
        return value


# Instants the BSS takes, in UTC: from 1970 through 9998. Outside, converting to UTC can overflow
# datetime (9999-12-31T23:59:59-05:00), the databases refuse or misread them, and a billing period
# or due date after them would not be a datetime any more; nothing sold or billed lies there.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # excluded


def instant_problem(moment: datetime, naive_ok: bool = False) -> str | None:
    """What is wrong with ``moment`` as an instant the BSS stores, if anything (a naive one is
    checked elsewhere where it is meant as UTC: ``naive_ok``)."""
    if moment.utcoffset() is None:
        if naive_ok:
            moment = moment.replace(tzinfo=UTC)
        else:
            return "a date-time needs its offset (2026-03-01T09:00:00Z)"
    if not EARLIEST <= moment < LATEST:  # compared as instants: never converted, so never overflowing
        return f"a date-time from {EARLIEST.year} to {LATEST.year - 1} in UTC is expected"
    return None


class Ref(TmfModel):
    id: str = Field(min_length=1, max_length=200, pattern=NONBLANK)
    href: str | None = None
    name: str | None = None
    referred_type: str | None = Field(None, alias="@referredType")


class PartyRefIn(Ref):
    role: str | None = None


class TimePeriodIn(TmfModel):
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None

    def window(self, where: str = "validFor") -> Window:
        try:
            return Window(self.start_date_time, self.end_date_time)
        except InvalidRequestError as exc:
            raise InvalidRequestError(
                Problem(p.field.replace("validFor", where, 1), p.message) for p in exc.problems
            ) from None


class MoneyIn(TmfModel):
    unit: str = Field(pattern=CURRENCY)
    value: Number


def customer_of(parties: list[PartyRefIn]) -> str:
    """The one customer among a resource's related parties (role customer or @referredType Customer)."""
    customers = [p for p in parties if p.role == "customer" or p.referred_type == "Customer"]
    if len(customers) != 1:
        raise InvalidRequestError.one(
            "relatedParty", "name exactly one customer (role customer or @referredType Customer)"
        )
    return customers[0].id


def field_of(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_of(exc: ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))  # union branches
        message = MESSAGES.get(error["type"], error["msg"].removeprefix("Value error, "))  # a validator's own words
        field = field_of(loc)
        problems.append(Problem(f"{prefix}.{field}" if prefix and field else prefix or field, message))
    return problems


def parse_json(raw: bytes) -> Any:
    """The body as JSON with its numbers kept exact."""
    if not raw.strip():
        raise InvalidRequestError.one("", "the request has no body (a JSON object is expected)")
    try:
        return simplejson.loads(raw, use_decimal=True)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequestError.one("", f"the body is not JSON: {exc}") from None


def parse_model(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidRequestError.one("", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError(problems_of(exc)) from None
