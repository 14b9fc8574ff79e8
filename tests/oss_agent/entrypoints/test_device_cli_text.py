"""``oss-agent device facts`` and ``interfaces`` print what the device says as it says it: text a
device holds (an interface description, a hostname) is configured by people and may hold square
brackets, which Rich would read as markup (``[uplink]`` vanished, ``[/b]`` ended the command with
a MarkupError). The device is replaced by its answers; the lab tests read real ones."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters import Capability
from oss_agent.entrypoints.cli import device_cmd

DESCRIPTIONS = ["[uplink] to p1", "customer [/b] ACME", "[bold red]core[/bold red]"]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Any:
    facts = SimpleNamespace(
        hostname="pe1[lab]", vendor="FRRouting", model="[x86]", os_version="10.0 [/i]", serial=None, uptime_s=5
    )
    interfaces = [
        SimpleNamespace(
            name=f"eth{n}",
            admin_up=True,
            oper_status=SimpleNamespace(value="up"),
            speed_bps=10**9,
            mtu=1500,
            mac=None,
            description=text,
            addresses=[],
        )
        for n, text in enumerate(DESCRIPTIONS)
    ]
    answers = {"facts": facts, "interfaces": interfaces}

    def with_driver(name: str, capability: Any, work: Any, via: Any) -> tuple[str, Any]:
        return "cli", answers["facts" if capability is Capability.FACTS else "interfaces"]

    monkeypatch.setattr(device_cmd, "_with_driver", with_driver)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    return lambda *args: runner.invoke(device_cmd.app, list(args))


def test_interface_descriptions_and_facts_are_printed_as_the_device_says_them(invoke: Any) -> None:
    shown = invoke("interfaces", "pe1")
    assert shown.exit_code == 0, shown.output
    assert all(text in shown.output for text in DESCRIPTIONS), shown.output
    facts = invoke("facts", "pe1")
    assert facts.exit_code == 0, facts.output
    for text in ("pe1[lab]", "[x86]", "10.0 [/i]"):
        assert text in facts.output, facts.output
