"""A lab claimed by one process (a test session) is refused to every other process's ``up`` and
``down`` until the claim ends, however it ends: this is what stops a second test run from tearing
down a lab in use. The holder is a real second process; nothing here builds a lab."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab import LabOptions, claims, down, up
from lab.pytest_plugin import require_root

HOLDER = """
import sys
from lab import claims
claims.claim(sys.argv[1])
print("claimed", flush=True)
sys.stdin.read()  # held until the test closes our stdin (or kills us)
"""


@pytest.fixture
def claims_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OSS_LAB_CLAIMS_DIR", str(tmp_path / "claims"))
    return tmp_path / "claims"


@pytest.fixture
def holder(claims_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the claim of prefix ``xcl``."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, "xcl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "OSS_LAB_CLAIMS_DIR": str(claims_dir)},
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "claimed"
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


def options(tmp_path: Path) -> LabOptions:
    data = tmp_path / "data"
    return LabOptions(
        data_dir=data, inventory_path=data / "inventory.yaml", prefix="xcl", mgmt_subnet="100.64.250.0/24"
    )


def test_a_claimed_lab_is_refused_to_other_processes_and_names_its_holder(
    holder: subprocess.Popen[str], tmp_path: Path
) -> None:
    with pytest.raises(claims.LabBusyError) as refused:
        claims.check_free("xcl")
    message = str(refused.value)
    assert f"process {holder.pid}" in message and "'xcl'" in message and "another prefix" in message
    with pytest.raises(claims.LabBusyError):
        claims.claim("xcl")
    claims.check_free("xcm")  # another prefix is free


def test_up_and_down_refuse_a_lab_another_process_claims(holder: subprocess.Popen[str], tmp_path: Path) -> None:
    require_root()  # up and down check root first
    for action in (lambda: down(options(tmp_path)), lambda: up("default", options(tmp_path))):  # down first: harmless
        with pytest.raises(claims.LabBusyError, match=f"process {holder.pid}"):
            action()
    assert not (tmp_path / "data").exists()  # refused before anything was written


@pytest.mark.parametrize("end", ["stdin closed", "SIGKILL"])
def test_the_claim_ends_with_its_holder_however_it_ends(
    holder: subprocess.Popen[str], claims_dir: Path, end: str
) -> None:
    assert holder.stdin is not None
    if end == "SIGKILL":
        os.kill(holder.pid, signal.SIGKILL)
    else:
        holder.stdin.close()
    holder.wait(timeout=30)
    claims.check_free("xcl")
    claims.claim("xcl")  # and this process may take it
    try:
        with pytest.raises(claims.LabBusyError):  # now held here: refused to another process
            _check_elsewhere(claims_dir)
        claims.check_free("xcl")  # this process's own claim never refuses itself
    finally:
        claims.release("xcl")
    claims.check_free("xcl")


def _check_elsewhere(claims_dir: Path) -> None:
    """check_free('xcl') in another process, its LabBusyError raised here."""
    result = subprocess.run(
        [sys.executable, "-c", "from lab import claims; claims.check_free('xcl')"],
        capture_output=True,
        text=True,
        env={**os.environ, "OSS_LAB_CLAIMS_DIR": str(claims_dir)},
        timeout=60,
        check=False,
    )
    if "LabBusyError" in result.stderr:
        raise claims.LabBusyError(result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stderr
