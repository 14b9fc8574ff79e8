"""Publishing usage through the bus: meters on live services, records with their outbox rows in one
commit, nothing published twice, a failed run leaving nothing behind, a terminated service finished."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.commands import PublishUsage, SyncInventory
from oss_agent.domain.model import DeviceSpec
from oss_agent.domain.service import Service, ServiceState
from oss_agent.performance.rates import InterfaceRates
from oss_agent.performance.store import PerfStore
from oss_agent.service_layer.usage_handlers import UsageReport
from oss_agent.storage.hub_tables import HubOutboxRow
from oss_agent.storage.usage_repository import USAGE_API
from oss_agent.storage.usage_tables import UsageMeterRow, UsageRecordRow

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ACTIVATED = T0 + timedelta(minutes=20)
RESOURCES = ("ce1", "ce1:eth0", "pe1", "pe1:eth2")


def make_agent(directory: Path, **settings: Any) -> Agent:
    values = {"data_dir": directory, "inventory_file": directory / "inventory.yaml"} | settings
    agent = bootstrap(AgentSettings(**values), upgrade_schema=True)
    devices = (
        DeviceSpec("pe1", "127.0.0.11", "frr", "pop1", "pe"),
        DeviceSpec("ce1", "127.0.0.21", "linux", "c1", "cpe"),
    )
    asyncio.run(agent.bus.handle(SyncInventory(devices)))
    return agent


def add_service(agent: Agent, service_id: str, spec: str = "internet-access", resources: tuple[str, ...] = RESOURCES,
                at: datetime = ACTIVATED) -> None:
    with agent.uow as uow:
        service = Service.reserve(service_id, service_id, spec, {"customer": "ACME"}, "o-" + service_id, "1", at)
        service.transition(ServiceState.ACTIVE, at)
        service.provisioned({"customer": "ACME"}, resources, [], "o-" + service_id, at)
        uow.services.add(service)
        uow.commit()


def add_samples(agent: Agent, device: str, interface: str, start: datetime, end: datetime, in_bps: float,
                out_bps: float, every_s: float = 60) -> None:
    """Poll samples at constant rates every ``every_s`` from ``start`` to ``end``."""
    samples, t = [], start.timestamp()
    while t + every_s <= end.timestamp():
        t += every_s
        rates = InterfaceRates(interface, every_s, in_bps, out_bps, 0, 0, 0, 0, 0, 0, None, None)
        samples.append((device, t, rates))
    PerfStore(agent.engine).write(samples, [])


def publish(agent: Agent, at: datetime) -> UsageReport:
    report: UsageReport = asyncio.run(agent.bus.handle(PublishUsage(at))).result
    return report


def stored(agent: Agent) -> tuple[int, int]:
    with Session(agent.engine) as session:
        records = session.scalar(select(func.count()).select_from(UsageRecordRow)) or 0
        events = session.scalar(select(func.count()).select_from(HubOutboxRow).where(HubOutboxRow.api == USAGE_API))
    return records, events or 0


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    agent = make_agent(tmp_path)
    yield agent
    agent.close()


def test_complete_hours_are_published_once_with_their_events(agent: Agent) -> None:
    add_service(agent, "svc-1")
    # the PE port sends 8 kbit/s to the customer and receives 16 kbit/s from it
    add_samples(agent, "pe1", "eth2", T0, T0 + timedelta(hours=2, minutes=3), in_bps=16_000, out_bps=8_000)
    report = publish(agent, T0 + timedelta(hours=2, minutes=3))
    volumes = sorted(i for i in report.published if ":volume:" in i)
    assert volumes == ["svc-1:volume:20260301T080000Z:3600", "svc-1:volume:20260301T090000Z:3600"]
    assert sum(":rate:" in i for i in report.published) == 20  # 08:20 to 10:00, every 5 minutes
    with Session(agent.engine) as session:
        first = session.scalar(select(UsageRecordRow).where(UsageRecordRow.usage_id == volumes[0]))
        assert first is not None
        # measured from the activation (08:20), directions the customer's: it received the PE's out
        assert first.usage_date == ACTIVATED and first.end_date == T0 + timedelta(hours=1)
        assert (first.inbound_octets, first.outbound_octets) == (1000 * 2400, 2000 * 2400)
        assert first.measured_s == 2400 and first.interfaces == ["pe1:eth2"]
    assert stored(agent) == (len(report.published), len(report.published))
    again = publish(agent, T0 + timedelta(hours=2, minutes=4))
    assert again.published == [] and stored(agent) == (len(report.published), len(report.published))


def test_a_run_that_fails_to_commit_publishes_nothing_and_the_next_one_does(agent: Agent) -> None:
    add_service(agent, "svc-1", "site-interconnect")
    add_samples(agent, "pe1", "eth2", T0, T0 + timedelta(hours=1, minutes=2), 800, 800)

    def refuse(_session: Session) -> None:
        raise RuntimeError("disk full")

    event.listen(Session, "before_commit", refuse)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            publish(agent, T0 + timedelta(hours=1, minutes=2))
    finally:
        event.remove(Session, "before_commit", refuse)
    with Session(agent.engine) as session:
        assert session.scalar(select(func.count()).select_from(UsageMeterRow)) == 0
    assert stored(agent) == (0, 0)
    assert publish(agent, T0 + timedelta(hours=1, minutes=2)).published == ["svc-1:volume:20260301T080000Z:3600"]
    assert stored(agent) == (1, 1)


def test_an_interval_published_before_is_never_published_again(agent: Agent) -> None:
    add_service(agent, "svc-1", "site-interconnect")
    add_samples(agent, "pe1", "eth2", T0, T0 + timedelta(hours=1, minutes=2), 800, 800)
    assert len(publish(agent, T0 + timedelta(hours=1, minutes=2)).published) == 1
    with Session(agent.engine) as session, session.begin():  # as if another publisher had not seen it yet
        session.execute(update(UsageMeterRow).values(next_volume=None))
    with pytest.raises(IntegrityError):
        publish(agent, T0 + timedelta(hours=1, minutes=3))
    assert stored(agent) == (1, 1)


def test_a_terminated_service_is_measured_up_to_its_termination_then_finished(agent: Agent) -> None:
    add_service(agent, "svc-1", "site-interconnect")
    add_samples(agent, "pe1", "eth2", T0, T0 + timedelta(hours=3), 800, 800)
    assert len(publish(agent, T0 + timedelta(minutes=50)).published) == 0  # the meter starts, nothing complete
    with agent.uow as uow:
        service = uow.services.get("svc-1")
        assert service is not None
        service.transition(ServiceState.TERMINATED, T0 + timedelta(hours=1, minutes=30))
        uow.commit()
    report = publish(agent, T0 + timedelta(hours=3))
    assert report.published == ["svc-1:volume:20260301T080000Z:3600", "svc-1:volume:20260301T090000Z:3600"]
    with Session(agent.engine) as session:
        last = session.scalar(select(UsageRecordRow).where(UsageRecordRow.usage_id == report.published[1]))
        meter = session.get(UsageMeterRow, "svc-1")
        assert last is not None and meter is not None
        assert last.end_date == T0 + timedelta(hours=1, minutes=30) and last.inbound_octets == 100 * 1800
        assert meter.finished
    assert publish(agent, T0 + timedelta(hours=5)).published == []


def test_a_service_with_no_customer_facing_interface_is_reported_not_measured(agent: Agent) -> None:
    add_service(agent, "svc-1", resources=("ce1", "ce1:eth0"))
    report = publish(agent, T0 + timedelta(hours=2))
    assert report.published == [] and "no pe interface" in report.unmeasured["svc-1"]


def test_settings_refuse_an_interval_that_does_not_divide_a_day(tmp_path: Path) -> None:
    from oss_agent.config.settings import load_settings
    from oss_agent.errors import ConfigError

    with pytest.raises(ConfigError, match="divide a day"):
        load_settings(None, {"OSS_AGENT_USAGE_INTERVAL_S": "7000", "OSS_AGENT_DATA_DIR": str(tmp_path)})
