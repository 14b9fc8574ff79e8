"""Configuration normalizer (pure) and versioning with drift over the fake network."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from adapters.fake import FakeNetwork
from oss_agent.bootstrap import Agent
from oss_agent.discovery.normalize import config_digest, normalize_config, unified_diff
from oss_agent.discovery.service import discover_all
from oss_agent.domain.commands import ApproveConfiguration

from .conftest import RUNNING


def test_normalizer_drops_volatile_lines_only() -> None:
    one = RUNNING.format(name="r1")
    other = (
        one.replace("1234 bytes", "1299 bytes")
        .replace("12:00:01", "13:14:15")
        .replace("17179869", "17180000")
        .replace("8.4.4", "8.4.5")
        .replace("\n", "\r\n")
    )
    assert normalize_config(one) == normalize_config(other)
    assert config_digest(one) == config_digest(other)
    assert normalize_config(one) == (
        "frr defaults traditional\nhostname r1\ninterface eth1\n ip address 10.0.0.1/31\nend\n"
    )
    changed = one.replace("10.0.0.1/31", "10.0.0.3/31")
    assert config_digest(changed) != config_digest(one)
    diff = unified_diff(one, changed, "r1@1", "r1@2")
    assert "- ip address 10.0.0.1/31" in diff and "+ ip address 10.0.0.3/31" in diff
    assert "Current configuration" not in diff


def test_versions_only_on_real_change_and_drift_against_approved(agent: Agent, fake_network: FakeNetwork) -> None:
    state = fake_network.devices["r1"]
    first = asyncio.run(discover_all(agent))[0]
    assert (first.config_version, first.config_changed, first.drifted) == (1, True, False)
    again = asyncio.run(discover_all(agent))[0]
    assert (again.config_version, again.config_changed) == (1, False)
    state.running = state.running.replace("1234 bytes", "999 bytes").replace("12:00:01", "23:59:59")
    noise = asyncio.run(discover_all(agent))[0]
    assert (noise.config_version, noise.config_changed) == (1, False)
    state.running = state.running.replace("hostname r1", "hostname r1\nip forwarding")
    real = asyncio.run(discover_all(agent))[0]
    assert (real.config_version, real.config_changed, real.drifted) == (2, True, True)
    with agent.uow as uow:
        kinds = [(k, d) for k, d, _ in uow.changes.for_device("r1")]
        assert ("ConfigurationDrifted", {"version": 2, "approved_version": 1, "datastore": "running"}) in kinds
    report = asyncio.run(agent.bus.handle(ApproveConfiguration("r1", "alice", datetime.now(UTC))))
    assert report.result == 2
    state.running = state.running.replace("ip forwarding", "ip forwarding\nipv6 forwarding")
    third = asyncio.run(discover_all(agent))[0]
    assert (third.config_version, third.drifted) == (3, True)
    with agent.uow as uow:
        approved = uow.configs.approved("r1")
        assert approved is not None and (approved.version, approved.approved_by) == (2, "alice")


def test_drift_stays_reported_until_approved(agent: Agent, fake_network: FakeNetwork) -> None:
    state = fake_network.devices["r1"]
    asyncio.run(discover_all(agent))
    state.running = state.running.replace("hostname r1", "hostname r1\nip forwarding")  # changed out of band
    seen = [asyncio.run(discover_all(agent))[0] for _ in range(3)]
    assert [(r.config_version, r.config_changed, r.drifted) for r in seen] == [(2, True, True)] + [(2, False, True)] * 2
    assert seen[-1].configs == {"running": {"version": 2, "changed": False, "drifted": True}}
    with agent.uow as uow:  # the change is recorded once, not on every discovery that still sees it
        drifts = [d for k, d, _ in uow.changes.for_device("r1") if k == "ConfigurationDrifted"]
        assert len(drifts) == 1
    asyncio.run(agent.bus.handle(ApproveConfiguration("r1", "alice", datetime.now(UTC))))
    approved = asyncio.run(discover_all(agent))[0]
    assert (approved.config_version, approved.drifted) == (2, False)
    state.running = state.running.replace("hostname r1\nip forwarding", "hostname r1")  # back to version 1's text
    reverted = asyncio.run(discover_all(agent))[0]
    assert (reverted.config_version, reverted.config_changed, reverted.drifted) == (3, True, True)
