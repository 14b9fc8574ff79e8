"""Customers (TMF629) and their billing accounts (TMF666).

A customer has contacts and a status; a billing account belongs to one customer and carries what
billing needs to charge it: the currency, the bill cycle day, the time zone its periods are cut
in, its tax rate or exemption, payment terms and a credit limit. The currency never changes once
the account exists: every price sold on it and every invoice is in that currency.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bss_bridge.domain import events
from bss_bridge.domain.errors import (
    ConflictError,
    InvalidMoneyError,
    InvalidRequestError,
    InvalidTransitionError,
    Problem,
)
from bss_bridge.domain.money import check_currency, to_decimal
from bss_bridge.domain.window import Window

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,30}$")
MAX_NAME = 200


def check_name(value: str, field_name: str = "name") -> str:
    value = value.strip()
    if not value:
        raise InvalidRequestError.one(field_name, "must not be empty")
    if len(value) > MAX_NAME:
        raise InvalidRequestError.one(field_name, f"at most {MAX_NAME} characters, got {len(value)}")
    return value


class MediumType(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    POSTAL_ADDRESS = "postalAddress"


@dataclass(frozen=True, slots=True)
class ContactMedium:
    """One way to reach the customer (TMF629 ContactMedium)."""

    medium_type: MediumType
    preferred: bool = False
    contact_type: str = ""
    email: str = ""
    phone: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    post_code: str = ""
    state_or_province: str = ""
    country: str = ""

    def problems(self) -> list[Problem]:
        if self.medium_type is MediumType.EMAIL and not EMAIL.fullmatch(self.email):
            return [Problem("characteristic.emailAddress", f"{self.email!r} is not an e-mail address")]
        if self.medium_type is MediumType.PHONE and not PHONE.fullmatch(self.phone):
            return [Problem("characteristic.phoneNumber", f"{self.phone!r} is not a phone number")]
        if self.medium_type is MediumType.POSTAL_ADDRESS:
            return [
                Problem(f"characteristic.{name}", "a postal address needs it")
                for name, value in (("street1", self.street1), ("city", self.city), ("country", self.country))
                if not value.strip()
            ]
        return []


def check_contacts(contacts: tuple[ContactMedium, ...]) -> tuple[ContactMedium, ...]:
    problems = [
        Problem(f"contactMedium[{n}].{p.field}", p.message) for n, c in enumerate(contacts) for p in c.problems()
    ]
    if problems:
        raise InvalidRequestError(problems)
    return contacts


@dataclass(frozen=True, slots=True)
class PartyRef:
    """The party a customer role is played by (TMF629 ``engagedParty``): kept as a reference only."""

    id: str
    name: str
    referred_type: str = "Organization"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


CUSTOMER_TRANSITIONS: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.SUSPENDED, CustomerStatus.CLOSED}),
    CustomerStatus.SUSPENDED: frozenset({CustomerStatus.ACTIVE, CustomerStatus.CLOSED}),
    CustomerStatus.CLOSED: frozenset(),
}


@dataclass(eq=False)
class Customer:
    id: str
    name: str
    engaged_party: PartyRef
    created_at: datetime
    updated_at: datetime
    contacts: tuple[ContactMedium, ...] = ()
    status: CustomerStatus = CustomerStatus.ACTIVE
    status_reason: str = ""
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        customer_id: str,
        name: str,
        now: datetime,
        contacts: tuple[ContactMedium, ...] = (),
        engaged_party: PartyRef | None = None,
    ) -> Customer:
        name = check_name(name)
        customer = cls(
            customer_id, name, engaged_party or PartyRef(customer_id, name), now, now, check_contacts(contacts)
        )
        customer.events.append(events.CustomerCreated(customer_id))
        return customer

    def update(
        self, now: datetime, *, name: str | None = None, contacts: tuple[ContactMedium, ...] | None = None
    ) -> None:
        changed: list[str] = []
        if name is not None and check_name(name) != self.name:
            self.name, changed = check_name(name), [*changed, "name"]
        if contacts is not None and check_contacts(contacts) != self.contacts:
            self.contacts, changed = contacts, [*changed, "contactMedium"]
        if changed:
            self.updated_at = now
            self.events.append(events.CustomerChanged(self.id, tuple(changed)))

    def change_status(self, new: CustomerStatus, now: datetime, reason: str = "") -> None:
        if new is self.status:
            return
        if new not in CUSTOMER_TRANSITIONS[self.status]:
            raise InvalidTransitionError(f"customer {self.id} cannot go from {self.status} to {new}")
        old, self.status, self.status_reason, self.updated_at = self.status, new, reason, now
        self.events.append(events.CustomerStatusChanged(self.id, old.value, new.value))

    @property
    def can_order(self) -> bool:
        return self.status is CustomerStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class BillCycle:
    """The day of the month a billing period starts: 1-31, or ``None`` for the month's last day. A
    day a month lacks falls on that month's last day and is never carried on: a 31 starts periods on
    January 31, February 28 (29), March 31, April 30."""

    day: int | None

    def __post_init__(self) -> None:
        if self.day is not None and not 1 <= self.day <= 31:
            raise InvalidRequestError.one("billCycleDay", f"must be 1-31 or 'last', got {self.day}")

    @classmethod
    def parse(cls, value: int | str) -> BillCycle:
        if isinstance(value, str) and value.strip().lower() == "last":
            return cls(None)
        try:
            return cls(int(value))
        except (TypeError, ValueError):
            raise InvalidRequestError.one("billCycleDay", f"must be 1-31 or 'last', got {value!r}") from None

    def day_in(self, year: int, month: int) -> int:
        last = calendar.monthrange(year, month)[1]
        return last if self.day is None else min(self.day, last)

    def __str__(self) -> str:
        return "last" if self.day is None else str(self.day)


@dataclass(frozen=True, slots=True)
class TaxExemption:
    """An exemption certificate: while valid, the account is charged no tax."""

    jurisdiction: str
    valid_for: Window
    certificate: str = ""
    reason: str = ""


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequestError.one("timeZone", f"{name!r} is not an IANA time zone (e.g. Europe/Paris)") from None
    return name


def check_tax_rate(rate: Decimal) -> Decimal:
    rate = to_decimal(rate)
    if not Decimal(0) <= rate <= Decimal(100):
        raise InvalidRequestError.one("taxRate", f"a percentage from 0 to 100, got {rate}")
    return rate


class AccountState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


ACCOUNT_TRANSITIONS: dict[AccountState, frozenset[AccountState]] = {
    AccountState.ACTIVE: frozenset({AccountState.SUSPENDED, AccountState.CLOSED}),
    AccountState.SUSPENDED: frozenset({AccountState.ACTIVE, AccountState.CLOSED}),
    AccountState.CLOSED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class AccountTerms:
    """What an account is billed on (everything but its currency may change; its bill cycle day and
    time zone only until a period was billed)."""

    bill_cycle: BillCycle = BillCycle(1)
    time_zone: str = "UTC"
    tax_rate_pct: Decimal = Decimal(0)
    tax_exemption: TaxExemption | None = None
    payment_terms_days: int = 30
    credit_limit: Decimal | None = None

    def checked(self) -> AccountTerms:
        check_time_zone(self.time_zone)
        check_tax_rate(self.tax_rate_pct)
        if not 0 <= self.payment_terms_days <= 365:
            raise InvalidRequestError.one("paymentTermsDays", f"0-365 days, got {self.payment_terms_days}")
        if self.credit_limit is not None and to_decimal(self.credit_limit) < 0:
            raise InvalidRequestError.one("creditLimit.value", f"must not be negative, got {self.credit_limit}")
        return self


FIXED_ONCE_BILLED = ("bill_cycle", "time_zone")


@dataclass(eq=False)
class BillingAccount:
    id: str
    customer_id: str
    name: str
    currency: str
    terms: AccountTerms
    created_at: datetime
    updated_at: datetime
    state: AccountState = AccountState.ACTIVE
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls, account_id: str, customer: Customer, name: str, currency: str, terms: AccountTerms, now: datetime
    ) -> BillingAccount:
        if customer.status is CustomerStatus.CLOSED:
            raise InvalidRequestError.one("relatedParty", f"customer {customer.id} is closed")
        try:
            check_currency(currency)
        except InvalidMoneyError as exc:
            raise InvalidRequestError.one("currency", str(exc)) from None
        account = cls(account_id, customer.id, check_name(name), currency, terms.checked(), now, now)
        account.events.append(events.BillingAccountCreated(account_id))
        return account

    def update(
        self,
        now: datetime,
        *,
        name: str | None = None,
        terms: AccountTerms | None = None,
        billed_through: date | None = None,
    ) -> None:
        """Change the name or terms. Once a period was billed (``billed_through``: the end of the last
        one), the bill cycle day and time zone are fixed: every later period starts where the billed
        ones end, and another day or zone would cut periods across them (days billed twice or never)."""
        moved: list[str] = []
        if terms is not None and terms.checked() != self.terms:
            moved = [f for f in AccountTerms.__dataclass_fields__ if getattr(terms, f) != getattr(self.terms, f)]
            if billed_through is not None and (fixed := [f for f in FIXED_ONCE_BILLED if f in moved]):
                raise ConflictError(
                    f"billing account {self.id} is billed through {billed_through.isoformat()}: its "
                    f"{' and '.join(f.replace('_', ' ') for f in fixed)} cannot change (periods must keep "
                    "tiling); open another billing account for the new one"
                )
        changed: list[str] = []
        if name is not None and check_name(name) != self.name:
            self.name, changed = check_name(name), [*changed, "name"]
        if terms is not None and moved:
            changed += moved
            self.terms = terms
        if changed:
            self.updated_at = now
            self.events.append(events.BillingAccountChanged(self.id, tuple(changed)))

    def change_state(self, new: AccountState, now: datetime) -> None:
        if new is self.state:
            return
        if new not in ACCOUNT_TRANSITIONS[self.state]:
            raise InvalidTransitionError(f"billing account {self.id} cannot go from {self.state} to {new}")
        old, self.state, self.updated_at = self.state, new, now
        self.events.append(events.BillingAccountStateChanged(self.id, old.value, new.value))

    def tax_rate_at(self, moment: datetime) -> Decimal:
        """The tax rate in percent charged at ``moment``: zero while an exemption is valid."""
        exemption = self.terms.tax_exemption
        if exemption is not None and exemption.valid_for.contains(moment):
            return Decimal(0)
        return self.terms.tax_rate_pct

    def with_terms(self, **changes: object) -> AccountTerms:
        return replace(self.terms, **changes)  # type: ignore[arg-type]
