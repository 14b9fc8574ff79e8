"""The daemon takes orders over TMF641: one scheduled a few seconds ahead starts then (APScheduler),
runs on the lab, its state changes reach a hub listener; a delete order undoes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.pytest_plugin import LabHandle

from ...ports import free_port, free_udp_port
from .conftest import Prov, delete_order, ping, site_interconnect

pytestmark = pytest.mark.lab
OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")
ORDERING = "/tmf-api/serviceOrdering/v4"


@pytest.fixture
def listener() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server calls
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/events", received
    finally:
        server.shutdown()
        server.server_close()


def wait_for(what: str, check: Callable[[], Any], timeout_s: float = 90) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_daemon_runs_a_scheduled_order_and_tells_the_hub(
    lab: LabHandle, prov: Prov, clean: None, tmp_path: Path, listener: tuple[str, list[dict[str, Any]]]
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | {
        "OSS_AGENT_DATA_DIR": str(tmp_path),
        "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path),
        "OSS_AGENT_API_PORT": str(port),
        "OSS_AGENT_POLL_INTERVAL_S": "30",
        "OSS_AGENT_TRAP_PORT": str(free_udp_port()),
    }
    log = (tmp_path / "agent.log").open("w")
    process = subprocess.Popen([OSS_AGENT, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    callback, received = listener

    def linked() -> bool:  # the daemon's first discovery has found each CE's uplink
        assert process.poll() is None, (tmp_path / "agent.log").read_text()
        try:
            resources = client.get("/tmf-api/resourceInventoryManagement/v4/resource", params={"name": "eth1"}).json()
        except httpx.TransportError:
            return False
        ce_ports = [r for r in resources if r["id"] in ("ce1:eth1", "ce2:eth1")]
        return len(ce_ports) == 2 and all(len(r["resourceRelationship"]) == 2 for r in ce_ports)

    def state(order_id: str) -> str:
        return str(client.get(f"{ORDERING}/serviceOrder/{order_id}").json()["state"])

    try:
        wait_for("discovery", linked)
        assert (
            client.post(
                f"{ORDERING}/hub", json={"callback": callback, "query": "eventType=ServiceOrderStateChangeEvent"}
            ).status_code
            == 201
        )
        start = datetime.now(UTC) + timedelta(seconds=4)
        body = site_interconnect() | {"externalId": "crm-daemon", "requestedStartDate": start.isoformat()}
        order = client.post(f"{ORDERING}/serviceOrder", json=body).json()
        assert order["state"] == "acknowledged"
        wait_for("completion", lambda: state(order["id"]) in ("completed", "failed"))
        final = client.get(f"{ORDERING}/serviceOrder/{order['id']}").json()
        assert final["state"] == "completed", final.get("errorMessage")
        assert datetime.fromisoformat(final["startDate"]) >= start
        assert ping(lab, "lan1", "198.18.3.10")
        seen = wait_for(
            "the hub events",
            lambda: (
                [
                    e["event"]["serviceOrder"]["state"]
                    for e in received
                    if e["event"]["serviceOrder"]["id"] == order["id"]
                ][-1:]
                == ["completed"]
                and received
            ),
        )
        states = [e["event"]["serviceOrder"]["state"] for e in seen if e["event"]["serviceOrder"]["id"] == order["id"]]
        assert states == ["inProgress", "completed"]
        service_id = final["serviceOrderItem"][0]["service"]["id"]
        gone = client.post(f"{ORDERING}/serviceOrder", json=delete_order(service_id)).json()
        wait_for("the delete", lambda: state(gone["id"]) in ("completed", "failed"))
        assert state(gone["id"]) == "completed" and not ping(lab, "lan1", "198.18.3.10")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        log.close()
    text = (tmp_path / "agent.log").read_text()
    assert "Traceback" not in text, text[text.find("Traceback") - 300 :][:3000]
