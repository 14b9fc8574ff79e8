"""All or nothing: a refused CLI line, a NETCONF rpc-error, a device that stops answering, or a check
that fails, after other devices were already changed; every device is restored and the restore proven."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from oss_agent.bootstrap import bootstrap
from oss_agent.config import AgentSettings
from oss_agent.discovery.service import discover_all
from oss_agent.domain.resource_order import Phase
from oss_agent.domain.service import ServiceState

from .conftest import CHANGED, Prov, make_catalog, ping, raw_configs, same_as, site_interconnect

pytestmark = pytest.mark.lab


def assert_rolled_back(prov: Prov, order_id: str, baseline: dict[str, str], culprit: str, message: str) -> None:
    order, works, _ = prov.order(order_id)
    assert order.state.value == "failed"
    reason = order.errors[-1]["message"]
    assert culprit in reason and message in reason, reason
    phases = {ro.device: ro.phase for ro in works}
    assert set(phases) == set(CHANGED)
    assert all(phase in (Phase.ROLLED_BACK, Phase.SNAPSHOT) for phase in phases.values()), phases
    assert sum(phase is Phase.ROLLED_BACK for phase in phases.values()) >= 2  # others had changed before
    assert same_as(baseline, raw_configs(prov.lab)) == []
    service = prov.service(order.items[0].service_id)
    assert service.state is ServiceState.TERMINATED
    assert prov.ctx.pools.allocations() == [] and not ping(prov.lab, "lan1", "198.18.3.10")


@pytest.mark.parametrize(
    ("spec", "overrides", "culprit", "message"),
    [
        ("broken-line", {}, "pe2", "% Unknown command: ip ospf cost 0"),
        ("broken-netconf", {}, "pe2", "rpc-error"),
        ("site-interconnect", {"lanB": "198.18.9.0/24"}, "lan1", "check failed: traffic on lan1"),
    ],
    ids=["cli-line-refused", "netconf-rpc-error", "traffic-check-fails"],
)
def test_a_failure_on_one_device_rolls_every_device_back(
    prov: Prov, baseline: dict[str, str], clean: None, spec: str, overrides: dict[str, Any], culprit: str, message: str
) -> None:
    order_id = prov.submit(site_interconnect(spec=spec, **overrides))
    log: list[tuple[str, str, str]] = []
    assert prov.execute(order_id, log) == "failed"
    assert any(phase == "prepared" for _, phase, _ in log)  # something was changed before the failure
    assert_rolled_back(prov, order_id, baseline, culprit, message)


def test_a_device_that_stops_answering_times_out_and_everything_is_restored(
    prov: Prov, baseline: dict[str, str], clean: None, tmp_path: Path
) -> None:
    """pe2's netconfd is frozen (SIGSTOP) once pe2's CLI part is applied: its confirmed commit times
    out while the other devices are prepared; it is thawed when the rollback starts."""
    lab = prov.lab
    inventory = yaml.safe_load(lab.options.inventory_path.read_text())
    inventory["defaults"]["netconf"]["timeout_s"] = 2  # a call gives up after 2 x 2 s
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(inventory))
    runner = BlockingRunner(8)
    settings = AgentSettings(data_dir=tmp_path, inventory_file=path, catalog_dir=make_catalog(tmp_path / "catalog"),
                             provisioning_check_timeout_s=20)
    agent = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True, runner=runner)
    timed = Prov(agent, runner, lab, prov.loop)
    pid = int((lab.options.run_dir / "pe2" / "netconfd.pid").read_text())
    frozen: list[bool] = []

    def freeze() -> None:
        os.kill(pid, signal.SIGSTOP)
        frozen.append(True)

    def thaw() -> None:
        os.kill(pid, signal.SIGCONT)

    try:
        timed.run(discover_all(agent))
        activator = timed.ctx.activator
        activator.failpoints.hooks.update({"applied:pe2": freeze, "rollback": thaw})
        order_id = timed.submit(site_interconnect())
        assert timed.execute(order_id) == "failed" and frozen
        order, works, _ = timed.order(order_id)
        assert "pe2" in order.errors[-1]["message"] and "no answer" in order.errors[-1]["message"]
        assert {ro.device: ro.phase for ro in works} == {d: Phase.ROLLED_BACK for d in CHANGED}
        assert same_as(baseline, raw_configs(lab)) == []
    finally:
        thaw()
        timed.run(timed.ctx.close())
        runner.shutdown()
        agent.close()


def test_bad_input_is_rejected_before_any_device_is_touched(prov: Prov, clean: None) -> None:
    from oss_agent.domain.catalog import OrderRejectedError
    from oss_agent.provisioning.request import read_order

    before = raw_configs(prov.lab)
    attempts = {
        "customer": "ACME\nend\nno router bgp 65000",
        "lanA": "198.18.2.0/24 ]]>]]>",
        "bandwidthMbps": "ten",
        "siteB": "nowhere",
    }
    for name, value in attempts.items():
        with pytest.raises(OrderRejectedError) as caught:
            prov.run(prov.agent.bus.handle(read_order(site_interconnect(**{name: value}))))
        assert any(f"[{name}]" in p.field for p in caught.value.problems), caught.value.problems
        order, works, _ = prov.order(caught.value.order_id)
        assert order.state.value == "rejected" and works == [] and order.errors[0]["referenceError"].endswith(".value")
    assert raw_configs(prov.lab) == before
    with prov.ctx.uow() as uow:
        assert len(uow.orders.list(states=["rejected"])) >= len(attempts)
