"""Fixtures for the NAPALM driver tests: a thread pool, lab targets, NAPALM's model checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from napalm.base import models
from napalm.base.test.helpers import test_model as napalm_model_check

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


def _check_napalm_models(getter: str, result: dict[str, Any]) -> None:
    """The checks napalm's own getter test-suite applies (napalm/base/test/getters.py)."""
    if getter == "get_facts":
        assert napalm_model_check(models.FactsDict, result)
    elif getter == "get_interfaces":
        assert all(napalm_model_check(models.InterfaceDict, v) for v in result.values())
    elif getter == "get_interfaces_ip":
        for families in result.values():
            for addresses in families.values():
                assert all(napalm_model_check(models.InterfacesIPDictEntry, v) for v in addresses.values())
    elif getter == "get_interfaces_counters":
        assert all(napalm_model_check(models.InterfaceCounterDict, v) for v in result.values())
    elif getter == "get_bgp_neighbors":
        assert "global" in result
        for vrf in result.values():
            assert isinstance(vrf["router_id"], str)
            for peer in vrf["peers"].values():
                assert napalm_model_check(models.PeerDict, peer)
                assert all(napalm_model_check(models.AFDict, af) for af in peer["address_family"].values())
    else:
        raise AssertionError(getter)


@pytest.fixture
def napalm_models_ok() -> Callable[[str, dict[str, Any]], None]:
    """``napalm_models_ok(getter, result)``: assert ``result`` fits NAPALM's model for ``getter``."""
    return _check_napalm_models
