"""Fixtures for the NETCONF driver tests: a thread pool and lab targets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.blocking import BlockingRunner
from adapters.target import DeviceTarget


@pytest.fixture
def runner() -> Iterator[BlockingRunner]:
    pool = BlockingRunner(max_workers=8)
    yield pool
    pool.shutdown()


@pytest.fixture
def lab_target(lab: Any) -> Callable[[str], DeviceTarget]:
    """``lab_target("pe1")``: the lab device as the agent's inventory resolves it (secrets read)."""
    from oss_agent.config import load_inventory

    inventory = load_inventory(lab.options.inventory_path)
    return inventory.target
