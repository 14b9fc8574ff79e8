from __future__ import annotations

import pytest

from oss_agent.performance.thresholds import ThresholdRule, ThresholdTracker

RULE = ThresholdRule(name="util", metric="in_util", raise_above=90, clear_below=80)


def test_raise_once_clear_below_the_lower_level() -> None:
    tracker = ThresholdTracker([RULE])
    seen = [tracker.evaluate("pe1", "eth1", {"in_util": v}) for v in (50, 95, 97, 85, 91, 79, 60)]
    kinds = [(c[0].raised, c[0].value) if c else None for c in seen]
    assert kinds == [None, (True, 95), None, None, None, (False, 79), None]


def test_missing_values_and_other_interfaces_are_independent() -> None:
    tracker = ThresholdTracker([RULE])
    assert tracker.evaluate("pe1", "eth1", {"in_util": None}) == []
    (crossing,) = tracker.evaluate("pe1", "eth1", {"in_util": 99})
    assert crossing.reduction_key == "pe1:eth1|threshold|util"
    assert tracker.evaluate("pe1", "eth2", {"in_util": 10}) == []


def test_a_rule_without_hysteresis_room_is_refused() -> None:
    with pytest.raises(ValueError, match="clear_below"):
        ThresholdRule(name="bad", metric="in_util", raise_above=50, clear_below=60)


def test_a_crossing_becomes_a_fault_signal_and_its_clear_clears_the_same_key() -> None:
    from datetime import UTC, datetime

    tracker = ThresholdTracker([RULE])
    at = datetime(2026, 11, 21, tzinfo=UTC)
    (raised,) = tracker.evaluate("pe1", "eth1", {"in_util": 95})
    (cleared,) = tracker.evaluate("pe1", "eth1", {"in_util": 10})
    up, down = raised.signal(at), cleared.signal(at)
    assert (up.raised, up.reduction_key, up.source) == (True, "pe1:eth1|threshold|util", "threshold")
    assert up.spec is not None and up.spec.probable_cause == "thresholdCrossed"
    assert up.spec.managed_object == "pe1:eth1" and up.spec.specific_problem == "in_util 95.00 above 90"
    assert (down.raised, down.reduction_key, down.spec) == (False, up.reduction_key, None)
