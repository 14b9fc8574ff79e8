"""TMF635 usage, TMF678 bills and rates, TMF676 payments over HTTP, every answer validated against
the official swagger files; the BSS's bill run, documents, balance, credit notes and outages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss

from ..billing_world import account, set_clock, subscribe, utc, world
from .conftest import decimal_json, exact_body, validate

D = Decimal
USAGE = "/tmf-api/usageManagement/v4/usage"
BILLS = "/tmf-api/customerBillManagement/v4"
PAY = "/tmf-api/paymentManagement/v4/payment"


def usage_json(usage_id: str, kind: str, product: Any, when: str, *characteristics: tuple[str, Any]) -> dict[str, Any]:
    """A TMF635 Usage as a client posts it: its product, then the given characteristics in order."""
    given = [("productId", product), *characteristics]
    return {
        "id": usage_id,
        "usageDate": when,
        "usageType": kind,
        "usageCharacteristic": [{"name": name, "value": value} for name, value in given],
    }


def usage_body(usage_id: str, product: str, when: str, octets_in: int, octets_out: int = 0) -> dict[str, Any]:
    return usage_json(usage_id, "volume", product, when, ("inboundOctets", octets_in), ("outboundOctets", octets_out))


def test_usage_in_bills_out_and_a_payment_all_in_the_tmf_shapes(bss: Bss, client: TestClient) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))
    first = client.post(USAGE, json=usage_body("u-1", sub, "2026-03-12T10:00:00Z", 700 * 10**9, 500 * 10**9))
    assert first.status_code == 201 and first.json()["status"] == "guided"
    validate("tmf635", "Usage", first.json())
    again = client.post(USAGE, json=usage_body("u-1", sub, "2026-03-12T10:00:00Z", 700 * 10**9, 500 * 10**9))
    assert again.status_code == 200
    changed = client.post(USAGE, json=usage_body("u-1", sub, "2026-03-12T10:00:00Z", 1))
    assert changed.status_code == 409 and "u-1" in changed.json()["message"]
    unknown = client.post(
        "/bss/v1/usageImport", json={"usage": [usage_body("u-2", "ghost", "2026-03-12T10:00:00Z", 5)]}
    )
    assert unknown.json()["received"] == [{"id": "u-2", "reason": "no product 'ghost' in the product inventory"}]
    received = client.get(USAGE, params={"status": "received"})
    assert [u["id"] for u in received.json()] == ["u-2"] and received.headers["X-Total-Count"] == "1"
    validate("tmf635", "Usage", received.json(), array=True)
    bad = client.post("/bss/v1/usageImport", json={"usage": [{**usage_body("u-3", sub, "2026-03-12T10:00:00", 1)}]})
    assert bad.status_code == 400 and "usage[0]" in bad.json()["message"]

    set_clock(bss, utc(2026, 4, 1, 8))
    preview = client.post("/bss/v1/billRun", json={"preview": True, "billingAccount": [{"id": acme}]}).json()
    run = client.post("/bss/v1/billRun", json={"billingAccount": [{"id": acme}]}).json()
    assert [b["lines"] for b in preview["bills"]] == [b["lines"] for b in run["bills"]]
    assert [b["billNo"] for b in run["bills"]] == ["INV-2026-000001", "INV-2026-000002"]
    assert client.get(f"{USAGE}/u-1").json()["status"] == "billed"
    validate("tmf635", "Usage", client.get(f"{USAGE}/u-1").json())

    bills = client.get(f"{BILLS}/customerBill", params={"billingAccount.id": acme})
    validate("tmf678", "CustomerBill", bills.json(), array=True)
    first_bill = decimal_json(bills)[0]
    assert (first_bill["billNo"], first_bill["state"], first_bill["taxIncludedAmount"]) == (
        "INV-2026-000001",
        "validated",
        {"unit": "EUR", "value": D("213.64")},
    )
    rates = client.get(f"{BILLS}/appliedCustomerBillingRate", params={"bill.id": first_bill["id"]})
    validate("tmf678", "AppliedCustomerBillingRate", rates.json(), array=True)
    assert sum(r["taxIncludedAmount"]["value"] for r in decimal_json(rates)) == D("213.64")
    one_rate = client.get(f"{BILLS}/appliedCustomerBillingRate/{rates.json()[0]['id']}")
    validate("tmf678", "AppliedCustomerBillingRate", one_rate.json())
    sent = client.patch(f"{BILLS}/customerBill/{first_bill['id']}", json={"state": "sent"})
    assert sent.status_code == 200 and sent.json()["state"] == "sent"
    assert client.patch(f"{BILLS}/customerBill/{first_bill['id']}", json={"state": "validated"}).status_code == 409
    pdf = client.get(f"/bss/v1/invoice/{first_bill['id']}/pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert "INV-2026-000001" in client.get(f"/bss/v1/invoice/{first_bill['id']}/csv").text

    payment = {
        "correlatorId": "bank-42",
        "account": {"id": acme},
        "paymentMethod": {"name": "bank transfer"},
        "totalAmount": {"unit": "EUR", "value": D("213.64")},
    }
    paid = client.post(PAY, **exact_body(payment))
    assert paid.status_code == 201
    validate("tmf676", "Payment", paid.json())
    assert client.post(PAY, **exact_body(payment)).status_code == 200  # a retry: counted once
    assert client.post(PAY, **exact_body({**payment, "totalAmount": {"unit": "EUR", "value": 5}})).status_code == 409
    validate("tmf676", "Payment", client.get(PAY).json(), array=True)
    balance = decimal_json(client.get(f"/bss/v1/balance/{acme}"))
    assert balance["balance"] == {"unit": "EUR", "value": D("59.40")} and balance["overdue"] == []
    assert client.get(f"{BILLS}/customerBill/{first_bill['id']}").json()["state"] == "settled"
    notes = [n["eventType"] for n in bss.hub.events("tmf678")]
    assert notes.count("CustomerBillCreateEvent") == 2 and "CustomerBillStateChangeEvent" in notes
    assert [n["eventType"] for n in bss.hub.events("tmf676")] == ["PaymentCreateEvent"]
    for note in bss.hub.events("tmf678"):
        validate("tmf678", "CustomerBill", note["event"]["customerBill"])


def test_an_invoices_documents_carry_a_strict_policy_and_a_file_name(bss: Bss, client: TestClient) -> None:
    """The invoice's HTML from the API is a page with a customer's data: it had no security headers at
    all (the console's pages had them). It and the PDF now forbid every script, load and frame (only
    the template's inline styles apply) and are not sniffed or kept; the PDF opens, the CSV is saved."""
    world(bss)
    bill = client.get(f"{BILLS}/customerBill", params={"billNo": "INV-2026-000001"}).json()[0]
    expected = {"html": "inline", "pdf": "inline", "csv": "attachment"}
    for kind, disposition in expected.items():
        answer = client.get(f"/bss/v1/invoice/{bill['id']}/{kind}")
        assert answer.status_code == 200, answer.text
        policy = answer.headers["content-security-policy"]
        assert policy.startswith("default-src 'none'; style-src 'unsafe-inline';"), policy
        assert "frame-ancestors 'none'" in policy and "script-src" not in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["content-disposition"] == f'{disposition}; filename="INV-2026-000001.{kind}"'


def test_outages_and_maintenance_windows_are_recorded_once(bss: Bss, client: TestClient) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))
    outage = {"id": "TT-1", "product": {"id": sub}, "validFor": {"startDateTime": "2026-03-12T10:00:00Z"}}
    assert client.post("/bss/v1/outage", json=outage).status_code == 201
    closed = {**outage, "validFor": {**outage["validFor"], "endDateTime": "2026-03-12T12:00:00Z"}}
    assert client.post("/bss/v1/outage", json=closed).status_code == 200
    naive = client.post("/bss/v1/outage", json={**outage, "validFor": {"startDateTime": "2026-03-12T10:00:00"}})
    assert naive.status_code == 400 and "validFor.startDateTime" in naive.json()["message"]
    backwards = {**outage, "id": "TT-2", "validFor": {**outage["validFor"], "endDateTime": "2026-03-12T09:00:00Z"}}
    refused = client.post("/bss/v1/outage", json=backwards)  # named as the request names it ("end", before)
    assert refused.status_code == 400 and "validFor.endDateTime" in refused.json()["message"]
    window = {
        "id": "MW-1",
        "validFor": {"startDateTime": "2026-03-20T01:00:00Z", "endDateTime": "2026-03-20T03:00:00Z"},
    }
    assert client.post("/bss/v1/maintenanceWindow", json=window).status_code == 201
    assert client.post("/bss/v1/maintenanceWindow", json=window).status_code == 200
    past = {"id": "MW-2", "validFor": {"startDateTime": "2026-03-10T01:00:00Z", "endDateTime": "2026-03-10T03:00:00Z"}}
    refused = client.post("/bss/v1/maintenanceWindow", json=past)  # the clock is at 2026-03-10 09:00
    assert refused.status_code == 400 and "validFor.startDateTime" in refused.json()["message"]
    assert "announced before it starts" in refused.json()["message"]
    later = {**past, "validFor": {"startDateTime": "2026-03-21T01:00:00Z", "endDateTime": "2026-03-21T03:00:00Z"}}
    assert client.post("/bss/v1/maintenanceWindow", json=later).status_code == 201  # MW-2 was not kept


def test_an_exemption_patched_after_its_periods_were_billed_gives_their_tax_back_on_the_next_bill(
    bss: Bss, client: TestClient
) -> None:
    """TMF666 PATCH of an exemption valid from 1 January, on 2 February, after the run that billed
    January and February at 20 %: the bill of 1 March gives their tax back, in rates of no amount
    (TMF678 credits), and its preview showed them."""
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 1, 5, 10))
    set_clock(bss, utc(2026, 2, 1, 8))
    assert client.post("/bss/v1/billRun", json={"billingAccount": [{"id": acme}]}).status_code == 200
    charged = sum(
        b["taxIncludedAmount"]["value"] - b["taxExcludedAmount"]["value"]
        for b in decimal_json(client.get(f"{BILLS}/customerBill", params={"billingAccount.id": acme}))
    )
    assert charged > 0
    set_clock(bss, utc(2026, 2, 2, 9))
    exemption = {
        "issuingJurisdiction": "FR",
        "certificateNumber": "EX-1",
        "validFor": {"startDateTime": "2026-01-01T00:00:00+01:00"},
    }
    patched = client.patch(f"/tmf-api/accountManagement/v4/billingAccount/{acme}", json={"taxExemption": [exemption]})
    assert patched.status_code == 200, patched.text
    set_clock(bss, utc(2026, 3, 1, 8))
    preview = client.post("/bss/v1/billRun", json={"preview": True, "billingAccount": [{"id": acme}]}).json()
    made = client.post("/bss/v1/billRun", json={"billingAccount": [{"id": acme}]}).json()
    assert [b["lines"] for b in preview["bills"]] == [b["lines"] for b in made["bills"]]

    bills = client.get(f"{BILLS}/customerBill", params={"billingAccount.id": acme})
    validate("tmf678", "CustomerBill", bills.json(), array=True)
    march = decimal_json(bills)[-1]
    rates = client.get(f"{BILLS}/appliedCustomerBillingRate", params={"bill.id": march["id"]})
    validate("tmf678", "AppliedCustomerBillingRate", rates.json(), array=True)
    found = decimal_json(rates)
    given_back = [r for r in found if r["taxExcludedAmount"]["value"] == 0 and r["taxIncludedAmount"]["value"]]
    assert given_back and {r["type"] for r in given_back} == {"appliedBillingCredit"}
    assert sum(r["taxIncludedAmount"]["value"] for r in given_back) == -charged
    assert {r["appliedTax"][0]["taxRate"] for r in given_back} == {D(20)}  # the tax given back was charged at 20 %
    assert sum(r["taxIncludedAmount"]["value"] for r in found) == march["taxIncludedAmount"]["value"]
    assert march["taxIncludedAmount"]["value"] == D("39.50") - charged  # March itself exempt: 79.00 at 50 % off
    page = client.get(f"/bss/v1/invoice/{march['id']}/html").text  # each shown, as a credit
    assert page.count("tax corrected (exempt (FR): certificate EX-1)") == len(given_back)
    assert page.count('<tr class="credit">') == len(given_back)


def test_a_bill_run_bills_at_most_the_coming_period_early_and_a_preview_at_most_a_year_ahead(
    bss: Bss, client: TestClient
) -> None:
    """A preview bills, in its transaction, every period begun by its asOf: one as of year 9998 made
    ~95,000 monthly invoices per account and held the BSS for the whole request. It is refused with
    a 400 naming asOf, as a real run beyond the coming period is; the bounds themselves are allowed."""
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    set_clock(bss, utc(2026, 4, 1, 8))
    run = "/bss/v1/billRun"
    year = client.post(run, json={"preview": True, "asOf": "2027-04-02T08:00:00Z"})
    assert year.status_code == 200
    starts = [b["billingPeriod"]["start"] for b in year.json()["bills"]]
    assert (len(starts), starts[0], starts[-1]) == (14, "2026-03-01", "2027-04-01")  # March 2026 to April 2027
    assert client.get(f"{BILLS}/customerBill").json() == []  # a preview stores nothing
    for body, bound in (
        ({"preview": True, "asOf": "2027-04-02T08:00:01Z"}, "at most 366 days ahead of now"),
        ({"preview": True, "asOf": "9998-12-31T00:00:00Z"}, "at most 366 days ahead of now"),
        ({"asOf": "2026-05-03T08:00:01Z"}, "at most 32 days ahead of now"),
    ):
        refused = client.post(run, json=body)
        assert refused.status_code == 400, refused.text
        assert refused.json()["message"].startswith("asOf") and bound in refused.json()["message"]
    assert client.post(run, json={"asOf": "2026-05-03T08:00:00Z"}).status_code == 200
