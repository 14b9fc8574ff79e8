"""``oss-agent device run`` hides the secrets of what the device answers (a running configuration,
an snmpd.conf) unless ``--show-secrets`` asks for them: the device is replaced by its answer."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from oss_agent.entrypoints.cli import device_cmd

RUNNING = (
    "hostname pe1\nrouter bgp 65000\n neighbor 198.19.255.2 password Bgp5ecret\n"
    "interface eth1\n ip ospf message-digest-key 1 md5 0spfK3y\n"
)
SNMPD = "sysName pe1\nrocommunity R0comm default\ncreateUser lab SHA Au7hPass AES Pr1vPass\n"
SECRETS = ("Bgp5ecret", "0spfK3y", "R0comm", "Au7hPass", "Pr1vPass")


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Any:
    async def run_command(command: str) -> str:
        return SNMPD if "snmpd.conf" in command else RUNNING

    def with_driver(name: str, capability: Any, work: Any, via: Any) -> tuple[str, Any]:
        return "cli", asyncio.run(work(SimpleNamespace(run_command=run_command)))

    monkeypatch.setattr(device_cmd, "_with_driver", with_driver)
    runner = CliRunner()
    return lambda *args: runner.invoke(device_cmd.app, list(args))


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_the_output_of_a_command_shows_no_secret(invoke: Any, fmt: str) -> None:
    running = invoke("run", "pe1", "show running-config", "--format", fmt)
    snmpd = invoke("run", "pe1", "cat /etc/snmp/snmpd.conf", "--format", fmt)
    assert running.exit_code == 0 and snmpd.exit_code == 0, running.output + snmpd.output
    shown = running.output + snmpd.output
    assert not [secret for secret in SECRETS if secret in shown], shown
    assert "neighbor 198.19.255.2 password <secret hidden>" in shown and "hostname pe1" in shown


def test_show_secrets_prints_the_device_s_answer_as_it_is(invoke: Any) -> None:
    result = invoke("run", "pe1", "show running-config", "--show-secrets")
    assert result.exit_code == 0 and "neighbor 198.19.255.2 password Bgp5ecret" in result.output
