"""Latency probes: settings, the store's series and summaries (SQLite and PostgreSQL), the prober over fake
devices, target resolution from discovery, the API and ``oss-agent kpi``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from adapters import DeviceTarget, DeviceUnreachableError, DriverRegistry, SshAccess
from adapters.fake import FakeNetwork
from oss_agent.bootstrap import bootstrap
from oss_agent.config import AgentSettings, load_settings
from oss_agent.entrypoints.api import create_app
from oss_agent.errors import ConfigError
from oss_agent.performance.latency import LatencySample, LatencyStore
from oss_agent.performance.prober import LatencyProber, resolve_target
from oss_agent.performance.store import PerfStore, Retention
from oss_agent.storage import migrate
from oss_agent.storage.engine import make_engine
from oss_agent.storage.orm import DeviceRow, InterfaceAddressRow

BASE = 1_800_000_000.0  # a multiple of 3600
OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")


def sample(probe: str, ts: float, sent: int, received: int, rtt: float | None, spread: float = 0.5) -> LatencySample:
    low, high = (rtt - spread, rtt + spread) if rtt is not None else (None, None)
    return LatencySample(probe, "pe1", "pe2", "198.19.255.2", ts, sent, received, low, rtt, high)


@pytest.fixture
def store(database_url: str) -> LatencyStore:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    return LatencyStore(engine)


def test_settings_take_probes_from_yaml_or_the_environment_and_refuse_bad_ones(tmp_path: Path) -> None:
    settings = load_settings(environ={"OSS_AGENT_LATENCY_PROBES": "pe1>pe2, pe2>198.19.255.3"})
    assert [(p.label, p.count) for p in settings.latency_probes] == [("pe1>pe2", 3), ("pe2>198.19.255.3", 3)]
    path = tmp_path / "agent.yaml"
    path.write_text("latency_probes:\n  - {source: pe1, target: pe2, name: core-a, count: 5}\n")
    assert [(p.label, p.count) for p in load_settings(path, environ={}).latency_probes] == [("core-a", 5)]
    path.write_text("latency_probes:\n  - {source: pe1, target: 'pe2; reboot'}\n")
    with pytest.raises(ConfigError, match=r"agent.yaml:2: latency_probes\[0\]\.target"):
        load_settings(path, environ={})
    with pytest.raises(ConfigError, match="not source>target"):
        load_settings(environ={"OSS_AGENT_LATENCY_PROBES": "pe1-pe2"})
    with pytest.raises(ConfigError, match="unique; twice: pe1>pe2"):
        load_settings(environ={"OSS_AGENT_LATENCY_PROBES": "pe1>pe2,pe1>pe2"})


def test_series_buckets_weight_the_round_trip_by_replies_and_count_loss(store: LatencyStore) -> None:
    # bucket 1: a 1 ms run with 3 replies, a 5 ms run with 1 reply of 3, a run with none; bucket 2: one clean run
    assert (
        store.write(
            [
                sample("a", BASE + 10, 3, 3, 1.0),
                sample("a", BASE + 70, 3, 1, 5.0),
                sample("a", BASE + 130, 3, 0, None),
                sample("a", BASE + 310, 3, 3, 2.0),
                sample("b", BASE + 20, 3, 3, 9.0),
            ]
        )
        == 5
    )
    raw = store.series("a", BASE)
    assert [(p.rtt_avg_ms, p.loss_pct) for p in raw] == [(1.0, 0.0), (5.0, 100 * 2 / 3), (None, 100.0), (2.0, 0.0)]
    buckets = store.series("a", BASE, 300)
    assert [b.ts for b in buckets] == [BASE, BASE + 300]
    first = buckets[0]
    assert first.rtt_avg_ms == pytest.approx((1.0 * 3 + 5.0 * 1) / 4)
    assert (first.rtt_min_ms, first.rtt_max_ms) == (0.5, 5.5)
    assert first.loss_pct == pytest.approx(100 * 5 / 9)
    summaries = store.summaries(BASE, BASE + 3600)
    a = summaries["a"]
    assert (a.samples, a.sent, a.received, a.last_ts, a.last_rtt_ms) == (4, 12, 7, BASE + 310, 2.0)
    assert a.rtt_avg_ms == pytest.approx((3 + 5 + 6) / 7) and a.loss_pct == pytest.approx(100 * 5 / 12)
    assert set(summaries) == {"a", "b"} and store.summaries(BASE + 3600, BASE + 7200) == {}


def test_latency_samples_are_kept_for_their_own_retention(store: LatencyStore) -> None:
    store.write([sample("a", BASE, 1, 1, 1.0), sample("a", BASE + 40 * 86400, 1, 1, 1.0)])
    PerfStore(store.engine).apply_retention(BASE + 40 * 86400, Retention())
    assert [p.ts for p in store.series("a", 0)] == [BASE + 40 * 86400]


def test_a_device_target_is_its_discovered_loopback_else_its_management_address(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for number, name in ((1, "pe2"), (2, "ce9")):
            connection.execute(
                insert(DeviceRow).values(
                    id=number, name=name, host=f"100.64.0.{number}", platform="frr", created_at=now, updated_at=now
                )
            )
        connection.execute(
            insert(InterfaceAddressRow),
            [
                {"device_id": 1, "interface": "eth1", "address": "198.18.0.1/31", "first_seen": now},
                {"device_id": 1, "interface": "lo", "address": "127.0.0.1/8", "first_seen": now},
                {"device_id": 1, "interface": "lo", "address": "198.19.255.2/32", "first_seen": now},
            ],
        )
    assert resolve_target(engine, "pe2") == "198.19.255.2"
    assert resolve_target(engine, "ce9") == "100.64.0.2"  # no loopback known: its management address
    assert resolve_target(engine, "10.1.2.3") == "10.1.2.3"
    assert resolve_target(engine, "gw.example") == "gw.example"


def _fake_targets(*names: str) -> dict[str, DeviceTarget]:
    return {n: DeviceTarget(n, f"100.64.0.{i}", "frr", ssh=SshAccess("u")) for i, n in enumerate(names, 1)}


def test_the_prober_stores_one_sample_per_run_and_a_failing_source_makes_none(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    migrate.upgrade(engine)
    network = FakeNetwork()
    network.add("pe1").rtt_ms["198.19.255.2"] = 1.5
    network.add("pe2").fail_with = DeviceUnreachableError("gone", device="pe2")
    registry = DriverRegistry()
    network.register(registry)
    settings = load_settings(environ={"OSS_AGENT_LATENCY_PROBES": "pe1>198.19.255.2,pe1>198.19.255.9,pe2>pe1"})
    store = LatencyStore(engine)
    prober = LatencyProber(settings.latency_probes, _fake_targets("pe1", "pe2"), registry, store)
    runs = asyncio.run(prober.run())
    assert {r.probe: (r.sample is not None, r.error is not None) for r in runs} == {
        "pe1>198.19.255.2": (True, False),
        "pe1>198.19.255.9": (True, False),  # no answer is a measurement: all lost
        "pe2>pe1": (False, True),
    }
    found = store.summaries(0, time.time() + 1)
    assert (found["pe1>198.19.255.2"].rtt_avg_ms, found["pe1>198.19.255.2"].loss_pct) == (1.5, 0.0)
    assert (found["pe1>198.19.255.9"].rtt_avg_ms, found["pe1>198.19.255.9"].loss_pct) == (None, 100.0)
    assert "pe2>pe1" not in found
    with pytest.raises(ConfigError, match=r"latency_probes\[0\].source.*no device 'p9'"):
        LatencyProber(load_settings(environ={"OSS_AGENT_LATENCY_PROBES": "p9>pe1"}).latency_probes, {}, registry, store)


@pytest.fixture
def measured(tmp_path: Path) -> Iterator[Path]:
    now = time.time()
    agent = bootstrap(AgentSettings(data_dir=tmp_path), upgrade_schema=True)
    try:
        LatencyStore(agent.engine).write(
            [sample("pe1>pe2", now - 120, 3, 3, 0.2), sample("pe1>pe2", now - 60, 3, 2, 0.4)]
        )
    finally:
        agent.close()
    yield tmp_path


def test_the_api_lists_configured_and_measured_probes_and_serves_a_series(measured: Path) -> None:
    settings = AgentSettings(data_dir=measured, latency_probes="pe1>pe2,p1>pe2")  # type: ignore[arg-type]
    agent = bootstrap(settings, upgrade_schema=True)
    try:
        with TestClient(create_app(agent)) as client:
            probes = {p["probe"]: p for p in client.get("/perf/v1/latency", params={"hours": 1}).json()["probes"]}
            assert probes["pe1>pe2"]["samples"] == 2 and probes["pe1>pe2"]["lossPct"] == pytest.approx(100 / 6)
            assert probes["pe1>pe2"]["rttAvgMs"] == pytest.approx((0.2 * 3 + 0.4 * 2) / 5)
            assert probes["p1>pe2"]["samples"] == 0 and probes["p1>pe2"]["rttAvgMs"] is None  # configured, not run
            series = client.get("/perf/v1/latency/series", params={"probe": "pe1>pe2", "since": 0}).json()
            assert [p["value"] for p in series["points"]] == [0.2, 0.4]
            assert client.get("/perf/v1/latency/series", params={"probe": "a b"}).status_code == 400
            assert "/perf/v1/latency/series" in client.get("/openapi.json").json()["paths"]
    finally:
        agent.close()


def test_the_kpi_command_shows_latency_beside_availability(measured: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")}
    env.update({"OSS_AGENT_DATA_DIR": str(measured), "COLUMNS": "200", "OSS_AGENT_LATENCY_PROBES": "pe1>pe2"})
    shown = subprocess.run(
        [OSS_AGENT, "kpi", "show", "-f", "json"], capture_output=True, text=True, env=env, timeout=120
    )
    data = json.loads(shown.stdout)
    assert [p["probe"] for p in data["latency"]] == ["pe1>pe2"] and data["latency"][0]["samples"] == 2
    assert "network" in data["fault"] and "severities" in data["fault"]
    table = subprocess.run([OSS_AGENT, "kpi", "show"], capture_output=True, text=True, env=env, timeout=120)
    assert table.returncode == 0 and "Latency probes" in table.stdout and "0.28 ms" in table.stdout
    series = subprocess.run(
        [OSS_AGENT, "kpi", "latency", "pe1>pe2", "-f", "json"], capture_output=True, text=True, env=env, timeout=120
    )
    assert [p["rttAvgMs"] for p in json.loads(series.stdout)["points"]] == [0.2, 0.4]
    wrong = subprocess.run(
        [OSS_AGENT, "kpi", "latency", "pe1>pe2", "--resolution", "2m"], capture_output=True, text=True, env=env
    )
    assert wrong.returncode != 0 and "one of raw, 5m, 1h" in wrong.stderr
