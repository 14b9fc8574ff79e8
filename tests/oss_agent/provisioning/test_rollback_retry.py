"""A restore that meets a busy device is tried again before the device is left rollbackFailed."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from adapters import AdapterError, ConfigurationRejectedError
from oss_agent.domain.resource_order import Phase
from oss_agent.provisioning import engine


class Recorder:
    """The unit of work as rollback uses it: the phase each resource order is left in."""

    def __init__(self) -> None:
        self.phases: dict[str, tuple[Phase, str | None]] = {}
        self.resource_orders = self

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def set_phase(self, ro_id: str, phase: Phase, note: str | None = None) -> None:
        self.phases[ro_id] = (phase, note)

    def commit(self) -> None:
        return None


class BusyDevice:
    """Times out `failures` times, then restores (and verifies) its snapshot."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0

    async def restore_cli(self, snapshot: str) -> bool:
        self.calls += 1
        if self.calls <= self.failures:
            raise AdapterError("timed out after 10 s", device="pe1", operation="restore")
        return True


def resource_order() -> Any:
    return SimpleNamespace(
        id="ro-1",
        device="pe1",
        phase=Phase.APPLYING,
        change_cli=["interface eth3"],
        snapshot_cli="!",
        change_netconf=None,
        snapshot_netconf=None,
        persist_id=None,
    )


def run(device: Any) -> tuple[Recorder, dict[str, str]]:
    recorder = Recorder()
    undone = asyncio.run(
        engine.rollback(lambda: recorder, [resource_order()], {"pe1": device}, lambda *_: None)  # type: ignore[arg-type,dict-item]
    )
    return recorder, undone


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "RESTORE_BACKOFF_S", 0.0)


def test_a_restore_that_times_out_once_is_tried_again_and_verified() -> None:
    device = BusyDevice(failures=1)
    recorder, undone = run(device)
    assert device.calls == 2
    assert recorder.phases["ro-1"] == (Phase.ROLLED_BACK, None)
    assert undone == {"pe1": "restored and verified"}


def test_a_device_that_never_answers_is_left_rollback_failed_with_the_reason() -> None:
    device = BusyDevice(failures=99)
    recorder, undone = run(device)
    assert device.calls == engine.RESTORE_ATTEMPTS
    phase, note = recorder.phases["ro-1"]
    assert phase is Phase.ROLLBACK_FAILED and note is not None and "timed out after 10 s" in note
    assert "timed out" in undone["pe1"]


class RefusingDevice:
    """Refuses the restore, its answer quoting the line it refused, a BGP password in it."""

    async def restore_cli(self, snapshot: str) -> bool:
        raise ConfigurationRejectedError(
            "change refused",
            device_message="% Unknown command: neighbor 198.19.255.2 password Bgp5ecret",
            device="pe1",
            operation="configure",
        )


def test_a_refusal_quoting_a_secret_is_stored_logged_and_reported_without_it(caplog: pytest.LogCaptureFixture) -> None:
    recorder, undone = run(RefusingDevice())
    phase, note = recorder.phases["ro-1"]
    assert phase is Phase.ROLLBACK_FAILED and note is not None
    assert "neighbor 198.19.255.2 password <secret hidden>" in note
    said = note + undone["pe1"] + caplog.text
    assert "restore of pe1" in caplog.text and "Bgp5ecret" not in said
