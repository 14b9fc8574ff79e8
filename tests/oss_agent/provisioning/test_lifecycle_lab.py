"""A service's whole life on the lab: dry run (devices byte-identical), activation proven by traffic,
modify, suspend and resume, configuration drift found and repaired, delete back to the lab as built."""

from __future__ import annotations

import pytest

from oss_agent.domain.catalog import OrderRejectedError
from oss_agent.domain.service import ServiceState
from oss_agent.provisioning import operations
from oss_agent.provisioning.request import read_order

from .conftest import (
    CHANGED,
    Prov,
    delete_order,
    internet_access,
    modify,
    ping,
    raw_configs,
    same_as,
    site_interconnect,
    vtysh,
)

pytestmark = pytest.mark.lab
LAN1, LAN2, INET = "198.18.2.10", "198.18.3.10", "198.18.4.10"


def test_dry_run_shows_native_changes_and_touches_nothing(prov: Prov, baseline: dict[str, str], clean: None) -> None:
    before = raw_configs(prov.lab)
    report = prov.run(operations.dry_run(prov.ctx, read_order(site_interconnect())))
    after = raw_configs(prov.lab)
    assert after == before  # byte for byte, every device, CLI and NETCONF
    assert report.problems == []
    by_device = {d.device: d for d in report.devices}
    assert sorted(by_device) == sorted(CHANGED)
    assert "ip route 198.18.2.0/24 198.19.128.1" in by_device["pe1"].cli
    assert "  network 198.18.2.0/24" not in by_device["pe1"].cli and "network 198.18.2.0/24" in by_device["pe1"].cli
    assert by_device["pe1"].netconf is not None and "ACME site-interconnect" in by_device["pe1"].netconf
    assert "ip route add 198.18.3.0/24 via 198.19.128.0 dev eth1" in by_device["ce1"].cli
    assert report.items[0]["pool_values"] == {"link-a": "198.19.128.0/31", "link-b": "198.19.128.2/31"}
    with prov.ctx.uow() as uow:
        assert uow.orders.list() == [] and uow.services.list() == []  # nothing stored either
    assert prov.ctx.pools.allocations() == []


def test_site_interconnect_from_activation_to_deletion(prov: Prov, baseline: dict[str, str], clean: None) -> None:
    lab = prov.lab
    assert not ping(lab, "lan1", LAN2)
    order_id = prov.submit(site_interconnect())
    log: list[tuple[str, str, str]] = []
    assert prov.execute(order_id, log) == "completed", prov.order(order_id)[0].errors
    order, resource_orders, checks = prov.order(order_id)
    assert {ro.device: ro.phase.value for ro in resource_orders} == {d: "committed" for d in CHANGED}
    assert {(d, p) for d, p, _ in log} >= {(d, "prepared") for d in CHANGED} | {(d, "committed") for d in CHANGED}
    before = [c for c in checks if c["phase"] == "before"]
    assert before and all(c["kind"] == "traffic" and c["outcome"] == "fail" and c["ok"] for c in before)
    assert all(c["ok"] for c in checks)
    assert {c["kind"] for c in checks} == {"interface-up", "bgp-established", "route", "traffic"}
    assert ping(lab, "lan1", LAN2) and ping(lab, "lan2", LAN1)
    assert not ping(lab, "lan1", INET)  # a site interconnect is no Internet access
    service_id = order.items[0].service_id
    service = prov.service(service_id)
    assert service.state is ServiceState.ACTIVE and service.in_sync is True
    assert set(service.supporting_resources) == {
        "pe1", "pe1:eth3", "pe2", "pe2:eth3", "ce1", "ce1:eth1", "ce2", "ce2:eth1"
    }
    assert "rate 10Mbit" in _qdisc(prov, "ce1")
    with pytest.raises(OrderRejectedError, match="access port ce1:eth1 carries service"):
        prov.submit(internet_access("customer1", "198.18.2.0/24"))  # one service per customer port

    # modify: only what the new rendering changes is sent (the shaper), nothing else
    changed = prov.submit(modify(service_id, bandwidthMbps=30))
    assert prov.execute(changed) == "completed"
    _, works, _ = prov.order(changed)
    lines = {ro.device: ro.change_cli for ro in works}
    shaper = "tc qdisc add dev eth1 root tbf rate 30mbit burst 60kb latency 50ms"
    assert lines["ce1"] == ["tc qdisc del dev eth1 root", shaper]
    assert lines["pe1"] == [] and all(ro.change_netconf is None for ro in works)
    assert "rate 30Mbit" in _qdisc(prov, "ce1") and ping(lab, "lan1", LAN2)

    # suspend: the routes go, so does the traffic; resume brings both back
    suspended = prov.submit(modify(service_id, state="inactive"))
    assert prov.execute(suspended) == "completed", prov.order(suspended)[0].errors
    assert prov.service(service_id).state is ServiceState.INACTIVE and not ping(lab, "lan1", LAN2)
    assert "network 198.18.2.0/24" not in vtysh(lab, "pe1", "show running-config")
    assert prov.execute(prov.submit(modify(service_id, state="active"))) == "completed"
    assert prov.service(service_id).state is ServiceState.ACTIVE and ping(lab, "lan1", LAN2)

    # drift behind the agent's back: found, alarmed, redeployed
    vtysh(lab, "pe2", "configure terminal\nrouter bgp 65000\naddress-family ipv4 unicast\nno network 198.18.3.0/24")
    _wait(lambda: not ping(lab, "lan1", LAN2))
    [report] = prov.run(operations.check_services(prov.ctx, prov.agent.bus, service_id))
    assert not report.in_sync and any("network 198.18.3.0/24" in m for m in report.missing["pe2"])
    with prov.agent.uow as uow:
        alarm = uow.alarms.active(f"service:{service_id}|configurationOutOfSync")
    assert alarm is not None and "pe2" in alarm.affected_resources and prov.service(service_id).in_sync is False
    redeploy = prov.submit(operations_order(service_id))
    assert prov.execute(redeploy) == "completed"
    assert prov.order(redeploy)[1][0].change_cli or any(ro.change_cli for ro in prov.order(redeploy)[1])
    [again] = prov.run(operations.check_services(prov.ctx, prov.agent.bus, service_id))
    assert again.in_sync and ping(lab, "lan1", LAN2)
    with prov.agent.uow as uow:
        assert uow.alarms.active(f"service:{service_id}|configurationOutOfSync") is None

    # delete: exactly what the creation added goes; the lab is as built, traffic stops, pools released
    gone = prov.submit(delete_order(service_id))
    assert prov.execute(gone) == "completed"
    assert prov.service(service_id).state is ServiceState.TERMINATED
    assert not ping(lab, "lan1", LAN2)
    after_checks = [c for c in prov.order(gone)[2] if c["phase"] == "after"]
    assert after_checks and all(c["expected"] == "fail" and c["ok"] for c in after_checks)
    assert same_as(baseline, raw_configs(lab)) == []
    assert prov.ctx.pools.allocations() == []


def test_internet_access_reaches_the_internet_host_only(prov: Prov, baseline: dict[str, str], clean: None) -> None:
    order_id = prov.submit(internet_access("customer2", "198.18.3.0/24"))
    assert prov.execute(order_id) == "completed", prov.order(order_id)[0].errors
    assert ping(prov.lab, "lan2", INET) and not ping(prov.lab, "lan2", LAN1)
    service_id = prov.order(order_id)[0].items[0].service_id
    assert prov.execute(prov.submit(delete_order(service_id))) == "completed"
    assert not ping(prov.lab, "lan2", INET)
    assert same_as(baseline, raw_configs(prov.lab)) == []


def operations_order(service_id: str) -> dict[str, object]:
    return modify(service_id)


def _qdisc(prov: Prov, device: str) -> str:
    import subprocess

    ns = f"{prov.lab.options.prefix}-{device}"
    return subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "show", "dev", "eth1"], capture_output=True,
                          text=True, check=True).stdout


def _wait(condition: object, timeout_s: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
