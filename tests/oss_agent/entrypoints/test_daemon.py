"""``oss-agent run`` as an operator runs it: a real process polling the lab, its API, and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lab.pytest_plugin import LabHandle
from oss_agent.performance.store import PerfStore
from oss_agent.storage.engine import make_engine

from ...ports import free_port, free_udp_port

pytestmark = pytest.mark.lab
OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")


def test_the_daemon_polls_serves_and_stops_cleanly_on_sigterm(lab: LabHandle, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | {
        "OSS_AGENT_DATA_DIR": str(tmp_path),
        "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path),
        "OSS_AGENT_API_PORT": str(port),
        "OSS_AGENT_API_TOKEN": "t0ken-under-test",
        "OSS_AGENT_POLL_INTERVAL_S": "1",
        "OSS_AGENT_POLL_JITTER_S": "0.2",
        "OSS_AGENT_TRAP_PORT": str(free_udp_port()),
    }
    log = (tmp_path / "agent.log").open("w")
    process = subprocess.Popen([OSS_AGENT, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer t0ken-under-test"})
    try:
        deadline = time.monotonic() + 60
        points: list[dict[str, object]] = []
        while time.monotonic() < deadline and len(points) < 3:
            assert process.poll() is None, (tmp_path / "agent.log").read_text()
            try:
                answer = client.get("/perf/v1/series", params={"device": "pe1", "interface": "eth1", "since": 0})
                points = answer.json()["points"] if answer.status_code == 200 else []
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert len(points) >= 3, "no samples reached the API"
        metrics = client.get("/metrics").text
        assert 'oss_agent_polls_total{result="ok"}' in metrics
        assert 'oss_agent_device_poll_failures_total{device="pe1"}' in metrics  # there, at 0 while healthy
        assert 'oss_agent_device_poll_duration_seconds_count{device="pe1"}' in metrics
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        resources = client.get("/tmf-api/resourceInventoryManagement/v4/resource", params={"limit": 100})
        assert resources.status_code == 200
        assert "pe1" in {r["name"] for r in resources.json()}
        alarms = client.get("/tmf-api/alarm/v4/alarm")
        assert alarms.status_code == 200 and isinstance(alarms.json(), list)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        client.close()
        if process.poll() is None:
            process.kill()
        log.close()
    text = (tmp_path / "agent.log").read_text()
    assert "agent stopped" in text and "Traceback" not in text
    assert "t0ken-under-test" not in text
    store = PerfStore(make_engine(f"sqlite:///{tmp_path / 'oss-agent.db'}"))
    assert len(store.series("pe1", "eth1", "in_bps", since=0)) >= 3


def test_the_first_discovery_runs_however_late_a_busy_machine_starts_it() -> None:
    """The discovery at start must not be skipped as a misfire when the loop is busy for a second
    (it then waited a whole ``discovery_interval_s``: an agent with no topology for an hour)."""
    from types import SimpleNamespace

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from oss_agent.config.settings import AgentSettings
    from oss_agent.entrypoints.daemon import schedule

    scheduler = AsyncIOScheduler(timezone="UTC")
    from sqlalchemy import create_engine

    agent = SimpleNamespace(settings=AgentSettings(), engine=create_engine("sqlite://"))
    poller = SimpleNamespace(targets=[], store=SimpleNamespace(), flush=lambda: None)
    jobs = SimpleNamespace(wrap=lambda work: work)
    schedule(scheduler, agent, poller, jobs)  # type: ignore[arg-type]
    discovery = scheduler.get_job("discovery")
    assert discovery is not None and discovery.misfire_grace_time is None
