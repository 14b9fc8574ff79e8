"""Fault KPIs on a constructed history: exact MTTR and availability, and the query layer over stored alarms."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oss_agent.bootstrap import bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import ClearAlarm, RaiseAlarm
from oss_agent.domain.service import Service, ServiceState
from oss_agent.fault.kpi import (
    AlarmRecord,
    ServiceLife,
    Uptime,
    availability,
    compute_kpis,
    covered,
    mttr_by_device,
    mttr_by_severity,
    network_availability,
    outage_spans,
    service_availability,
    service_uptimes,
    uptimes,
)
from oss_agent.performance.store import DeviceSample, PerfStore
from oss_agent.storage.engine import make_session_factory

START = datetime(2026, 11, 1, tzinfo=UTC)
END = START + timedelta(days=10)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


HISTORY = [
    # pe1 unreachable twice: 2 h and 4 h; a symptom on pe1's interface (not counted in MTTR)
    AlarmRecord("pe1", "pe1|unreachable", "lossOfSignal", at(10), at(12)),
    AlarmRecord("pe1", "pe1|unreachable", "lossOfSignal", at(100), at(104)),
    AlarmRecord("pe1:eth0", "pe1:eth0|linkDown", "linkDown", at(10), at(13), root_cause_id="a1"),
    # pe2:eth1 down twice, overlapping (1 h to 5 h, 3 h to 6 h: 5 h covered), and one still open for the last 12 h
    AlarmRecord("pe2:eth1", "pe2:eth1|linkDown", "linkDown", at(1), at(5)),
    AlarmRecord("pe2:eth1", "pe2:eth1|operDown", "operDown", at(3), at(6)),
    AlarmRecord("pe2:eth1", "pe2:eth1|linkDown", "linkDown", at(228), None),
    # outage that started before the window: only its part inside counts; not an outage kind: ignored
    AlarmRecord("p1", "p1|unreachable", "lossOfSignal", START - timedelta(hours=5), at(1)),
    AlarmRecord("p1", "p1|bgp|10.0.0.1", "bgpNeighborDown", at(50), at(51)),
]


def test_mttr_counts_cleared_root_causes_only() -> None:
    mttr, repairs = mttr_by_device(HISTORY)
    assert mttr == {"p1": (6 * 3600 + 3600) / 2, "pe1": 3 * 3600.0, "pe2": (4 + 3) * 3600 / 2}
    assert repairs == {"p1": 2, "pe1": 2, "pe2": 2}


def test_availability_merges_overlaps_and_clips_to_the_window() -> None:
    devices, interfaces = availability(HISTORY, START, END, devices=["pe1", "pe2", "p1"], interfaces=["pe1:eth1"])
    window = 240.0
    assert devices == {"p1": 1 - 1 / window, "pe1": 1 - 6 / window, "pe2": 1.0}
    assert interfaces == {"pe1:eth0": 1 - 3 / window, "pe1:eth1": 1.0, "pe2:eth1": 1 - (5 + 12) / window}
    assert covered([(at(1), at(2)), (at(1.5), at(1.75))], START, END) == timedelta(hours=1)
    with pytest.raises(ValueError):
        availability(HISTORY, END, START)


def test_compute_kpis_over_stored_alarms(tmp_path: Path) -> None:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "i.yaml"), upgrade_schema=True)
    try:
        down = AlarmSpec("pe1|unreachable", "pe1", AlarmType.COMMUNICATIONS, "lossOfSignal", Severity.CRITICAL)
        for raised, cleared in ((10, 11), (20, 23)):
            asyncio.run(agent.bus.handle(RaiseAlarm(down, at(raised))))
            asyncio.run(agent.bus.handle(ClearAlarm("pe1|unreachable", at(cleared))))
        kpis = compute_kpis(make_session_factory(agent.engine), START, END)
    finally:
        agent.close()
    assert kpis.mttr_s == {"pe1": 7200.0} and kpis.repairs == {"pe1": 2}
    assert kpis.device_availability == {"pe1": 1 - 4 / 240}


def test_mttr_per_severity_groups_the_same_repairs_by_the_roots_severity() -> None:
    history = [
        AlarmRecord("pe1", "pe1|unreachable", "lossOfSignal", at(0), at(2), severity="critical"),
        AlarmRecord("pe2", "pe2|unreachable", "lossOfSignal", at(0), at(4), severity="critical"),
        AlarmRecord("pe1:eth1", "pe1:eth1|linkDown", "linkDown", at(0), at(1), severity="major"),
        AlarmRecord("pe1:eth2", "pe1:eth2|linkDown", "linkDown", at(0), at(9), "r", severity="major"),  # symptom
        AlarmRecord("p1", "p1|cpu", "thresholdCrossed", at(0), None, severity="minor"),  # not repaired
    ]
    assert mttr_by_severity(history) == ({"critical": 3 * 3600.0, "major": 3600.0}, {"critical": 2, "major": 1})


def test_a_device_is_judged_only_over_the_time_it_was_monitored_and_the_network_sums_device_time() -> None:
    # pe3 joined 2 days before the end of the 10-day window and was down 12 h of them: 75 %, not 95 %
    history = [*HISTORY, AlarmRecord("pe3", "pe3|unreachable", "lossOfSignal", at(200), at(212))]
    spans, _ = outage_spans(history, ["pe1", "pe2", "p1", "pe3"])
    since = {"pe3": END - timedelta(days=2), "pe2": START - timedelta(days=30), "late": END + timedelta(hours=1)}
    device_uptime = uptimes({**spans, "late": []}, START, END, since)
    assert device_uptime["pe3"] == Uptime(48 * 3600.0, 12 * 3600.0) and device_uptime["pe3"].availability == 0.75
    assert device_uptime["pe2"] == Uptime(240 * 3600.0, 0.0)
    assert "late" not in device_uptime  # first monitored after the window
    devices, _ = availability(history, START, END, ["pe3"], monitored_since=since)
    assert devices["pe3"] == 0.75
    # network: (240 - 1) + (240 - 6) + 240 + (48 - 12) hours up over 240 * 3 + 48 hours observed
    assert network_availability(device_uptime) == pytest.approx((239 + 234 + 240 + 36) / (240 * 3 + 48))
    assert network_availability({}) is None


def test_a_service_is_down_while_any_resource_it_rides_on_is_down() -> None:
    history = [
        AlarmRecord("pe1", "pe1|unreachable", "lossOfSignal", at(10), at(12)),
        AlarmRecord("pe1:eth3", "pe1:eth3|linkDown", "linkDown", at(11), at(14)),  # overlaps pe1's outage
        AlarmRecord("pe2:eth3", "pe2:eth3|linkDown", "linkDown", at(100), at(101)),
        AlarmRecord("pe2:eth1", "pe2:eth1|linkDown", "linkDown", at(50), at(60)),  # not ridden by the service
    ]
    result = service_availability({"vpn-1": ["pe1:eth3", "pe2:eth3", "pe1"], "idle": []}, history, START, END)
    assert result == {"idle": 1.0, "vpn-1": 1 - (4 + 1) / 240}
    with pytest.raises(ValueError):
        service_availability({}, history, END, START)


def test_a_service_is_observed_over_its_life_only() -> None:
    history = [
        AlarmRecord("pe1", "pe1|unreachable", "lossOfSignal", at(10), at(12)),  # before vpn-2 was created
        AlarmRecord("pe1:eth3", "pe1:eth3|linkDown", "linkDown", at(30), at(33)),
        AlarmRecord("pe1:eth3", "pe1:eth3|linkDown", "linkDown", at(60), None),  # after vpn-old ended: not its own
    ]
    lives = {
        "vpn-2": ServiceLife(("pe1:eth3",), since=at(20)),  # live now: 20 h to the end, 3 h + 180 h down
        "vpn-old": ServiceLife(("pe1:eth3",), since=START - timedelta(days=1), until=at(40)),  # 40 h, 2 + 3 h down
        "vpn-gone": ServiceLife(("pe1",), since=START - timedelta(days=2), until=START),  # ended before the window
        "vpn-late": ServiceLife(("pe1",), since=END),
    }
    uptime = service_uptimes(lives, history, START, END)
    assert uptime == {
        "vpn-2": Uptime(220 * 3600.0, (3 + 180) * 3600.0),
        "vpn-old": Uptime(40 * 3600.0, 5 * 3600.0),
    }
    assert service_availability(lives, history, START, END)["vpn-old"] == 1 - 5 / 40


def test_compute_kpis_adds_severities_the_network_polls_and_services(tmp_path: Path) -> None:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "i.yaml"), upgrade_schema=True)
    try:
        down = AlarmSpec("pe1|unreachable", "pe1", AlarmType.COMMUNICATIONS, "lossOfSignal", Severity.CRITICAL)
        asyncio.run(agent.bus.handle(RaiseAlarm(down, at(10))))
        asyncio.run(agent.bus.handle(ClearAlarm("pe1|unreachable", at(16))))
        PerfStore(agent.engine).write(
            [],
            [DeviceSample("pe1", at(h).timestamp(), reachable=h < 10) for h in range(20)]
            + [DeviceSample("pe1", (START - timedelta(hours=1)).timestamp(), True)],  # before the window
        )
        kpis = compute_kpis(make_session_factory(agent.engine), START, END, services={"vpn-1": ["pe1:eth3"]})
    finally:
        agent.close()
    assert kpis.mttr_by_severity_s == {"critical": 6 * 3600.0} and kpis.repairs_by_severity == {"critical": 1}
    assert kpis.network_availability == pytest.approx(1 - 6 / 240)
    assert kpis.polls == {"pe1": (20, 10)}
    assert kpis.service_availability == {"vpn-1": pytest.approx(1 - 6 / 240)}


def test_compute_kpis_reads_the_services_that_went_live_from_the_inventory(tmp_path: Path) -> None:
    agent = bootstrap(AgentSettings(data_dir=tmp_path, inventory_file=tmp_path / "i.yaml"), upgrade_schema=True)
    try:
        down = AlarmSpec("pe2|unreachable", "pe2", AlarmType.COMMUNICATIONS, "lossOfSignal", Severity.CRITICAL)
        asyncio.run(agent.bus.handle(RaiseAlarm(down, at(30))))
        asyncio.run(agent.bus.handle(ClearAlarm("pe2|unreachable", at(32))))
        with agent.uow as uow:
            live = Service.reserve("svc-live", "acme", "site-interconnect", {}, "o1", "1", at(24))
            live.provisioned({}, ("pe2", "pe2:eth3"), [], "o1", at(24))
            live.transition(ServiceState.ACTIVE, at(24))
            ended = Service.reserve("svc-ended", "acme", "site-interconnect", {}, "o2", "1", at(0))
            ended.provisioned({}, ("pe2:eth3",), [], "o2", at(0))
            ended.transition(ServiceState.ACTIVE, at(0))
            ended.transition(ServiceState.TERMINATED, at(48))
            failed = Service.reserve("svc-failed", "acme", "site-interconnect", {}, "o3", "1", at(1))
            failed.transition(ServiceState.TERMINATED, at(1))  # its order failed: never on the network
            for service in (live, ended, failed):
                uow.services.add(service)
            uow.commit()
        kpis = compute_kpis(make_session_factory(agent.engine), START, END)
    finally:
        agent.close()
    assert kpis.service_uptime == {
        "svc-ended": Uptime(48 * 3600.0, 2 * 3600.0),
        "svc-live": Uptime((240 - 24) * 3600.0, 2 * 3600.0),
    }
    assert kpis.service_availability["svc-ended"] == pytest.approx(1 - 2 / 48)
