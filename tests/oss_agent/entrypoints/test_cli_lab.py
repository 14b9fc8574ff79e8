"""``oss-agent snmp`` and ``oss-agent lab`` as a user runs them, against the session lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.pytest_plugin import LabHandle

OSS_AGENT = str(Path(sys.executable).parent / "oss-agent")


def cli(*args: str, env: dict[str, str], user: str | None = None) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")} | env
    command = [OSS_AGENT, *args] if user is None else ["runuser", "-u", user, "--", OSS_AGENT, *args]
    return subprocess.run(command, capture_output=True, text=True, env=merged, timeout=120)


@pytest.mark.lab
def test_snmp_walk_reads_the_lab_device(lab: LabHandle, tmp_path: Path) -> None:
    env = {"OSS_AGENT_DATA_DIR": str(tmp_path), "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path)}
    result = cli("snmp", "walk", "pe2", "1.3.6.1.2.1.31.1.1.1.1", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    names = [row["value"] for row in json.loads(result.stdout)]
    assert {"lo", "mgmt0", "eth1", "eth2", "eth3"} <= set(names)
    table = cli("snmp", "walk", "pe2", "1.3.6.1.2.1.1.5", env=env)
    assert "pe2" in table.stdout and "STRING" in table.stdout


@pytest.mark.lab
def test_snmp_walk_errors_are_one_line(lab: LabHandle, tmp_path: Path) -> None:
    env = {"OSS_AGENT_DATA_DIR": str(tmp_path), "OSS_AGENT_INVENTORY_FILE": str(lab.options.inventory_path)}
    for args, message in (
        (("nosuch", "1.3.6.1"), "no device named 'nosuch'"),
        (("pe1", "IF-MIB::ifDescr"), "is not a numeric OID"),
    ):
        result = cli("snmp", "walk", *args, env=env)
        assert result.returncode == 1
        assert message in result.stderr and result.stderr.count("\n") == 1


def test_lab_up_without_root_is_a_clear_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o777)
    result = cli("lab", "up", "--prefix", "nr", env={"OSS_AGENT_DATA_DIR": str(tmp_path / "d")}, user="nobody")
    assert result.returncode == 1
    assert "root" in result.stderr
    assert "Traceback" not in result.stderr
