"""TMF621 trouble tickets over HTTP, every answer validated against the official swagger: created once
per externalId, listed and filtered, moved through TMF621's life cycle, bad requests refused field by
field; a resolved ticket's outage earns the SLA credit on the next invoice, once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.storage.billing_tables import OutageRow

from ..billing_world import account, bill, set_clock, subscribe, utc
from .conftest import validate
from .test_hub import Receiver, deliver

BASE = "/tmf-api/troubleTicket/v4"
TICKETS = f"{BASE}/troubleTicket"


def customer_of(bss: Bss, account_id: str) -> str:
    with bss.uow() as uow:
        found = uow.accounts.get(account_id)
        assert found is not None
        return found.customer_id


def ticket_body(customer: str, product: str, start: str = "2026-03-10T08:00:00Z", **extra: Any) -> dict[str, Any]:
    return {
        "description": "no traffic on the access",
        "severity": "Critical",
        "ticketType": "incident",
        "outageStartDate": start,
        "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
        "relatedEntity": [{"id": product, "role": "affectedProduct", "@referredType": "Product"}],
        "@type": "BssTroubleTicket",
    } | extra


def outages(bss: Bss) -> list[tuple[str, str, Any, Any]]:
    with bss.uow() as uow:
        rows = uow.session.scalars(select(OutageRow).order_by(OutageRow.id))
        return [(r.id, r.subscription_id, r.start, r.end) for r in rows]


def test_a_ticket_is_created_once_listed_and_resolved_into_the_sla_credit(bss: Bss, client: TestClient) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 1, 9))  # bia-100: SLA 99.9 %, credit 25 % below 99 %
    bill(bss, utc(2026, 3, 1, 8), acme)
    customer = customer_of(bss, acme)
    set_clock(bss, utc(2026, 3, 10, 8, 30))
    body = ticket_body(customer, sub, externalId="alarm-42", priority="High")
    first = client.post(TICKETS, json=body)
    assert first.status_code == 201, first.json()
    ticket = first.json()
    validate("tmf621", "TroubleTicket", ticket)
    assert first.headers["Location"] == ticket["href"] and ticket["href"].endswith(f"{TICKETS}/{ticket['id']}")
    assert (ticket["status"], ticket["outageStartDate"], ticket["externalId"]) == (
        "acknowledged", "2026-03-10T08:00:00Z", "alarm-42"
    )
    assert ticket["relatedEntity"][0]["id"] == sub and ticket["relatedParty"][0]["id"] == customer
    # the same externalId again (a retry): the first ticket, nothing new; other content: refused
    again = client.post(TICKETS, json=body)
    assert again.status_code == 200 and again.json() == ticket
    other = client.post(TICKETS, json={**body, "outageStartDate": "2026-03-10T07:00:00Z"})
    assert other.status_code == 409 and "alarm-42" in other.json()["message"]
    validate("tmf621", "Error", other.json())
    assert client.get(TICKETS).headers["X-Total-Count"] == "1"

    assert client.get(f"{TICKETS}/{ticket['id']}").json() == ticket
    listed = client.get(TICKETS, params={"status": "acknowledged", "relatedParty.id": customer, "fields": "status"})
    assert listed.headers["X-Total-Count"] == "1" and set(listed.json()[0]) == {"id", "href", "@type", "status"}
    assert client.get(TICKETS, params={"status": "resolved"}).json() == []
    validate("tmf621", "TroubleTicket", client.get(TICKETS).json(), array=True)

    set_clock(bss, utc(2026, 3, 10, 21))
    assert client.patch(f"{TICKETS}/{ticket['id']}", json={"status": "inProgress"}).status_code == 200
    assert outages(bss) == []  # nothing before it is resolved
    resolved = client.patch(
        f"{TICKETS}/{ticket['id']}",
        json={"status": "resolved", "statusChangeReason": "fibre spliced", "resolutionDate": "2026-03-10T20:00:00Z"},
    )
    assert resolved.status_code == 200, resolved.json()
    validate("tmf621", "TroubleTicket", resolved.json())
    assert resolved.json()["resolutionDate"] == "2026-03-10T20:00:00Z"
    assert [c["status"] for c in resolved.json()["statusChange"]] == ["acknowledged", "inProgress", "resolved"]
    down = [(f"tt-{ticket['id']}-{sub}", sub, utc(2026, 3, 10, 8), utc(2026, 3, 10, 20))]
    assert outages(bss) == down
    # resolved again (a retried PATCH) and closed: still the one outage
    assert client.patch(f"{TICKETS}/{ticket['id']}", json={"status": "resolved"}).status_code == 200
    assert client.patch(f"{TICKETS}/{ticket['id']}", json={"status": "closed"}).json()["status"] == "closed"
    assert outages(bss) == down

    april = bill(bss, utc(2026, 4, 1, 8), acme).bills[0].draft
    credit = [line for line in april.lines if line.kind is LineKind.SLA_CREDIT]
    # March in Paris is 743 hours (DST); 12 h down: 98.384 %, below 99 %: 25 % of the recurring charge
    assert [(line.description, line.gross) for line in credit] == [
        (
            "bia-100, SLA credit 2026-03-01 – 2026-03-31: availability 98.384 % (target 99.9 %), 25 % of the "
            "recurring charge",
            Decimal("-9.88"),
        )
    ]


def test_bad_requests_are_refused_field_by_field_and_store_nothing(bss: Bss, client: TestClient) -> None:
    acme, other = account(bss), account(bss, name="Globex")
    sub = subscribe(bss, acme, utc(2026, 3, 1, 9))
    theirs = subscribe(bss, other, utc(2026, 3, 1, 9))
    customer = customer_of(bss, acme)
    set_clock(bss, utc(2026, 3, 10, 9))
    good = ticket_body(customer, sub)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({k: v for k, v in good.items() if k != "description"}, "description", "is required"),
        ({**good, "outageStartDate": "2026-03-10T08:00:00"}, "outageStartDate", "offset"),
        ({**good, "outageStartDate": "2026-03-11T08:00:00Z"}, "outageStartDate", "in the future"),
        ({**good, "colour": "red"}, "colour", "unknown or unsupported field"),
        ({**good, "relatedParty": [{"id": customer, "role": "reporter"}]}, "relatedParty", "exactly one customer"),
        (ticket_body("nobody", sub), "relatedParty", "no customer 'nobody'"),
        (ticket_body(customer, theirs), "relatedEntity[0]", "is not customer"),
        (ticket_body(customer, "ghost"), "relatedEntity[0]", "no product 'ghost'"),
        ({**good, "relatedEntity": [{"id": sub, "role": "x", "@referredType": "Service"}]},
         "relatedEntity[0].@referredType", "Product is expected"),
        ({**good, "relatedEntity": []}, "relatedEntity", "at least 1"),
    ]
    for sent, field, words in cases:
        answer = client.post(TICKETS, json=sent)
        assert answer.status_code == 400, (field, answer.json())
        assert any(p["field"] == field and words in p["message"] for p in answer.json()["problems"]), answer.json()
        validate("tmf621", "Error", answer.json())
    assert client.post(TICKETS, content=b"{", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.get(TICKETS).json() == []

    ticket = client.post(TICKETS, json=good).json()
    path = f"{TICKETS}/{ticket['id']}"
    for patch, status, field in (
        ({"status": "solved"}, 400, "status"),
        ({"status": "resolved", "resolutionDate": "2026-03-10T10:00:00Z"}, 400, "resolutionDate"),  # future
        ({"status": "held", "resolutionDate": "2026-03-10T08:30:00Z"}, 400, "resolutionDate"),
        ({"status": "closed"}, 409, ""),  # acknowledged -> closed: TMF621 goes through resolved
        ({"severity": "Minor", "status": "inProgress"}, 400, "severity"),
    ):
        answer = client.patch(path, json=patch)
        assert answer.status_code == status, (patch, answer.json())
        if field:
            assert answer.json()["problems"][0]["field"] == field, answer.json()
        validate("tmf621", "Error", answer.json())
    assert client.get(path).json() == ticket  # nothing changed
    assert client.get(f"{TICKETS}/nope").status_code == 404
    assert client.patch(f"{TICKETS}/nope", json={"status": "inProgress"}).status_code == 404
    assert client.get(TICKETS, params={"state": "x"}).status_code == 400


def test_the_hub_announces_creations_and_status_changes(bss: Bss, client: TestClient) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 1, 9))
    set_clock(bss, utc(2026, 3, 10, 9))
    receiver = Receiver()
    listener = client.post(f"{BASE}/hub", json={"callback": "http://receiver/events/tt"})
    assert listener.status_code == 201
    validate("tmf621", "EventSubscription", listener.json())
    refused = client.post(f"{BASE}/hub", json={"callback": "http://r/e", "query": "eventType=CustomerCreateEvent"})
    assert refused.status_code == 400
    ticket = client.post(TICKETS, json=ticket_body(customer_of(bss, acme), sub)).json()
    client.patch(f"{TICKETS}/{ticket['id']}", json={"status": "resolved"})
    deliver(bss, receiver)
    notes = receiver.received["tt"]
    assert [n["eventType"] for n in notes] == [
        "TroubleTicketCreateEvent", "TroubleTicketStatusChangeEvent", "TroubleTicketResolvedEvent"
    ]
    for note in notes:
        validate("tmf621", note["eventType"], note)
    assert notes[1]["event"]["troubleTicket"]["status"] == "resolved"
    assert notes[1]["event"]["troubleTicket"]["resolutionDate"] == "2026-03-10T09:00:00Z"
    assert notes[2]["event"]["troubleTicket"] == notes[1]["event"]["troubleTicket"]
    only = client.post(f"{BASE}/hub", json={"callback": "http://r/e", "query": "eventType=TroubleTicketResolvedEvent"})
    assert only.status_code == 201
