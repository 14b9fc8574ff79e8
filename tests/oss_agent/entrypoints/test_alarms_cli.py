"""``oss-agent alarms`` as a user runs it (a real process): list with colours, actions, KPIs, ``--format json``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oss_agent.bootstrap import bootstrap
from oss_agent.config import AgentSettings
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import ClearAlarm, RaiseAlarm

OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")


def cli(data: Path, *args: str, colour: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")}
    env.update({"OSS_AGENT_DATA_DIR": str(data), "COLUMNS": "250"})
    env.pop("NO_COLOR", None)
    if colour:
        env["FORCE_COLOR"] = "1"
    return subprocess.run([OSS_AGENT, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    now = datetime.now(UTC)
    agent = bootstrap(AgentSettings(data_dir=tmp_path), upgrade_schema=True)
    try:
        down = AlarmSpec("pe1|unreachable", "pe1", AlarmType.COMMUNICATIONS, "lossOfSignal", Severity.CRITICAL, "gone")
        link = AlarmSpec("pe2:eth1|linkDown", "pe2:eth1", AlarmType.COMMUNICATIONS, "linkDown", Severity.MAJOR, "down")
        asyncio.run(agent.bus.handle(RaiseAlarm(down, now - timedelta(hours=2))))
        asyncio.run(agent.bus.handle(ClearAlarm("pe1|unreachable", now - timedelta(hours=1))))
        asyncio.run(agent.bus.handle(RaiseAlarm(link, now - timedelta(minutes=30))))
    finally:
        agent.close()
    return tmp_path


def test_list_in_colour_and_as_json(data: Path) -> None:
    shown = cli(data, "alarms", "list", colour=True)
    assert shown.returncode == 0, shown.stderr
    assert "\x1b[" in shown.stdout and "linkDown" in shown.stdout and "pe2:eth1" in shown.stdout
    as_json = cli(data, "alarms", "list", "--format", "json", colour=True)
    assert "\x1b[" not in as_json.stdout
    rows = json.loads(as_json.stdout)
    assert [(r["number"], r["severity"], r["state"]) for r in rows] == [
        (2, "major", "raised"),
        (1, "cleared", "cleared"),
    ]
    active = json.loads(cli(data, "alarms", "list", "--active", "-f", "json").stdout)
    assert [r["number"] for r in active] == [2]
    assert [r["number"] for r in json.loads(cli(data, "alarms", "list", "--device", "pe1", "-f", "json").stdout)] == [1]
    assert json.loads(cli(data, "alarms", "list", "--severity", "minor", "-f", "json").stdout) == []
    cleared = json.loads(cli(data, "alarms", "list", "--state", "cleared", "-f", "json").stdout)
    assert [r["number"] for r in cleared] == [1]
    for option, typo in (("--severity", "majr"), ("--state", "open")):  # a typo is an error, not "no alarms"
        refused = cli(data, "alarms", "list", option, typo)
        assert refused.returncode == 2 and option in refused.stderr and refused.stdout == "", refused.stderr


def test_actions_change_the_alarm(data: Path) -> None:
    acked = json.loads(cli(data, "alarms", "ack", "2", "--user", "ann", "-f", "json").stdout)
    assert acked["changed"] and acked["alarm"]["ack_user"] == "ann"
    assert json.loads(cli(data, "alarms", "unack", "2", "-f", "json").stdout)["alarm"]["acknowledged"] is False
    comment = cli(data, "alarms", "comment", acked["alarm"]["id"], "fibre cut", "-f", "json")
    assert json.loads(comment.stdout)["alarm"]["comments"][0]["text"] == "fibre cut"
    assert "cleared" in cli(data, "alarms", "clear", "2").stdout
    assert json.loads(cli(data, "alarms", "clear", "2", "-f", "json").stdout)["changed"] is False
    shown = json.loads(cli(data, "alarms", "show", "2", "-f", "json").stdout)
    assert shown["state"] == "cleared" and shown["comments"][0]["author"] == "cli"
    missing = cli(data, "alarms", "show", "99")
    assert missing.returncode != 0 and "no alarm" in missing.stderr + missing.stdout


def test_kpis(data: Path) -> None:
    kpis = json.loads(cli(data, "alarms", "kpis", "--days", "1", "-f", "json").stdout)
    pe1 = next(d for d in kpis["devices"] if d["device"] == "pe1")
    assert pe1["repairs"] == 1 and abs(pe1["mttrSeconds"] - 3600) < 1
    assert abs(pe1["availability"] - (1 - 1 / 24)) < 1e-3
    table = cli(data, "alarms", "kpis", colour=True)
    assert table.returncode == 0 and "pe2:eth1" in table.stdout
