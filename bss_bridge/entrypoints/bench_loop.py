"""``oss-bss bench loop``: product order to active subscription through the bridge, beside the floor.

Against a running OSS (``--oss-url``: an ``oss-agent run`` on the lab, say), this starts a BSS and
its bridge in this process on a temporary SQLite database (the demo catalog, one customer), each on
a free loopback port, the bridge listening on both sides' hubs. Each round orders an internet
access (TMF622 over the BSS's API) and times it until the product is ``active`` (the OSS having
activated and verified the service, its hub having told the bridge, the bridge having completed the
item), then terminates it the same way. The floor is the OSS alone: the same TMF641 service order
posted straight to it and polled until ``completed`` (then deleted), no BSS nor bridge. Both sides
are polled every 0.1 s. Figures (seconds, p50 and p95) as a table and, on the last line, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bss_bridge.bridge.core import Bridge
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain import bridge as rules
from bss_bridge.entrypoints import bridge_server, server

CATALOG = Path(__file__).resolve().parents[2] / "config" / "catalog.yaml"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
PRODUCTS = "/tmf-api/productInventory/v4/product"
SERVICE_ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
POLL_S = 0.1
DEADLINE_S = 300.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3)}


async def _until(what: str, probe: Callable[[], Any]) -> float:
    """Seconds until ``probe()`` (awaited) is true; fails after DEADLINE_S."""
    start = time.monotonic()
    while time.monotonic() - start < DEADLINE_S:
        if await probe():
            return time.monotonic() - start
        await asyncio.sleep(POLL_S)
    raise TimeoutError(f"{what}: not within {DEADLINE_S:.0f} s")


async def _bss_round(api: httpx.AsyncClient, party: dict[str, Any], site: str, lan: str) -> tuple[float, float]:
    chars = [{"name": "site", "value": site}, {"name": "lan", "value": lan}]
    item = {
        "id": "1",
        "action": "add",
        "productOffering": {"id": "bia-100"},
        "product": {"productCharacteristic": chars},
    }
    start = time.monotonic()
    order = (await api.post(ORDERS, json=party | {"productOrderItem": [item]})).raise_for_status().json()

    async def product() -> dict[str, Any]:
        found = (await api.get(f"{ORDERS}/{order['id']}")).json()
        if found["state"] == "failed":
            raise RuntimeError(f"product order {order['id']} failed: {found['productOrderItem'][0]}")
        product_id = found["productOrderItem"][0]["product"]["id"]
        return (await api.get(f"{PRODUCTS}/{product_id}")).json()  # type: ignore[no-any-return]

    await _until("the product active", lambda: _status(product, "active"))
    active = time.monotonic() - start
    product_id = (await product())["id"]
    end = {"id": "1", "action": "delete", "product": {"id": product_id}}
    start = time.monotonic()
    (await api.post(ORDERS, json=party | {"productOrderItem": [end]})).raise_for_status()
    await _until("the product terminated", lambda: _status(product, "terminated"))
    return active, time.monotonic() - start


async def _status(product: Callable[[], Any], wanted: str) -> bool:
    return bool((await product())["status"] == wanted)


async def _floor_round(oss: httpx.AsyncClient, site: str, lan: str) -> tuple[float, float]:
    values: dict[str, rules.WireValue] = {"site": site, "lan": lan, "bandwidthMbps": 100, "customer": "bench"}
    body = rules.add_order(f"bench-floor-{uuid.uuid4()}", "internet-access", values, rules.Party("bench", "bench"), "")
    times = []
    for _ in ("add", "delete"):
        start = time.monotonic()
        order = (await oss.post(SERVICE_ORDERS, json=body)).raise_for_status().json()

        async def done(order_id: str = order["id"]) -> bool:
            state = (await oss.get(f"{SERVICE_ORDERS}/{order_id}")).json()["state"]
            if state in ("failed", "cancelled", "partial"):
                raise RuntimeError(f"service order {order_id} ended {state}")
            return bool(state == "completed")

        await _until("the service order completed", done)
        times.append(time.monotonic() - start)
        final = (await oss.get(f"{SERVICE_ORDERS}/{order['id']}")).json()
        service_id = final["serviceOrderItem"][0]["service"]["id"]
        body = rules.delete_order(f"bench-floor-{uuid.uuid4()}", service_id, rules.Party("bench", "bench"), "")
    return times[0], times[1]


async def measure(oss_url: str, oss_token: str | None, rounds: int, site: str, lan: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="oss-bss-bench-loop-") as tmp:
        settings = BssSettings(
            data_dir=Path(tmp),
            api_port=_free_port(),
            bridge_port=_free_port(),
            oss_url=oss_url,
            oss_token=oss_token,
            catalog_file=CATALOG,
        )
        stop = asyncio.Event()
        ready: list[object] = []
        bss_task = asyncio.create_task(server.run(settings, stop=stop, on_ready=ready.append))
        await _until("the BSS", lambda: _ready(ready, 1, bss_task))
        bridge_task = asyncio.create_task(bridge_server.run(settings, stop=stop, on_ready=ready.append))
        await _until("the bridge", lambda: _ready(ready, 2, bridge_task))
        bridge = ready[1]
        assert isinstance(bridge, Bridge)
        await _until("the bridge on both hubs", lambda: _listening(bridge))
        headers = {"Authorization": f"Bearer {oss_token}"} if oss_token else {}
        async with (
            httpx.AsyncClient(base_url=settings.base_url, timeout=30) as api,
            httpx.AsyncClient(base_url=oss_url, headers=headers, timeout=30) as oss,
        ):
            customer = (await api.post("/tmf-api/customerManagement/v4/customer", json={"name": "Bench"})).json()
            account_body = {
                "name": "main",
                "relatedParty": [{"id": customer["id"], "role": "customer"}],
                "currency": "EUR",
                "taxRate": 20,
                "timeZone": "UTC",
            }
            account = (await api.post("/tmf-api/accountManagement/v4/billingAccount", json=account_body)).json()
            party = {
                "relatedParty": [{"id": customer["id"], "role": "customer", "@referredType": "Customer"}],
                "billingAccount": {"id": account["id"]},
            }
            bss_times = [await _bss_round(api, party, site, lan) for _ in range(rounds)]
            floor_times = [await _floor_round(oss, site, lan) for _ in range(rounds)]
        stop.set()
        await asyncio.gather(bss_task, bridge_task)
    return {
        "rounds": rounds,
        "order_to_active_s": _percentiles([a for a, _ in bss_times]),
        "floor_service_order_completed_s": _percentiles([a for a, _ in floor_times]),
        "termination_to_terminated_s": _percentiles([t for _, t in bss_times]),
        "floor_delete_completed_s": _percentiles([t for _, t in floor_times]),
    }


async def _ready(ready: list[object], count: int, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()
        raise RuntimeError("stopped before it was ready")
    return len(ready) >= count


async def _listening(bridge: Bridge) -> bool:
    held = {name for name, _, subscription in bridge.ctx.store.listeners() if subscription}
    return {"bss:tmf622", "oss:tmf641"} <= held


def main(oss_url: str, oss_token: str | None, rounds: int, site: str, lan: str) -> None:
    found = asyncio.run(measure(oss_url, oss_token, rounds, site, lan))
    print(f"{'loop (seconds)':<44}{'p50':>9}{'p95':>9}")
    rows = (
        ("product order -> active subscription", "order_to_active_s"),
        ("floor: TMF641 order -> completed (OSS alone)", "floor_service_order_completed_s"),
        ("termination order -> terminated", "termination_to_terminated_s"),
        ("floor: TMF641 delete -> completed", "floor_delete_completed_s"),
    )
    for label, key in rows:
        print(f"{label:<44}{found[key]['p50']:>9.3f}{found[key]['p95']:>9.3f}")
    print(json.dumps(found))
