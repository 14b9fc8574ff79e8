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
def lab_target(lab: Any) -> Iterator[Callable[[str], DeviceTarget]]:
    """``lab_target("pe1")``: the lab device as the agent's inventory resolves it (secrets read).

    yuma123's ietf-interfaces takes a link administratively down when its interface configuration is
    removed, which a restoring ``replace`` does for an interface the original configuration did not
    list: afterwards, every link a test took down is brought back up, so later tests find the lab whole.
    """
    from lab import faults
    from oss_agent.config import load_inventory

    inventory = load_inventory(lab.options.inventory_path)
    yield inventory.target
    for device in ("pe1", "pe2", "p1"):
        for ifname in _admin_down_links(f"{lab.options.prefix}-{device}"):
            faults.link_up(lab.options, device, ifname)


def _admin_down_links(namespace: str) -> list[str]:
    import json
    import subprocess

    links = json.loads(
        subprocess.run(["ip", "-n", namespace, "-j", "link", "show"], capture_output=True, text=True, check=True).stdout
    )
    return [link["ifname"] for link in links if link["ifname"].startswith("eth") and "UP" not in link.get("flags", [])]
