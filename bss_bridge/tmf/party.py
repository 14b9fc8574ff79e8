"""TMF629 Customer and TMF666 BillingAccount."""

from __future__ import annotations

from typing import Any

from bss_bridge.domain.party import BillingAccount, ContactMedium, Customer, MediumType
from bss_bridge.tmf.common import compact, href, instant, money, period, ref

MEDIUM_FIELDS = {
    "contact_type": "contactType",
    "email": "emailAddress",
    "phone": "phoneNumber",
    "street1": "street1",
    "street2": "street2",
    "city": "city",
    "post_code": "postCode",
    "state_or_province": "stateOrProvince",
    "country": "country",
}


def contact_medium(c: ContactMedium) -> dict[str, Any]:
    characteristic = {tmf: getattr(c, attr) for attr, tmf in MEDIUM_FIELDS.items() if getattr(c, attr)}
    return {"mediumType": c.medium_type.value, "preferred": c.preferred, "characteristic": characteristic}


def contact_from_tmf(data: dict[str, Any]) -> ContactMedium:
    """A ContactMedium from TMF JSON already shaped by the input model."""
    characteristic = data.get("characteristic") or {}
    attrs = {attr: str(characteristic.get(tmf) or "") for attr, tmf in MEDIUM_FIELDS.items()}
    return ContactMedium(MediumType(data["mediumType"]), bool(data.get("preferred", False)), **attrs)


def render_customer(base: str, c: Customer, accounts: list[BillingAccount] | None = None) -> dict[str, Any]:
    party = c.engaged_party
    return compact(
        {
            "id": c.id,
            "href": href(base, "customer", c.id),
            "@type": "Customer",
            "name": c.name,
            "status": c.status.value,
            "statusReason": c.status_reason,
            "engagedParty": {"id": party.id, "name": party.name, "@referredType": party.referred_type},
            "contactMedium": [contact_medium(m) for m in c.contacts],
            "account": [ref(base, "billingAccount", a.id, a.name, "BillingAccount") for a in accounts or []],
            "validFor": {"startDateTime": instant(c.created_at)},
        }
    )


def render_account(base: str, a: BillingAccount, customer_name: str) -> dict[str, Any]:
    t = a.terms
    day = t.bill_cycle.day
    exemption = t.tax_exemption
    customer = {**ref(base, "customer", a.customer_id, customer_name, "Customer"), "role": "customer"}
    return compact(
        {
            "id": a.id,
            "href": href(base, "billingAccount", a.id),
            "@type": "BssBillingAccount",
            "@baseType": "BillingAccount",
            "name": a.name,
            "state": a.state.value,
            "accountType": "billing",
            "lastModified": instant(a.updated_at),
            "relatedParty": [customer],
            "creditLimit": None if t.credit_limit is None else money(t.credit_limit, a.currency),
            "billStructure": {
                "cycleSpecification": compact(
                    {
                        "name": f"monthly on day {t.bill_cycle}",
                        "frequency": "monthly",
                        "billingDateShift": day,
                        "paymentDueDateOffset": t.payment_terms_days,
                        "isRef": False,
                    }
                )
            },
            "taxExemption": []
            if exemption is None
            else [
                compact(
                    {
                        "issuingJurisdiction": exemption.jurisdiction,
                        "certificateNumber": exemption.certificate,
                        "reason": exemption.reason,
                        "validFor": period(exemption.valid_for),
                    }
                )
            ],
            "currency": a.currency,
            "billCycleDay": "last" if day is None else day,
            "timeZone": t.time_zone,
            "taxRate": t.tax_rate_pct,
            "paymentTermsDays": t.payment_terms_days,
        }
    )
