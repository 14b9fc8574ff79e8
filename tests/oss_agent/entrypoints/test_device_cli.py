"""``oss-agent device ...`` against the lab routers, through the Typer sub-app.

The sub-app is invoked directly (typer's CliRunner) until the lead wires it into the main app.
Run with ``-p lab.pytest_plugin``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oss_agent.entrypoints.cli import device_cmd

pytestmark = pytest.mark.lab


@pytest.fixture
def invoke(lab: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    for name in ("OSS_AGENT_CONFIG", "OSS_AGENT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OSS_AGENT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OSS_AGENT_INVENTORY_FILE", str(lab.options.inventory_path))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(device_cmd.app, list(args))

    return run


def test_facts_as_json_and_table(invoke: Any, lab: Any) -> None:
    result = invoke("facts", "pe1", "--format", "json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["hostname"] == "pe1" and facts["vendor"] == "FRRouting" and facts["protocol"] == "napalm"
    table = invoke("facts", "pe2")
    assert table.exit_code == 0 and "pe2" in table.output and "FRRouting" in table.output
    assert lab.secrets.ssh_password not in table.output + result.output


def test_interfaces_over_a_chosen_protocol(invoke: Any) -> None:
    result = invoke("interfaces", "pe1", "--format", "json", "--via", "netconf")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["protocol"] == "netconf"
    by_name = {i["name"]: i for i in data["interfaces"]}
    assert "198.18.0.0/31" in by_name["eth1"]["addresses"]
    table = invoke("interfaces", "pe1", "--via", "cli")
    assert table.exit_code == 0 and "eth1" in table.output and "via cli" in table.output


def test_run_a_command_and_read_the_config(invoke: Any) -> None:
    result = invoke("run", "p1", "show ip route json", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "198.19.255.1/32" in json.loads(json.loads(result.output)["output"])
    config = invoke("config", "p1")
    assert config.exit_code == 0 and "hostname p1" in config.output


def test_unknown_device_is_a_usage_error(invoke: Any) -> None:
    result = invoke("facts", "nosuchdevice")
    assert result.exit_code != 0
    assert "nosuchdevice" in result.output
