"""The bridge's HTTP listener for the hubs: only its secret callback is answered, a notification
is kept once however often the hub repeats it, and its source is woken."""

from __future__ import annotations

from starlette.testclient import TestClient

from bss_bridge.entrypoints.bridge_server import listener_app

from .conftest import World


def test_the_listener_keeps_each_notification_once_and_only_on_its_secret_callback(world: World) -> None:
    woken: list[str] = []
    token = world.bridge.ctx.store.token(world.clock.now)
    client = TestClient(listener_app(world.bridge, woken.append))
    note = {"eventId": "e-1", "eventType": "ServiceOrderStateChangeEvent", "event": {"serviceOrder": {"id": "x"}}}
    assert client.post(f"/listener/oss:tmf641/{token}", json=note).status_code == 204
    assert client.post(f"/listener/oss:tmf641/{token}", json=note).status_code == 204  # the hub retried
    assert world.bridge.ctx.store.inbox_backlog() == {"oss:tmf641": 1} and woken == ["oss:tmf641"] * 2
    assert client.post("/listener/oss:tmf641/guessed", json=note).status_code == 404
    assert client.post(f"/listener/oss:nothing/{token}", json=note).status_code == 404
    bad = client.post(f"/listener/oss:tmf641/{token}", content=b"{", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert client.get("/health").json() == {"status": "up", "backlog": {"oss:tmf641": 1}}
