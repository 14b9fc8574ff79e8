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
