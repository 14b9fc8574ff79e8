"""``oss-agent discover``, ``config diff/approve`` and ``topology export`` as a user runs them, on the lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lab import faults
from lab.pytest_plugin import LabHandle

pytestmark = pytest.mark.lab

OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")
DEVICES = ("pe1", "pe2", "p1", "ce1", "ce2")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | env
    return subprocess.run([OSS_AGENT, *args], capture_output=True, text=True, env=merged, timeout=180)


def test_discover_then_diff_approve_and_export(lab: LabHandle, tmp_path: Path) -> None:
    faults.wait_converged(lab.options)
    env = {"OSS_AGENT_DATA_DIR": str(tmp_path), "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path)}
    result = cli("discover", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    rows = {row["device"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(DEVICES) and all(row["ok"] for row in rows.values())

    table = cli("discover", env=env)
    assert table.returncode == 0 and "5/5 devices ok" in table.stdout

    diff = cli("config", "diff", "pe1", "--format", "json", env=env)
    assert diff.returncode == 0, diff.stderr
    first = json.loads(diff.stdout)
    assert (first["old"], first["new"], first["approved_version"]) == (0, 1, 1)
    assert "+hostname pe1" in first["diff"]
    assert "Building configuration" not in first["diff"]
    missing = cli("config", "diff", "pe1", "1", "7", env=env)
    assert missing.returncode == 1 and "no configuration version 7" in missing.stderr

    approve = cli("config", "approve", "pe1", "--user", "tester", env=env)
    assert approve.returncode == 0 and "version 1 approved by tester" in approve.stdout

    svg_path = tmp_path / "topology.svg"
    export = cli("topology", "export", "--format", "svg", "--output", str(svg_path), env=env)
    assert export.returncode == 0, export.stderr
    root = ET.fromstring(svg_path.read_text())  # noqa: S314 - our own output, not untrusted input
    texts = {el.text for el in root.iter("{http://www.w3.org/2000/svg}text")}
    assert set(DEVICES) <= texts and {"eth1", "eth2", "eth3"} <= texts
    data = json.loads(cli("topology", "export", "--format", "json", env=env).stdout)
    assert len(data["nodes"]) == 5 and len(data["links"]) == 5
    # every router's 2 BGP sessions and 2 OSPF adjacencies, each to another router of the lab
    routers = {"pe1", "pe2", "p1"}
    adjacencies = data["adjacencies"]
    assert sorted((a["device"], a["protocol"]) for a in adjacencies) == sorted(
        (r, p) for r in routers for p in ("bgp", "bgp", "ospf", "ospf")
    )
    assert all(a["up"] and a["peer"] in routers - {a["device"]} for a in adjacencies), adjacencies
    assert all(a["interface"] for a in adjacencies if a["protocol"] == "ospf")  # the link it runs over
    assert {"bgp", "ospf"} <= texts
    assert "6 adjacencies" in " ".join(t or "" for t in texts)  # 3 BGP and 3 OSPF router pairs
