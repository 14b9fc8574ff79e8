"""TMF629 Customer and TMF666 BillingAccount bodies, as commands."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bss_bridge.domain import commands
from bss_bridge.domain.errors import InvalidMoneyError, InvalidRequestError
from bss_bridge.domain.money import check_currency
from bss_bridge.domain.party import AccountTerms, BillCycle, ContactMedium, MediumType, PartyRef, TaxExemption
from bss_bridge.tmf.inputs import (
    CURRENCY,
    NONBLANK,
    MoneyIn,
    Number,
    PartyRefIn,
    Ref,
    TimePeriodIn,
    TmfModel,
    customer_of,
)


class MediumCharacteristicIn(TmfModel):
    contact_type: str | None = None
    email_address: str | None = None
    phone_number: str | None = None
    street1: str | None = None
    street2: str | None = None
    city: str | None = None
    post_code: str | None = None
    state_or_province: str | None = None
    country: str | None = None


class ContactMediumIn(TmfModel):
    medium_type: Literal["email", "phone", "postalAddress"]
    preferred: bool = False
    characteristic: MediumCharacteristicIn
    valid_for: TimePeriodIn | None = None

    def medium(self) -> ContactMedium:
        c = self.characteristic
        return ContactMedium(
            MediumType(self.medium_type),
            self.preferred,
            c.contact_type or "",
            c.email_address or "",
            c.phone_number or "",
            c.street1 or "",
            c.street2 or "",
            c.city or "",
            c.post_code or "",
            c.state_or_province or "",
            c.country or "",
        )


class CustomerIn(TmfModel):
    id: str | None = None
    name: str = Field(min_length=1, pattern=NONBLANK)
    status: Literal["active"] | None = None
    engaged_party: Ref | None = None
    contact_medium: list[ContactMediumIn] = Field(default_factory=list)

    def command(self) -> commands.CreateCustomer:
        party = self.engaged_party
        engaged = (
            None
            if party is None
            else PartyRef(party.id, party.name or self.name, party.referred_type or "Organization")
        )
        return commands.CreateCustomer(self.name, tuple(m.medium() for m in self.contact_medium), engaged, self.id)


class CustomerPatch(TmfModel):
    name: str | None = None
    status: Literal["active", "suspended", "closed"] | None = None
    status_reason: str | None = None
    contact_medium: list[ContactMediumIn] | None = None

    def command(self, customer_id: str) -> commands.UpdateCustomer:
        contacts = None if self.contact_medium is None else tuple(m.medium() for m in self.contact_medium)
        return commands.UpdateCustomer(customer_id, self.name, contacts, self.status, self.status_reason or "")


class TaxExemptionIn(TmfModel):
    issuing_jurisdiction: str = Field(min_length=1, pattern=NONBLANK)
    certificate_number: str | None = None
    reason: str | None = None
    valid_for: TimePeriodIn

    def exemption(self) -> TaxExemption:
        window = self.valid_for.window("taxExemption[0].validFor")
        return TaxExemption(self.issuing_jurisdiction, window, self.certificate_number or "", self.reason or "")


class AccountTermsIn(TmfModel):
    bill_cycle_day: int | Literal["last"] | None = None
    time_zone: str | None = None
    tax_rate: Number | None = None
    tax_exemption: list[TaxExemptionIn] | None = Field(None, max_length=1)
    payment_terms_days: int | None = None
    credit_limit: MoneyIn | None = None

    def changes(self, currency: str | None) -> dict[str, object]:
        """The AccountTerms fields given (a credit limit must be in the account's currency)."""
        out: dict[str, object] = {}
        if self.bill_cycle_day is not None:
            out["bill_cycle"] = BillCycle.parse(self.bill_cycle_day)
        if self.time_zone is not None:
            out["time_zone"] = self.time_zone
        if self.tax_rate is not None:
            out["tax_rate_pct"] = self.tax_rate
        if self.tax_exemption is not None:
            out["tax_exemption"] = self.tax_exemption[0].exemption() if self.tax_exemption else None
        if self.payment_terms_days is not None:
            out["payment_terms_days"] = self.payment_terms_days
        if self.credit_limit is not None:
            if currency is not None and self.credit_limit.unit != currency:
                raise InvalidRequestError.one(
                    "creditLimit.unit", f"the account is in {currency}, not {self.credit_limit.unit}"
                )
            out["credit_limit"] = self.credit_limit.value
        return out


class BillingAccountIn(AccountTermsIn):
    id: str | None = None
    name: str = Field(min_length=1, pattern=NONBLANK)
    related_party: list[PartyRefIn] = Field(min_length=1)
    currency: str = Field(pattern=CURRENCY)
    account_type: str | None = None
    state: Literal["active"] | None = None

    def customer_id(self) -> str:
        return customer_of(self.related_party)

    def command(self) -> commands.OpenBillingAccount:
        try:
            check_currency(self.currency)
        except InvalidMoneyError as exc:
            raise InvalidRequestError.one("currency", str(exc)) from None
        try:
            terms = AccountTerms(**self.changes(self.currency))  # type: ignore[arg-type]
        except InvalidMoneyError as exc:
            raise InvalidRequestError.one("taxRate", str(exc)) from None
        return commands.OpenBillingAccount(self.customer_id(), self.name, self.currency, terms, self.id)


class BillingAccountPatch(AccountTermsIn):
    name: str | None = None
    state: Literal["active", "suspended", "closed"] | None = None
    currency: str | None = None

    def command(self, account_id: str, currency: str) -> commands.UpdateBillingAccount:
        if self.currency is not None and self.currency != currency:
            raise InvalidRequestError.one("currency", f"an account's currency never changes (it is {currency})")
        return commands.UpdateBillingAccount(account_id, self.name, self.changes(currency), self.state)
