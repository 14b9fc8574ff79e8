"""A test double of the other system: the subset of the OSS's TMF641/638/642/635 APIs the bridge uses,
in process (an httpx transport), with the OSS's documented idempotency (a known ``externalId`` is
answered 200 with the first order). The real OSS is driven by the lab test."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

ORDERING = "/tmf-api/serviceOrdering/v4"
INVENTORY = "/tmf-api/serviceInventory/v4"
ALARM = "/tmf-api/alarm/v4"
USAGE = "/tmf-api/usageManagement/v4"


@dataclass
class FakeOss:
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)  # TMF635 records, in publication order
    posts: list[dict[str, Any]] = field(default_factory=list)  # every POST of a service order, repeats too
    down: bool = False
    refuse: str = ""  # the next POSTs are refused (400) with this message
    complete_at_once: bool = False  # an order is answered completed (its service on pe1) when it is made
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503, json={"code": "503", "reason": "down"})
        path, params = request.url.path, dict(request.url.params)
        if request.method == "POST" and path == f"{ORDERING}/serviceOrder":
            return self._create(json.loads(request.content))
        for base, store in (
            (f"{ORDERING}/serviceOrder", self.orders),
            (f"{INVENTORY}/service", self.services),
            (f"{ALARM}/alarm", self.alarms),
            (f"{USAGE}/usage", self.usage),
        ):
            if request.method == "GET" and path == base:
                if int(params.get("offset", "0")) > 0:
                    return httpx.Response(200, json=[])
                return httpx.Response(200, json=[o for o in store.values() if _matches(o, params)])
            if request.method == "GET" and path.startswith(base + "/"):
                found = store.get(path[len(base) + 1 :])
                return httpx.Response(200, json=found) if found else httpx.Response(404, json={"code": "404"})
        return httpx.Response(404, json={"code": "404", "reason": f"{request.method} {path}"})

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        self.posts.append(body)
        items = body.get("serviceOrderItem")
        if self.refuse or not isinstance(items, list) or not items:
            return httpx.Response(400, json={"code": "400", "message": self.refuse or "serviceOrderItem: required"})
        for order in self.orders.values():
            if body.get("externalId") and order["externalId"] == body["externalId"]:
                return httpx.Response(200, json=order)
        order_id = f"so-{next(self._ids)}"
        now = datetime.now(UTC)
        order = {
            "id": order_id,
            "externalId": body.get("externalId"),
            "state": "acknowledged",
            "serviceOrderItem": json.loads(json.dumps(items)),
        }
        self.orders[order_id] = order
        if self.complete_at_once:
            self.finish(order_id, now, resources=("pe1",))
        return httpx.Response(201, json=order)

    def by_external(self, external_id: str) -> dict[str, Any]:
        return next(o for o in self.orders.values() if o["externalId"] == external_id)

    def finish(
        self, order_id: str, at: datetime, *, ok: bool = True, resources: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """End an order as the OSS would after activation (and verification): the inventory follows."""
        order = self.orders[order_id]
        item = order["serviceOrderItem"][0]
        order["state"] = "completed" if ok else "failed"
        order["completionDate"] = at.isoformat()
        if not ok:
            order["errorMessage"] = [{"code": "check", "message": "traffic check failed", "reason": "verification"}]
            return order
        service = item["service"]
        if item["action"] == "add":
            service["id"] = f"svc-{next(self._ids)}"
            self.services[service["id"]] = {
                "id": service["id"],
                "externalId": order["externalId"],  # the OSS passes the ordering item's reference through
                "state": "active",
                "serviceCharacteristic": service["serviceCharacteristic"],
                "supportingResource": [{"id": r} for r in resources],
            }
        elif item["action"] == "delete":
            self.services[service["id"]]["state"] = "terminated"
        else:
            known = self.services[service["id"]]
            if "state" in service:
                known["state"] = service["state"]
            changed = {c["name"]: c for c in service.get("serviceCharacteristic", [])}
            known["serviceCharacteristic"] = [changed.pop(c["name"], c) for c in known["serviceCharacteristic"]]
        return order

    def publish(
        self, service_id: str, start: datetime, inbound: int, outbound: int, seconds: int = 3600
    ) -> dict[str, Any]:
        """A volume record of ``service_id`` for the interval from ``start``, as the OSS publishes it."""
        end = (start + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
        usage_id = f"{service_id}:volume:{start.strftime('%Y%m%dT%H%M%SZ')}:{seconds}"
        values = {
            "serviceId": service_id,
            "interface": "pe1:eth2",
            "endDateTime": end,
            "intervalSeconds": seconds,
            "measuredSeconds": seconds,
            "inboundOctets": inbound,
            "outboundOctets": outbound,
        }
        record = {
            "id": usage_id,
            "usageDate": start.isoformat().replace("+00:00", "Z"),
            "usageType": "volume",
            "usageCharacteristic": [{"name": k, "value": v} for k, v in values.items()],
            "@type": "Usage",
        }
        self.usage[usage_id] = record
        return record

    def usage_event(self, record: dict[str, Any]) -> dict[str, Any]:
        """The TMF635 hub's notification of a published record."""
        return {"eventId": f"ev-{next(self._ids)}", "eventType": "UsageCreateEvent", "event": {"usage": record}}

    def event(self, order: dict[str, Any]) -> dict[str, Any]:
        """The TMF641 hub's notification of an order's state."""
        return {
            "eventId": f"ev-{next(self._ids)}",
            "eventType": "ServiceOrderStateChangeEvent",
            "event": {"serviceOrder": json.loads(json.dumps(order))},
        }


def _matches(item: dict[str, Any], params: dict[str, str]) -> bool:
    for key, wanted in params.items():
        if key in ("offset", "limit", "fields"):
            continue
        if key.endswith(".gte"):
            found = datetime.fromisoformat(str(item.get(key[:-4])).replace("Z", "+00:00"))
            if found < datetime.fromisoformat(wanted.replace("Z", "+00:00")):
                return False
        elif key == "supportingResource.id":
            if wanted not in {r["id"] for r in item.get("supportingResource", [])}:
                return False
        elif str(item.get(key)) not in wanted.split(","):
            return False
    return True


@contextlib.contextmanager
def served(fake: FakeOss) -> Iterator[str]:
    """``fake`` over real HTTP on a free loopback port (for a bridge in another process); its URL."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = httpx.Request(self.command, f"http://fake{self.path}", content=body)
            with lock:
                answer = fake.handle(request)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def do_GET(self) -> None:  # the names http.server calls
            self._any()

        def do_POST(self) -> None:
            self._any()

        def do_DELETE(self) -> None:
            self._any()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
