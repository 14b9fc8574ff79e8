"""``oss-bss bench loop``: product order to active subscription through the bridge, beside the floor.

Against a running OSS (``--oss-url``: an ``oss-agent run`` on the lab, say), this starts a BSS and
its bridge in this process on a temporary SQLite database (the demo catalog, one customer), each on
a free loopback port, the bridge listening on both sides' hubs. Each round orders an internet
access (TMF622 over the BSS's API) and times it until the product is ``active`` (the OSS having
activated and verified the service, its hub having told the bridge, the bridge having completed the
item), then terminates it the same way. The floor is the OSS alone: the same TMF641 service order
posted straight to it and polled until ``completed`` (then deleted), no BSS nor bridge. Both sides
are polled every 0.1 s. Figures (seconds, p50 and p95) as a table and, on the last line, as JSON.

While each round's product is active, two more figures:

- **usage record -> rated line**: from the moment the OSS's ``GET /usage`` first lists a record of
  the product's service (polled every 0.1 s: the publication, to within that) until the BSS's TMF635
  shows that record ``rated`` (the bridge imported it under the product and billing's rating pass,
  here every ``RATE_EVERY_S``, counted it). The OSS must publish often enough for a round to see a
  record (``OSS_AGENT_USAGE_INTERVAL_S=10``, say); rounds where none comes within the deadline fail.
- **alarm -> ticket** (with ``lab_prefix``, the OSS's lab): the PE's port to the customer is taken
  down in the lab's namespace (``ip -n <prefix>-pe1 link set <port> down``); the figure is the
  TMF621 ticket's ``creationDate`` in the BSS minus the ``alarmRaisedTime`` of the OSS alarm that
  opened it (its ``externalId`` names it): both the systems' own clocks, on one host. The port is
  brought back and the ticket awaited ``resolved`` before the round goes on.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import subprocess
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
from bss_bridge.entrypoints.demo_story import open_customer

CATALOG = Path(__file__).resolve().parents[2] / "config" / "catalog.yaml"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
PRODUCTS = "/tmf-api/productInventory/v4/product"
SERVICE_ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
USAGE = "/tmf-api/usageManagement/v4/usage"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
SERVICES = "/tmf-api/serviceInventory/v4/service"
ALARMS = "/tmf-api/alarm/v4/alarm"
POLL_S = 0.1
DEADLINE_S = 300.0
RATE_EVERY_S = 1.0  # the BSS's rating pass in this bench (its default is every 300 s)


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


def _instant(text: str) -> float:
    return rules.parse_instant(text).timestamp()  # type: ignore[union-attr]


async def _usage_latency(api: httpx.AsyncClient, oss: httpx.AsyncClient, product_id: str, service_id: str) -> float:
    """Seconds from the OSS's first listing of a record of ``service_id`` to its line rated in the BSS."""
    seen: dict[str, float] = {}
    rated: list[float] = []

    async def done() -> bool:
        listed = (await oss.get(USAGE, params={"usageCharacteristic.value": service_id})).json()
        now = time.monotonic()
        for record in listed:
            seen.setdefault(record["id"], now)
        for usage_id, first in list(seen.items()):
            found = await api.get(f"{USAGE}/{usage_id}")
            if found.status_code == 200 and found.json()["status"] in ("rated", "billed"):
                rated.append(time.monotonic() - first)
                return True
        return False

    await _until(f"a usage record of product {product_id} rated", done)
    return rated[0]


def _link(prefix: str, device: str, port: str, state: str) -> None:
    subprocess.run(["ip", "-n", f"{prefix}-{device}", "link", "set", port, state], check=True, timeout=30)


async def _alarm_latency(
    api: httpx.AsyncClient, oss: httpx.AsyncClient, customer_id: str, service_id: str, prefix: str
) -> float:
    """The ticket's creation minus the alarm's raise, for a link fault on the PE's port to the customer."""
    service = (await oss.get(f"{SERVICES}/{service_id}")).raise_for_status().json()
    ports = [r["id"] for r in service.get("supportingResource", []) if ":" in r["id"]]
    device, port = next(p for p in ports if p.startswith("pe")).split(":", 1)
    params = {"relatedParty.id": customer_id}
    before = {t["id"] for t in (await api.get(TICKETS, params=params)).json()}

    async def opened() -> list[dict[str, Any]]:
        return [t for t in (await api.get(TICKETS, params=params)).json() if t["id"] not in before]

    _link(prefix, device, port, "down")
    try:
        await _until("the ticket", opened)
    finally:
        _link(prefix, device, port, "up")
    (ticket,) = await opened()
    alarm_id = ticket["externalId"].removeprefix("alarm-").rsplit(":", 1)[0]
    alarm = (await oss.get(f"{ALARMS}/{alarm_id}")).raise_for_status().json()

    async def resolved() -> bool:
        return bool((await api.get(f"{TICKETS}/{ticket['id']}")).json()["status"] in ("resolved", "closed"))

    await _until("the ticket resolved", resolved)
    return _instant(ticket["creationDate"]) - _instant(alarm["alarmRaisedTime"])


async def _bss_round(
    api: httpx.AsyncClient, oss: httpx.AsyncClient, party: dict[str, Any], site: str, lan: str, prefix: str | None
) -> tuple[float, float, float, float | None]:
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
    service_id = await _service_of(oss, f"{order['id']}:1")
    usage = await _usage_latency(api, oss, product_id, service_id)
    customer_id = party["relatedParty"][0]["id"]
    alarm = None if prefix is None else await _alarm_latency(api, oss, customer_id, service_id, prefix)
    end = {"id": "1", "action": "delete", "product": {"id": product_id}}
    start = time.monotonic()
    (await api.post(ORDERS, json=party | {"productOrderItem": [end]})).raise_for_status()
    await _until("the product terminated", lambda: _status(product, "terminated"))
    return active, time.monotonic() - start, usage, alarm


async def _service_of(oss: httpx.AsyncClient, external_id: str) -> str:
    (order,) = (await oss.get(SERVICE_ORDERS, params={"externalId": external_id})).json()
    found = (await oss.get(f"{SERVICE_ORDERS}/{order['id']}")).json()
    return str(found["serviceOrderItem"][0]["service"]["id"])


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


async def measure(
    oss_url: str, oss_token: str | None, rounds: int, site: str, lan: str, lab_prefix: str | None = None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="oss-bss-bench-loop-") as tmp:
        settings = BssSettings(
            data_dir=Path(tmp),
            api_port=_free_port(),
            bridge_port=_free_port(),
            oss_url=oss_url,
            oss_token=oss_token,
            catalog_file=CATALOG,
            rate_usage_every_s=RATE_EVERY_S,
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
            _, _, party = await open_customer(api, "Bench")
            bss_times = [await _bss_round(api, oss, party, site, lan, lab_prefix) for _ in range(rounds)]
            floor_times = [await _floor_round(oss, site, lan) for _ in range(rounds)]
        stop.set()
        await asyncio.gather(bss_task, bridge_task)
    return {
        "rounds": rounds,
        "order_to_active_s": _percentiles([r[0] for r in bss_times]),
        "floor_service_order_completed_s": _percentiles([a for a, _ in floor_times]),
        "termination_to_terminated_s": _percentiles([r[1] for r in bss_times]),
        "floor_delete_completed_s": _percentiles([t for _, t in floor_times]),
        "usage_record_to_rated_s": _percentiles([r[2] for r in bss_times]),
        "bss_rate_usage_every_s": RATE_EVERY_S,
        "alarm_to_ticket_s": None
        if lab_prefix is None
        else _percentiles([r[3] for r in bss_times if r[3] is not None]),
    }


async def _ready(ready: list[object], count: int, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()
        raise RuntimeError("stopped before it was ready")
    return len(ready) >= count


async def _listening(bridge: Bridge) -> bool:
    held = {name for name, _, subscription in bridge.ctx.store.listeners() if subscription}
    return {"bss:tmf622", "oss:tmf641", "oss:tmf642", "oss:tmf635"} <= held


def main(oss_url: str, oss_token: str | None, rounds: int, site: str, lan: str, lab_prefix: str | None = None) -> None:
    found = asyncio.run(measure(oss_url, oss_token, rounds, site, lan, lab_prefix))
    print(f"{'loop (seconds)':<44}{'p50':>9}{'p95':>9}")
    rows = (
        ("product order -> active subscription", "order_to_active_s"),
        ("floor: TMF641 order -> completed (OSS alone)", "floor_service_order_completed_s"),
        ("termination order -> terminated", "termination_to_terminated_s"),
        ("floor: TMF641 delete -> completed", "floor_delete_completed_s"),
        (f"usage record -> rated line (rating every {RATE_EVERY_S:g} s)", "usage_record_to_rated_s"),
        ("OSS alarm raised -> TMF621 ticket in the BSS", "alarm_to_ticket_s"),
    )
    for label, key in rows:
        if found[key] is None:
            print(f"{label:<44}{'(no --lab-prefix: no link fault)':>18}")
            continue
        print(f"{label:<44}{found[key]['p50']:>9.3f}{found[key]['p95']:>9.3f}")
    print(json.dumps(found))
