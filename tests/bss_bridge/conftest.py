"""Fixtures of the BSS's tests: a BSS bootstrapped on a fresh database with the demo catalog."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bss_bridge.bootstrap import Bss, bootstrap
from bss_bridge.config.catalog_file import read_catalog
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain.requests import ResourceCheck

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CATALOG = REPO / "config" / "catalog.yaml"


class KnownInventory:
    """A resource inventory that knows a fixed set of sites and devices (the OSS's own is tested
    against the real OSS app in tests/bss_bridge/oss)."""

    def __init__(self, sites: set[str], devices: set[str]) -> None:
        self.known = {("site", s) for s in sites} | {("device", d) for d in devices}
        self.asked: list[ResourceCheck] = []

    async def missing(self, checks: Sequence[ResourceCheck]) -> list[ResourceCheck]:
        self.asked += checks
        await asyncio.sleep(0)  # an answer over the network lets other requests run meanwhile
        return [c for c in checks if (c.kind.value, c.value) not in self.known]


class Clock:
    """The tests' clock: it stands still at ``now`` unless given a ``tick``, by which it moves on
    after each reading (every request then reads an instant of its own, later than any read before)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.tick = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now, self.now = self.now, self.now + self.tick
        return now


@pytest.fixture
def inventory() -> KnownInventory:
    return KnownInventory({"customer1", "customer2", "pop1"}, {"pe1", "pe2"})


def make_bss(database_url: str, tmp_path: Path, inventory: KnownInventory, clock: Clock, **settings: object) -> Bss:
    bss = bootstrap(
        BssSettings(data_dir=tmp_path, database_url=database_url, **settings),  # type: ignore[arg-type]
        upgrade_schema=True,
        inventory=inventory,
        clock=clock,
    )
    asyncio.run(bss.handle(read_catalog(CATALOG)))
    return bss


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def bss(tmp_path: Path, inventory: KnownInventory, clock: Clock) -> Iterator[Bss]:
    """A BSS on its own SQLite file with the demo catalog, the clock at T0."""
    bss = make_bss(f"sqlite:///{tmp_path / 'bss.db'}", tmp_path, inventory, clock)
    yield bss
    bss.close()


@pytest.fixture
def any_bss(database_url: str, tmp_path: Path, inventory: KnownInventory, clock: Clock) -> Iterator[Bss]:
    """A BSS on SQLite and on a real PostgreSQL (``database_url``: the same tests run on both)."""
    bss = make_bss(database_url, tmp_path, inventory, clock)
    yield bss
    bss.close()
