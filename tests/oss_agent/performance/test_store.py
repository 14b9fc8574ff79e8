"""Samples, rollups and retention on SQLite and a real PostgreSQL."""

from __future__ import annotations

import pytest

from oss_agent.performance.rates import InterfaceRates
from oss_agent.performance.store import DeviceSample, PerfStore, Retention
from oss_agent.storage import migrate
from oss_agent.storage.engine import make_engine

BASE = 1_800_000_000.0  # a multiple of 3600


def rates(name: str, in_bps: float) -> InterfaceRates:
    return InterfaceRates(name, 60.0, in_bps, in_bps / 2, 10.0, 5.0, 0.0, 0.0, 0.0, 0.0, in_bps / 1e7, None)


@pytest.fixture
def store(database_url: str) -> PerfStore:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    return PerfStore(engine)


def fill(store: PerfStore) -> None:
    # 10 minutes of one-minute samples, eth1 ramping 1..10 Mbit/s, eth2 flat; device health alongside
    samples = [("pe1", BASE + 60 * i, rates("eth1", 1e6 * (i + 1))) for i in range(10)]
    samples += [("pe1", BASE + 60 * i, rates("eth2", 5e5)) for i in range(10)]
    health = [DeviceSample("pe1", BASE + 60 * i, True, 2.0 + i, None, 40.0) for i in range(10)]
    assert store.write(samples, health) == 30


def test_rollups_give_min_avg_max_per_bucket_and_are_idempotent(store: PerfStore) -> None:
    fill(store)
    written = store.rollup(now=BASE + 600)
    assert written > 0
    five = store.series("pe1", "eth1", "in_bps", since=BASE, resolution=300)
    assert [(p.ts, p.min, p.value, p.max) for p in five] == [
        (BASE, 1e6, 3e6, 5e6),
        (BASE + 300, 6e6, 8e6, 10e6),
    ]
    assert [p.value for p in store.series("pe1", None, "response_ms", since=BASE, resolution=300)] == [4.0, 9.0]
    # nothing new: no second copy of the buckets
    assert store.rollup(now=BASE + 600) == 0
    assert len(store.series("pe1", "eth1", "in_bps", since=BASE, resolution=300)) == 2
    # the hour is not over yet: no hourly bucket
    assert store.series("pe1", "eth1", "in_bps", since=BASE, resolution=3600) == []
    store.rollup(now=BASE + 3600)
    (hour,) = store.series("pe1", "eth1", "in_bps", since=BASE, resolution=3600)
    assert (hour.min, hour.value, hour.max) == (1e6, 5.5e6, 10e6)


def test_null_utilisation_is_not_rolled_up(store: PerfStore) -> None:
    fill(store)
    store.rollup(now=BASE + 600)
    assert store.series("pe1", "eth1", "out_util", since=BASE, resolution=300) == []
    assert len(store.series("pe1", "eth1", "in_util", since=BASE, resolution=300)) == 2


def test_raw_series_and_latest(store: PerfStore) -> None:
    fill(store)
    raw = store.series("pe1", "eth1", "in_bps", since=BASE + 540)
    assert [(p.ts, p.value) for p in raw] == [(BASE + 540, 1e7)]
    latest = {row.interface: row.in_bps for row in store.latest("pe1")}
    assert latest == {"eth1": 1e7, "eth2": 5e5}


def test_retention_removes_old_raw_samples_first(store: PerfStore) -> None:
    fill(store)
    store.rollup(now=BASE + 600)
    removed = store.apply_retention(now=BASE + 600, retention=Retention(raw_s=300))
    assert removed == 15  # five minutes of two interfaces and the device
    assert len(store.series("pe1", "eth1", "in_bps", since=0)) == 5
    assert len(store.series("pe1", "eth1", "in_bps", since=0, resolution=300)) == 2
