"""TMF629 customers and TMF666 billing accounts over HTTP: schema-valid answers, paging, fields,
filters, errors that name the field and store nothing, bearer tokens, hub notifications."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints.api import create_app

from ..billing_world import bill, subscribe, utc
from ..conftest import Clock, KnownInventory, make_bss
from .conftest import decimal_json, exact_body, validate

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
ACME = {
    "name": "ACME Ltd",
    "engagedParty": {"id": "org-1", "name": "ACME Limited", "@referredType": "Organization"},
    "contactMedium": [
        {
            "mediumType": "email",
            "preferred": True,
            "characteristic": {"emailAddress": "noc@acme.example", "contactType": "noc"},
        },
        {
            "mediumType": "postalAddress",
            "characteristic": {"street1": "1 Quay", "city": "Lyon", "country": "FR", "postCode": "69001"},
        },
    ],
}


def account_body(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "ACME main",
        "@type": "BssBillingAccount",
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "currency": "EUR",
        "billCycleDay": "last",
        "timeZone": "Europe/Paris",
        "taxRate": 20,
        "paymentTermsDays": 30,
        "creditLimit": {"unit": "EUR", "value": Decimal("5000.50")},
        **extra,
    }


def assert_error(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()
    validate("tmf629", "Error", error)
    assert [p["field"] for p in error.get("problems", [])] == list(fields)
    return error


def test_a_customer_is_created_listed_and_read_schema_valid(client: TestClient, bss: Bss) -> None:
    response = client.post(CUSTOMERS, json=ACME)
    assert response.status_code == 201, response.text
    customer = response.json()
    validate("tmf629", "Customer", customer)
    assert response.headers["Location"] == customer["href"] == f"http://testserver{CUSTOMERS}/{customer['id']}"
    assert (customer["status"], customer["engagedParty"]["name"]) == ("active", "ACME Limited")
    assert customer["contactMedium"][1]["characteristic"]["postCode"] == "69001"
    for n in range(3):
        client.post(CUSTOMERS, json={"name": f"Customer {n}"})
    page = client.get(CUSTOMERS, params={"offset": 1, "limit": 2, "fields": "name"})
    validate("tmf629", "Customer", page.json(), array=True)
    assert (page.headers["X-Total-Count"], page.headers["X-Result-Count"]) == ("4", "2")
    assert all(set(c) == {"id", "href", "@type", "name", "engagedParty"} for c in page.json())
    assert [c["name"] for c in client.get(CUSTOMERS, params={"name": "ACME Ltd"}).json()] == ["ACME Ltd"]
    assert client.get(f"{CUSTOMERS}/{customer['id']}").json() == customer
    event = bss.hub.events("tmf629")[0]
    validate("tmf629", "CustomerCreateEvent", event)
    assert event["event"]["customer"]["id"] == customer["id"]


def test_bad_customers_are_refused_naming_the_field_and_nothing_is_stored(client: TestClient) -> None:
    assert_error(client.post(CUSTOMERS, json={"contactMedium": []}), 400, "name")
    assert_error(client.post(CUSTOMERS, json={**ACME, "colour": "red"}), 400, "colour")
    bad_mail = {"name": "X", "contactMedium": [{"mediumType": "email", "characteristic": {"emailAddress": "nope"}}]}
    error = assert_error(client.post(CUSTOMERS, json=bad_mail), 400, "contactMedium[0].characteristic.emailAddress")
    assert error["message"] == "contactMedium[0].characteristic.emailAddress: 'nope' is not an e-mail address"
    assert_error(
        client.post(CUSTOMERS, json={"name": "X", "contactMedium": [{"mediumType": "pigeon", "characteristic": {}}]}),
        400,
        "contactMedium[0].mediumType",
    )
    assert_error(client.post(CUSTOMERS, content=b"{not json"), 400, "")
    assert_error(client.post(CUSTOMERS, content=b"[1]"), 400, "")
    assert client.get(CUSTOMERS).headers["X-Total-Count"] == "0"
    assert_error(client.get(f"{CUSTOMERS}/nope"), 404)
    assert_error(client.get(CUSTOMERS, params={"colour": "red"}), 400, "colour")
    assert_error(client.get(CUSTOMERS, params={"limit": "0"}), 400, "limit")
    assert_error(client.delete(f"{CUSTOMERS}/x"), 405)


def test_a_customer_is_patched_and_its_status_follows_the_rules(client: TestClient, bss: Bss) -> None:
    customer = client.post(CUSTOMERS, json=ACME).json()
    patched = client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"name": "ACME Corp", "status": "suspended", "statusReason": "audit"}
    )
    assert patched.status_code == 200
    validate("tmf629", "Customer", patched.json())
    assert (patched.json()["name"], patched.json()["status"], patched.json()["statusReason"]) == (
        "ACME Corp",
        "suspended",
        "audit",
    )
    closed = client.patch(f"{CUSTOMERS}/{customer['id']}", json={"status": "closed"})
    assert closed.json()["status"] == "closed"
    assert_error(client.patch(f"{CUSTOMERS}/{customer['id']}", json={"status": "active"}), 409)
    kinds = [e["eventType"] for e in bss.hub.events("tmf629")]
    assert kinds == [
        "CustomerCreateEvent",
        "CustomerAttributeValueChangeEvent",
        "CustomerStateChangeEvent",
        "CustomerStateChangeEvent",
    ]
    for event in bss.hub.events("tmf629"):
        validate("tmf629", event["eventType"], event)


def test_a_billing_account_carries_what_billing_needs(client: TestClient, bss: Bss) -> None:
    customer = client.post(CUSTOMERS, json=ACME).json()
    exemption = {
        "issuingJurisdiction": "FR",
        "certificateNumber": "EX-1",
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
    }
    response = client.post(ACCOUNTS, **exact_body(account_body(customer["id"], taxExemption=[exemption])))
    assert response.status_code == 201, response.text
    account = response.json()
    validate("tmf666", "BillingAccount", account)
    exact = decimal_json(response)
    assert str(exact["creditLimit"]["value"]) == "5000.50" and str(exact["taxRate"]) == "20"
    assert (account["billCycleDay"], account["timeZone"], account["currency"], account["paymentTermsDays"]) == (
        "last",
        "Europe/Paris",
        "EUR",
        30,
    )
    assert account["relatedParty"][0]["name"] == "ACME Ltd"
    assert account["taxExemption"][0]["certificateNumber"] == "EX-1"
    assert client.get(f"{CUSTOMERS}/{customer['id']}").json()["account"][0]["id"] == account["id"]
    listed = client.get(ACCOUNTS, params={"relatedParty.id": customer["id"]})
    validate("tmf666", "BillingAccount", listed.json(), array=True)
    assert listed.headers["X-Total-Count"] == "1"
    patched = client.patch(
        f"{ACCOUNTS}/{account['id']}", json={"billCycleDay": 15, "creditLimit": {"unit": "EUR", "value": "0"}}
    )
    validate("tmf666", "BillingAccount", patched.json())
    assert (
        patched.json()["billCycleDay"],
        patched.json()["billStructure"]["cycleSpecification"]["billingDateShift"],
    ) == (15, 15)
    for event in bss.hub.events("tmf666"):
        validate("tmf666", event["eventType"], event)  # TMF666 puts the resource under "payload"
        validate("tmf666", "BillingAccount", event["payload"]["billingAccount"])
        assert event["event"] == event["payload"]
    assert [e["eventType"] for e in bss.hub.events("tmf666")] == [
        "BillingAccountStateChangeEvent",
        "BillingAccountAttributeValueChangeEvent",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"billCycleDay": 32}, "billCycleDay"),
        ({"timeZone": "Europe/Lyon"}, "timeZone"),
        ({"taxRate": 120}, "taxRate"),
        ({"currency": "euro"}, "currency"),
        ({"creditLimit": {"unit": "USD", "value": 10}}, "creditLimit.unit"),
        ({"creditLimit": {"unit": "EUR", "value": -1}}, "creditLimit.value"),
        ({"paymentTermsDays": 400}, "paymentTermsDays"),
        ({"relatedParty": [{"id": "nobody", "role": "customer"}]}, "relatedParty"),
        ({"relatedParty": [{"id": "x", "role": "payer"}]}, "relatedParty"),
        (
            {"taxExemption": [{"issuingJurisdiction": "FR", "validFor": {"startDateTime": "2026-01-01T00:00:00"}}]},
            "taxExemption[0].validFor.startDateTime",
        ),
    ],
)
def test_a_bad_account_names_its_field_and_is_not_created(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    customer = client.post(CUSTOMERS, json=ACME).json()
    assert_error(client.post(ACCOUNTS, **exact_body({**account_body(customer["id"]), **change})), 400, field)
    assert client.get(ACCOUNTS).headers["X-Total-Count"] == "0"


def test_an_accounts_currency_never_changes(client: TestClient) -> None:
    customer = client.post(CUSTOMERS, json=ACME).json()
    account = client.post(ACCOUNTS, **exact_body(account_body(customer["id"]))).json()
    assert_error(client.patch(f"{ACCOUNTS}/{account['id']}", json={"currency": "USD"}), 400, "currency")
    assert (
        client.patch(f"{ACCOUNTS}/{account['id']}", json={"currency": "EUR", "name": "renamed"}).json()["name"]
        == "renamed"
    )


def test_a_billed_accounts_bill_cycle_day_and_time_zone_are_fixed_and_a_refused_patch_changes_nothing(
    client: TestClient, bss: Bss
) -> None:
    customer = client.post(CUSTOMERS, json=ACME).json()
    account = client.post(ACCOUNTS, **exact_body(account_body(customer["id"]))).json()
    url = f"{ACCOUNTS}/{account['id']}"
    assert client.patch(url, json={"billCycleDay": 15}).json()["billCycleDay"] == 15  # nothing billed yet
    subscribe(bss, account["id"], utc(2026, 1, 5, 10))
    bill(bss, utc(2026, 2, 15, 8))
    for change in ({"billCycleDay": 1, "name": "renamed"}, {"timeZone": "America/New_York"}):
        error = assert_error(client.patch(url, json=change), 409)
        assert "billed through 2026-03-15" in error["message"] and "cannot change" in error["message"]
    after = client.get(url).json()
    assert (after["billCycleDay"], after["timeZone"], after["name"]) == (15, "Europe/Paris", "ACME main")
    same_day = client.patch(url, json={"billCycleDay": 15, "taxRate": 10})  # the day given again is no change
    assert same_day.status_code == 200 and same_day.json()["taxRate"] == 10


def test_the_api_wants_its_bearer_token_and_never_echoes_it(
    tmp_path: Path, inventory: KnownInventory, clock: Clock
) -> None:
    token = "bss-secret-token-value"
    bss = make_bss(f"sqlite:///{tmp_path / 'bss.db'}", tmp_path, inventory, clock, api_token=SecretStr(token))
    try:
        with TestClient(create_app(bss)) as client:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {token}"}):
                response = client.get(CUSTOMERS, headers=headers)
                assert response.status_code == 401 and token not in response.text
                assert response.headers["WWW-Authenticate"] == "Bearer"
                validate("tmf629", "Error", response.json())
            ok = client.post(CUSTOMERS, json=ACME, headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 201 and token not in ok.text
    finally:
        bss.close()
