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
from oss_agent.fault.kpi import AlarmRecord, availability, compute_kpis, covered, mttr_by_device
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
