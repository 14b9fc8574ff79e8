"""The agent's process-wide garbage-collector settings, and the bench's way back to CPython's."""

from __future__ import annotations

import gc

from oss_agent.entrypoints import runtime


def test_tuning_and_the_default_gc_window_restore_each_other() -> None:
    saved = gc.get_threshold()
    try:
        runtime.tune_for_throughput()
        tuned = gc.get_threshold()
        assert tuned[0] == runtime.YOUNG_THRESHOLD and gc.get_freeze_count() > 0
        with runtime.default_gc():
            assert gc.get_threshold() == runtime.CPYTHON_DEFAULTS and gc.get_freeze_count() == 0
        assert gc.get_threshold() == tuned and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved)
