"""The BSS's hubs: listeners registered per API, notifications owed from the commit on, delivered in
order with back-off past a failing callback, never lost, never sent for a rolled-back change."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss
from bss_bridge.hub.dispatcher import DeliverySettings, Dispatcher

from .conftest import validate

HUB = "/tmf-api/customerManagement/v4/hub"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


class Receiver:
    """A listener's endpoint: records what it is sent, and fails while ``failing``."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.failing = False
        self.app = FastAPI()

        @self.app.post("/events/{listener}")
        async def events(listener: str, request: Request) -> dict[str, str]:
            if self.failing:
                raise HTTPException(503)
            self.received.setdefault(listener, []).append(await request.json())
            return {}


def deliver(bss: Bss, receiver: Receiver) -> Dispatcher:
    dispatcher = Dispatcher(bss.hub, DeliverySettings(base_delay_s=0.0, max_delay_s=0.0))

    async def rounds() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app)) as client:
            while await dispatcher.round(client):
                pass

    asyncio.run(rounds())
    return dispatcher


def test_listeners_are_managed_per_api_and_bad_ones_refused(client: TestClient) -> None:
    created = client.post(HUB, json={"callback": "http://receiver/events", "query": "eventType=CustomerCreateEvent"})
    assert created.status_code == 201
    validate("tmf629", "EventSubscription", created.json())
    assert created.headers["Location"].endswith(f"{HUB}/{created.json()['id']}")
    assert [h["id"] for h in client.get(HUB).json()] == [created.json()["id"]]
    assert client.get("/tmf-api/productOrderingManagement/v4/hub").json() == []
    assert client.get(f"/tmf-api/productOrderingManagement/v4/hub/{created.json()['id']}").status_code == 404
    assert client.post(HUB, json={"callback": "ftp://x/y"}).json()["problems"][0]["field"] == "callback"
    unparsable = client.post(HUB, json={"callback": "http://[::1/events"})  # no closing bracket (schemathesis)
    assert unparsable.status_code == 400 and unparsable.json()["problems"][0]["field"] == "callback"
    bad = client.post(HUB, json={"callback": "http://r/e", "query": "eventType=ProductOrderCreateEvent"})
    assert bad.json()["problems"][0]["field"] == "query" and "not sent by this API" in bad.json()["message"]
    assert client.delete(f"{HUB}/{created.json()['id']}").status_code == 204
    assert client.delete(f"{HUB}/{created.json()['id']}").status_code == 404


def test_notifications_are_delivered_in_order_after_a_failing_callback_recovers(client: TestClient, bss: Bss) -> None:
    receiver = Receiver()
    client.post(HUB, json={"callback": "http://receiver/events/all"})
    states = client.post(
        HUB, json={"callback": "http://receiver/events/states", "query": "eventType=CustomerStateChangeEvent"}
    )
    customer = client.post(CUSTOMERS, json={"name": "ACME"}).json()
    receiver.failing = True
    deliver(bss, receiver)
    assert receiver.received == {} and bss.hub.backlog() == 1
    client.patch(f"{CUSTOMERS}/{customer['id']}", json={"status": "suspended"})
    client.post(CUSTOMERS, json={"name": ""})  # refused: announces nothing
    receiver.failing = False
    dispatcher = deliver(bss, receiver)
    kinds = {listener: [n["eventType"] for n in notes] for listener, notes in receiver.received.items()}
    assert kinds == {"all": ["CustomerCreateEvent", "CustomerStateChangeEvent"], "states": ["CustomerStateChangeEvent"]}
    assert dispatcher.delivered == 3 and bss.hub.backlog() == 0
    for note in receiver.received["all"]:
        validate("tmf629", note["eventType"], note)
    assert receiver.received["all"][1]["eventId"] == receiver.received["states"][0]["eventId"]
    assert receiver.received["states"][0]["event"]["customer"]["status"] == "suspended"
    assert client.get(f"{HUB}/{states.json()['id']}").json()["query"] == "eventType=CustomerStateChangeEvent"


def test_logs_show_a_callback_by_its_origin_only(
    client: TestClient, bss: Bss, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback's path and userinfo may be its listener's secret (the bridge's path carries a token):
    neither the dispatcher's lines nor httpx's request lines show more than its origin."""
    receiver = Receiver()
    client.post(HUB, json={"callback": "http://receiver/events/cb-t0ken-5ecret"})
    failing = client.post(HUB, json={"callback": "http://user:pa55-5ecret@receiver/events/down"}).json()
    client.post(CUSTOMERS, json={"name": "ACME"})

    async def refuse_one(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/down"):
            return httpx.Response(503)
        return await httpx.ASGITransport(app=receiver.app).handle_async_request(request)

    async def rounds() -> None:
        dispatcher = Dispatcher(bss.hub, DeliverySettings(base_delay_s=0.0, max_delay_s=0.0))
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse_one)) as http:
            await dispatcher.round(http)

    with caplog.at_level(logging.DEBUG):
        asyncio.run(rounds())
    assert len(receiver.received["cb-t0ken-5ecret"]) == 1
    said = "\n".join(record.getMessage() for record in caplog.records)
    assert "5ecret" not in said
    assert "http://receiver/..." in said  # httpx's line for each delivery, by origin
    assert f"hub callback http://receiver of listener {failing['id']} failed (HTTP 503)" in said
