"""What the TMF635 usage, TMF678 customerBill and TMF676 payment APIs take from a client and give
back: ids of the client's own percent-encoded in hrefs (and refused when no href can address them),
instants within the years billing stores, characteristics typed and given once, values that fit
their columns, closed sets of states refused when misspelt, and ``fields`` keeping what the schema
requires. A refused request is a 400 naming the field at fault, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints.api import create_app

from ..billing_world import account, set_clock, subscribe, utc
from .conftest import exact_body, validate
from .test_api_billing import usage_json

USAGE = "/tmf-api/usageManagement/v4/usage"
BILLS = "/tmf-api/customerBillManagement/v4"
PAY = "/tmf-api/paymentManagement/v4/payment"
WHEN = "2026-03-12T10:00:00Z"


def usage_body(usage_id: str, product: str, when: str = WHEN, *extra: dict[str, Any]) -> dict[str, Any]:
    volumes = usage_json(usage_id, "volume", product, when, ("inboundOctets", 5), ("outboundOctets", 0))
    volumes["usageCharacteristic"] += extra
    return volumes


def rate_body(usage_id: str, product: Any, mbps: Decimal) -> dict[str, Any]:
    return usage_json(usage_id, "rate", product, WHEN, ("inboundMbps", mbps), ("outboundMbps", 0))


def payment(key: str, account_id: str, **more: Any) -> dict[str, Any]:
    return {
        "correlatorId": key,
        "account": {"id": account_id},
        "paymentMethod": {"name": "bank transfer"},
        "totalAmount": {"unit": "EUR", "value": "10.00"},
        **more,
    }


def refused(response: Any, field: str, said: str = "") -> None:
    assert response.status_code == 400, response.text
    assert [p["field"] for p in response.json()["problems"]] == [field], response.text
    assert said in response.json()["message"], response.text


def stored(client: TestClient, collection: str) -> int:
    return int(client.get(collection).headers["X-Total-Count"])


@pytest.fixture
def acme(bss: Bss) -> str:
    return account(bss)


@pytest.fixture
def sub(bss: Bss, acme: str) -> str:
    return subscribe(bss, acme, utc(2026, 3, 10, 10))


@pytest.mark.parametrize("key", ["u-€", "café 1", "a?b=c", "a#b", "50%", "Ünïcödé"])
def test_a_clients_id_is_percent_encoded_in_href_and_location_and_found_again_there(
    client: TestClient, acme: str, sub: str, key: str
) -> None:
    created = client.post(USAGE, json=usage_body(key, sub))
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == created.json()["href"] and created.json()["href"].isascii()
    assert client.post(USAGE, json=usage_body(key, sub)).status_code == 200  # a retry
    found = client.get(created.json()["href"])
    assert found.status_code == 200 and found.json()["id"] == key
    validate("tmf635", "Usage", found.json())

    paid = client.post(PAY, json=payment(key, acme))
    assert paid.status_code == 201, paid.text
    assert paid.headers["Location"] == paid.json()["href"] and paid.json()["href"].isascii()
    again = client.get(paid.json()["href"])
    assert again.status_code == 200 and again.json()["correlatorId"] == key
    validate("tmf676", "Payment", again.json())


@pytest.mark.parametrize(
    ("key", "said"),
    [
        ("a/b", "no '/'"),
        ("a\nb", "control characters"),
        ("a\x00b", "control characters"),
        ("tab\there", "control characters"),
        ("a\x85b", "control characters"),
        ("..", "path segment"),
        (".", "path segment"),
        ("k" * 129, "at most 128 characters"),
    ],
)
def test_an_id_no_href_can_address_or_no_column_can_hold_is_refused_and_nothing_stored(
    client: TestClient, acme: str, sub: str, key: str, said: str
) -> None:
    refused(client.post(USAGE, json=usage_body(key, sub)), "id", said)
    refused(client.post("/bss/v1/usageImport", json={"usage": [usage_body(key, sub)]}), "usage[0].id", said)
    assert stored(client, USAGE) == 0
    refused(client.post(PAY, json=payment(key, acme)), "correlatorId", said)
    assert stored(client, PAY) == 0


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "1969-12-31T23:59:59Z", "9999-01-01T00:00:00Z"]
)
def test_an_instant_outside_the_years_billing_stores_is_refused_naming_its_field(
    client: TestClient, acme: str, sub: str, when: str
) -> None:
    refused(client.post(USAGE, json=usage_body("u-1", sub, when)), "usageDate", "from 1970 to 9998 in UTC")
    end = {"name": "endDateTime", "value": when}
    refused(client.post(USAGE, json=usage_body("u-2", sub, WHEN, end)), "usageCharacteristic", "endDateTime")
    assert stored(client, USAGE) == 0
    refused(client.post(PAY, json=payment("p-1", acme, paymentDate=when)), "paymentDate", "from 1970 to 9998")
    assert stored(client, PAY) == 0
    refused(client.post("/bss/v1/billRun", json={"asOf": when}), "asOf", "from 1970 to 9998")


def test_the_first_and_last_instants_billing_stores_are_taken(client: TestClient, sub: str) -> None:
    for key, when in (("first", "1970-01-01T01:00:00+01:00"), ("last", "9998-12-31T23:59:59.999999Z")):
        created = client.post(USAGE, json=usage_body(key, sub, when))
        assert created.status_code == 201, created.text
        assert client.get(created.json()["href"]).json()["usageDate"] == created.json()["usageDate"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_a_date_filter_beyond_what_utc_can_hold_is_a_400_naming_the_parameter(client: TestClient, when: str) -> None:
    for path, name in ((USAGE, "usageDate.gt"), (PAY, "paymentDate.lt"), (f"{BILLS}/customerBill", "billDate")):
        refused(client.get(path, params={name: when}), name, "is not a date")


def test_a_naive_usage_date_is_refused_naming_usage_date(client: TestClient, sub: str) -> None:
    refused(client.post(USAGE, json=usage_body("u-1", sub, "2026-03-12T10:00:00")), "usageDate", "offset")
    batch = {"usage": [usage_body("u-1", sub), usage_body("u-2", sub, "2026-03-12T10:00:00")]}
    refused(client.post("/bss/v1/usageImport", json=batch), "usage[1].usageDate", "offset")
    assert stored(client, USAGE) == 0


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({"name": "endDateTime", "value": 12345}, "endDateTime is a date-time string"),
        ({"name": "endDateTime", "value": None}, "endDateTime is a date-time string"),
        ({"name": "endDateTime", "value": "soon"}, "endDateTime is a date-time string"),
        ({"name": "endDateTime", "value": "2026-03-12T11:00:00"}, "endDateTime: a date-time needs its offset"),
        ({"name": "inboundOctets", "value": 7}, "inboundOctets is given more than once"),
        ({"name": "productId", "value": "other"}, "productId is given more than once"),
    ],
)
def test_a_characteristic_mistyped_or_given_twice_is_refused_naming_it(
    client: TestClient, sub: str, extra: dict[str, Any], said: str
) -> None:
    refused(client.post(USAGE, json=usage_body("u-1", sub, WHEN, extra)), "usageCharacteristic", said)
    assert stored(client, USAGE) == 0
    end = {"name": "endDateTime", "value": "2026-03-12T11:00:00+01:00"}
    assert client.post(USAGE, json=usage_body("u-2", sub, WHEN, end)).status_code == 201


@pytest.fixture
def any_client(any_bss: Bss) -> Iterator[TestClient]:
    with TestClient(create_app(any_bss)) as test_client:
        yield test_client


@pytest.mark.parametrize("product", [None, {"a": 1}, 5, True, "", "   ", "p" * 201, "p\x00q"])
def test_a_product_id_is_text_that_fits_its_column(any_client: TestClient, product: Any) -> None:
    refused(any_client.post(USAGE, json=usage_body("u-1", product)), "usageCharacteristic", "productId")
    assert stored(any_client, USAGE) == 0
    kept = any_client.post(USAGE, json=usage_body("u-2", "p" * 200))
    assert kept.status_code == 201 and kept.json()["status"] == "received"


@pytest.mark.parametrize("mbps", ["1." + "1" * 80, "1." + "1" * 51, "1e-60"])
def test_a_rate_with_more_decimals_than_its_column_holds_is_refused(any_client: TestClient, mbps: str) -> None:
    body = exact_body(rate_body("r-1", "x", Decimal(mbps)))
    refused(any_client.post(USAGE, **body), "usageCharacteristic", "inboundMbps has at most 50 decimal places")
    assert stored(any_client, USAGE) == 0
    widest = Decimal("10000000." + "0" * 50)  # the domain's largest rate, to the 50th place: 59 characters
    kept = any_client.post(USAGE, **exact_body(rate_body("r-2", "x", widest)))
    assert kept.status_code == 201, kept.text


def test_a_rate_id_is_its_bills_id_and_the_lines_position_as_written(bss: Bss, client: TestClient, sub: str) -> None:
    set_clock(bss, utc(2026, 4, 1, 8))
    client.post("/bss/v1/billRun", json={})
    bill_id = client.get(f"{BILLS}/customerBill").json()[0]["id"]
    assert client.get(f"{BILLS}/appliedCustomerBillingRate/{bill_id}-1").status_code == 200
    for position in ("\u00b2", "01", "+1", " 1", "\u0661", "0", "9" * 5000):
        response = client.get(f"{BILLS}/appliedCustomerBillingRate/{bill_id}-{position}")
        assert response.status_code == 404, (position[:10], response.text[:200])


def test_fields_keep_what_the_payment_schema_requires(client: TestClient, acme: str) -> None:
    key = client.post(PAY, json=payment("bank-1", acme)).json()["id"]
    listed = client.get(PAY, params={"fields": "totalAmount"}).json()
    validate("tmf676", "Payment", listed, array=True)
    assert {"account", "paymentMethod", "totalAmount"} <= set(listed[0]) and "paymentDate" not in listed[0]
    validate("tmf676", "Payment", client.get(f"{PAY}/{key}", params={"fields": "totalAmount"}).json())


def test_a_bill_is_due_at_midnight_where_its_account_is_billed(bss: Bss, client: TestClient) -> None:
    ny = account(bss, zone="America/New_York", name="NY")
    subscribe(bss, ny, utc(2026, 3, 10, 15))
    set_clock(bss, utc(2026, 4, 1, 12))
    client.post("/bss/v1/billRun", json={"billingAccount": [{"id": ny}]})
    bills = client.get(f"{BILLS}/customerBill", params={"billingAccount.id": ny}).json()
    due = "2026-05-01T04:00:00Z"  # 2026-05-01 00:00 in New York (EDT)
    assert bills and {b["paymentDueDate"] for b in bills} == {due}
    assert {n["event"]["customerBill"]["paymentDueDate"] for n in bss.hub.events("tmf678")} == {due}
    found = client.get(f"{BILLS}/customerBill", params={"paymentDueDate": "2026-05-01T00:00:00-04:00"}).json()
    assert [b["id"] for b in found] == [b["id"] for b in bills]
    assert client.get(f"{BILLS}/customerBill", params={"paymentDueDate.lt": due}).json() == []


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        (USAGE, "status", "bogus"),
        (USAGE, "status", "rated,bogus"),
        (USAGE, "status", ""),
        (USAGE, "usageType", "volumes"),
        (f"{BILLS}/customerBill", "state", "bogus"),
        (f"{BILLS}/customerBill", "state", "sent,Sent"),
    ],
)
def test_a_state_outside_its_closed_set_is_a_400_naming_the_parameter(
    client: TestClient, path: str, name: str, value: str
) -> None:
    refused(client.get(path, params={name: value}), name, "is not one of")


def test_the_closed_sets_are_still_filtered_on(bss: Bss, client: TestClient, sub: str) -> None:
    client.post(USAGE, json=usage_body("u-1", sub))
    found = client.get(USAGE, params={"status": "received, guided", "usageType": "volume"})
    assert [u["id"] for u in found.json()] == ["u-1"]
    set_clock(bss, utc(2026, 4, 1, 8))
    client.post("/bss/v1/billRun", json={})
    assert len(client.get(f"{BILLS}/customerBill", params={"state": "validated,sent"}).json()) == 2
    assert client.get(f"{BILLS}/customerBill", params={"state": "onHold"}).json() == []


def test_a_body_larger_than_the_api_takes_is_refused_before_it_is_read_whole(
    bss: Bss, client: TestClient, sub: str
) -> None:
    """A usage import of 17 MB (or streamed without a length) used to be read and parsed whole:
    a client could make the server hold any amount of memory. 413, nothing stored."""
    limit = bss.settings.api_max_body_bytes
    one = usage_body("big-0", sub)
    records = [{**one, "id": f"big-{n}"} for n in range(limit // len(str(one)) + 1000)]
    text = json.dumps({"usage": records}).encode()
    assert len(text) > limit
    declared = client.post("/bss/v1/usageImport", content=text, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and str(limit) in declared.json()["message"]

    def streamed() -> Iterator[bytes]:
        for start in range(0, len(text), 65536):
            yield text[start : start + 65536]

    chunked = client.post("/bss/v1/usageImport", content=streamed(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413
    assert stored(client, USAGE) == 0
    small = client.post("/bss/v1/usageImport", json={"usage": records[:3]})
    assert small.status_code in (200, 201), small.text
    assert stored(client, USAGE) == 3


@pytest.mark.parametrize("text", ["10\n", "1_0", " 1", "1e", ""])
def test_a_number_written_as_text_is_a_plain_decimal_and_nothing_after_it(text: str) -> None:
    """As the document's pattern says: '$' in re.match let a final line break through ("10\\n")."""
    from pydantic import TypeAdapter, ValidationError

    from bss_bridge.tmf.inputs import Number

    with pytest.raises(ValidationError, match="is not a decimal number"):
        TypeAdapter(Number).validate_python(text)
    assert TypeAdapter(Number).validate_python("10.50") == Decimal("10.50")
