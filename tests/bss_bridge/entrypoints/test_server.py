"""The BSS as its own process: ``oss-bss run`` serves its API on its own port with the catalog
loaded, and ``oss-bss run --with-agent`` starts the agent beside it (one command for the demo; the
agent's console links to the BSS's),
asks the agent's real TMF639 API about an order's site over HTTP, and stops both on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from ...ports import free_port, free_udp_port
from ..conftest import CATALOG

OSS_BSS = str(Path(sys.executable).parent / "oss-bss")
TOKEN, AGENT_TOKEN = "bss-token-under-test", "agent-token-under-test"


def wait_for(
    what: str, probe: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited before {what}:\n{log.read_text()}"
        try:
            if probe():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()}")


def test_one_command_runs_the_bss_and_the_agent_and_stops_both(tmp_path: Path) -> None:
    bss_port, agent_port = free_port(), free_port()
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("devices: []\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | {
        "OSS_AGENT_DATA_DIR": str(tmp_path),
        "OSS_AGENT_INVENTORY_FILE": str(inventory),
        "OSS_AGENT_API_PORT": str(agent_port),
        "OSS_AGENT_API_TOKEN": AGENT_TOKEN,
        "OSS_AGENT_TRAP_PORT": str(free_udp_port()),
        "OSS_AGENT_BSS_API_PORT": str(bss_port),
        "OSS_AGENT_BSS_API_TOKEN": TOKEN,
        "OSS_AGENT_BSS_CATALOG_FILE": str(CATALOG),
        "OSS_AGENT_BSS_OSS_URL": f"http://127.0.0.1:{agent_port}",
        "OSS_AGENT_BSS_OSS_TOKEN": AGENT_TOKEN,
    }
    log_path = tmp_path / "run.log"
    log = log_path.open("w")
    process = subprocess.Popen([OSS_BSS, "run", "--with-agent"], env=env, stdout=log, stderr=subprocess.STDOUT)
    bss = httpx.Client(base_url=f"http://127.0.0.1:{bss_port}", headers={"Authorization": f"Bearer {TOKEN}"})
    agent = httpx.Client(base_url=f"http://127.0.0.1:{agent_port}", headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
    try:
        offerings = "/tmf-api/productCatalogManagement/v4/productOffering"
        wait_for("the BSS API", lambda: bss.get(offerings).status_code == 200, process, log_path)
        wait_for(
            "the agent API",
            lambda: agent.get("/tmf-api/resourceInventoryManagement/v4/resource").status_code == 200,
            process,
            log_path,
        )
        assert bss.get(offerings).headers["X-Total-Count"] == "5"
        # both consoles: the BSS's asks for its own token, the agent's menu links to it
        assert "Sign in with the BSS&#39;s API token" in bss.get("/ui/login").text
        with httpx.Client(base_url=f"http://127.0.0.1:{agent_port}", follow_redirects=True) as browser:
            home = browser.post("/ui/login", data={"operator": "Ann", "token": AGENT_TOKEN, "next": "/ui/"})
            assert f'href="http://127.0.0.1:{bss_port}/ui/"' in home.text
        assert bss.get(offerings, headers={"Authorization": "Bearer wrong"}).status_code == 401
        customer = bss.post("/tmf-api/customerManagement/v4/customer", json={"name": "ACME"}).json()["id"]
        account = bss.post(
            "/tmf-api/accountManagement/v4/billingAccount",
            json={"name": "main", "relatedParty": [{"id": customer, "role": "customer"}], "currency": "EUR"},
        ).json()["id"]
        order = bss.post(
            "/tmf-api/productOrderingManagement/v4/productOrder",
            json={
                "relatedParty": [{"id": customer, "role": "customer"}],
                "billingAccount": {"id": account},
                "productOrderItem": [
                    {
                        "id": "1",
                        "action": "add",
                        "productOffering": {"id": "bia-100"},
                        "product": {"productCharacteristic": [{"name": "site", "value": "customer1"}]},
                    }
                ],
            },
        )
        # the agent's inventory is empty: it has no site customer1, and said so over HTTP
        assert order.status_code == 400
        assert order.json()["problems"][0]["message"] == "no site 'customer1' in the OSS's resource inventory"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
    finally:
        bss.close()
        agent.close()
        if process.poll() is None:
            process.kill()
        log.close()
    text = log_path.read_text()
    assert "BSS stopped" in text and "agent stopped" in text and "Traceback" not in text
    assert TOKEN not in text and AGENT_TOKEN not in text
    assert (tmp_path / "bss.db").exists() and (tmp_path / "oss-agent.db").exists()
    for port in (bss_port, agent_port):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"something still listens on {port}"


def test_when_the_agent_cannot_run_the_bss_stops_too_and_says_why(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | {
        "OSS_AGENT_DATA_DIR": str(tmp_path),
        "OSS_AGENT_API_PORT": "0",  # refused by the agent's settings
        "OSS_AGENT_BSS_API_PORT": str(free_port()),
    }
    result = subprocess.run([OSS_BSS, "run", "--with-agent"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "OSS_AGENT_API_PORT" in result.stderr and "the agent exited with status 1: stopping the BSS" in result.stderr
