"""Domain objects <-> the JSON kept in rows: contacts, exemptions, price snapshots (what an order
item and a subscription term were sold at, with the version's id and window), characteristic values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bss_bridge.domain import codec
from bss_bridge.domain.catalog import OfferingPrice, Value
from bss_bridge.domain.party import ContactMedium, MediumType, PartyRef, TaxExemption
from bss_bridge.domain.window import Window

CONTACT_FIELDS = (
    "contact_type",
    "email",
    "phone",
    "street1",
    "street2",
    "city",
    "post_code",
    "state_or_province",
    "country",
)


def instant_from_data(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def instant_to_data(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def contacts_to_data(contacts: tuple[ContactMedium, ...]) -> list[Any]:
    return [
        {
            "mediumType": c.medium_type.value,
            "preferred": c.preferred,
            **{f: getattr(c, f) for f in CONTACT_FIELDS if getattr(c, f)},
        }
        for c in contacts
    ]


def contacts_from_data(data: list[Any]) -> tuple[ContactMedium, ...]:
    return tuple(
        ContactMedium(
            MediumType(d["mediumType"]), bool(d.get("preferred")), **{f: d.get(f, "") for f in CONTACT_FIELDS}
        )
        for d in data
    )


def party_to_data(party: PartyRef) -> dict[str, Any]:
    return {"id": party.id, "name": party.name, "referredType": party.referred_type}


def party_from_data(data: Mapping[str, Any]) -> PartyRef:
    return PartyRef(data["id"], data["name"], data.get("referredType", "Organization"))


def exemption_to_data(exemption: TaxExemption | None) -> dict[str, Any] | None:
    if exemption is None:
        return None
    window = exemption.valid_for
    return {
        "jurisdiction": exemption.jurisdiction,
        "certificate": exemption.certificate,
        "reason": exemption.reason,
        "validFrom": instant_to_data(window.start),
        "validTo": instant_to_data(window.end),
    }


def exemption_from_data(data: Mapping[str, Any] | None) -> TaxExemption | None:
    if data is None:
        return None
    window = Window(instant_from_data(data.get("validFrom")), instant_from_data(data.get("validTo")))
    return TaxExemption(data["jurisdiction"], window, data.get("certificate", ""), data.get("reason", ""))


def price_to_data(price: OfferingPrice) -> dict[str, Any]:
    window = price.valid_for
    return {
        "id": price.id,
        "offeringId": price.offering_id,
        "name": price.name,
        "currency": price.currency,
        "version": price.version,
        "validFrom": instant_to_data(window.start),
        "validTo": instant_to_data(window.end),
        **codec.term_to_data(price.charge),
    }


def price_from_data(data: Mapping[str, Any]) -> OfferingPrice:
    terms = {k: v for k, v in data.items() if k in codec.TERM_KINDS}
    return OfferingPrice(
        data["id"],
        data["offeringId"],
        data["name"],
        data["currency"],
        int(data["version"]),
        Window(instant_from_data(data["validFrom"]), instant_from_data(data["validTo"])),
        codec.term_from_data(terms, "", data["name"]),
    )


def values_to_data(values: Mapping[str, Value]) -> dict[str, Any]:
    return {name: codec.value_to_data(value) for name, value in values.items()}


def values_from_data(data: Mapping[str, Any]) -> dict[str, Value]:
    return {name: codec.value_from_data(value) for name, value in data.items()}
