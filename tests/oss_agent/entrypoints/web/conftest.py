"""The console's test rig: one ``oss-agent run`` against the lab for the module, one Chromium for the module
(``tests/browser.py``: Debian's, never Playwright's own download). Each test gets a fresh browser context
(no cookies), signs in through the login form, and fails if the page logged an error to the console or threw.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.pytest_plugin import LabHandle

from ....browser import chromium, signed_in_page, wait_for
from ....ports import free_port

OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")
PROBES = "pe1>pe2,pe2>p1"


@dataclass
class RunningAgent:
    base_url: str
    token: str
    log: Path
    data_dir: Path
    lab: LabHandle
    process: subprocess.Popen[bytes]
    secrets: list[str] = field(default_factory=list)

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)

    def get(self, path: str, **params: Any) -> Any:
        with self.api() as client:
            answer = client.get(path, params=params)
            answer.raise_for_status()
            return answer.json()


def connected(resources: list[dict[str, Any]]) -> int:
    """How many interface ends the TMF639 inventory shows cabled to another (two per link)."""
    return sum(
        1 for r in resources for rel in r.get("resourceRelationship", []) if rel["relationshipType"] == "connectedTo"
    )


def lab_secret_values(lab: LabHandle) -> list[str]:
    """Every secret of the lab (SSH password, communities, v3 keys): none may reach a page."""
    return [p.read_text().strip() for p in sorted(lab.options.secrets_dir.iterdir()) if p.read_text().strip()]


@pytest.fixture(scope="module")
def agent(lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningAgent]:
    """``oss-agent run`` on the lab: polls every 2 s, traps on the lab's trap address, latency probes."""
    data = tmp_path_factory.mktemp("console-agent")
    port = free_port()
    token = "tok-" + secrets.token_urlsafe(24)
    trap_host, trap_port = lab.trap_address
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | {
        "OSS_AGENT_DATA_DIR": str(data),
        "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path),
        "OSS_AGENT_API_PORT": str(port),
        "OSS_AGENT_API_TOKEN": token,
        "OSS_AGENT_POLL_INTERVAL_S": "2",
        "OSS_AGENT_POLL_JITTER_S": "0.5",
        "OSS_AGENT_DEVICE_TIMEOUT_S": "3",
        "OSS_AGENT_TRAP_HOST": trap_host,
        "OSS_AGENT_TRAP_PORT": str(trap_port),
        "OSS_AGENT_LATENCY_PROBES": PROBES,
        "OSS_AGENT_LATENCY_INTERVAL_S": "5",
    }
    log = data / "agent.log"
    with log.open("w") as out:
        process = subprocess.Popen([OSS_AGENT, "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    running = RunningAgent(f"http://127.0.0.1:{port}", token, log, data, lab, process)
    running.secrets = [token, *lab_secret_values(lab)]
    try:

        def ready(path: str, params: dict[str, Any], enough: Callable[[Any], bool]) -> Callable[[], bool]:
            def check() -> bool:
                assert process.poll() is None, log.read_text()[-3000:]
                try:
                    return enough(running.get(path, **params))
                except httpx.HTTPError:
                    return False

            return check

        wait_for("the API", ready("/fault/v1/kpis", {}, lambda _: True), log=log)
        wait_for(
            "rates of pe1 eth1",
            ready(
                "/perf/v1/series", {"device": "pe1", "interface": "eth1", "since": 0}, lambda d: len(d["points"]) >= 3
            ),
            log=log,
        )
        wait_for(
            "the 5 links, discovered",
            ready("/tmf-api/resourceInventoryManagement/v4/resource", {"limit": 1000}, lambda d: connected(d) >= 10),
            log=log,
        )
        wait_for(
            "latency samples",
            ready("/perf/v1/latency", {"hours": 1}, lambda d: all(p["samples"] >= 1 for p in d["probes"])),
            log=log,
        )
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def off_loop(func: Callable[..., Any], *args: Any) -> Any:
    """Run ``func`` in a thread of its own: Playwright's sync API keeps an event loop running in this one,
    and the lab's helpers start their own with ``asyncio.run``."""
    result: list[Any] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(func(*args))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


@pytest.fixture(scope="module")
def browser(agent: RunningAgent) -> Iterator[Any]:
    """One Chromium for the module, started after the lab and the agent and closed before the next module
    (its event loop must not outlive these tests: others call ``asyncio.run``)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, agent: RunningAgent, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A signed-in page in a fresh context; console errors and page errors fail the test."""
    with signed_in_page(browser, agent.base_url, "/ui/alarms", agent.token, request.node.name, agent.log) as page:
        yield page


@pytest.fixture
def lab_call() -> Callable[..., Any]:
    """``lab_call(faults.link_down, options, "pe1", "eth2")``: a lab helper, run off Playwright's loop."""
    return off_loop
