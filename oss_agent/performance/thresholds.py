"""Threshold rules with hysteresis: a crossing raises once, and clears only below a lower level, so a
value hovering around the limit does not flap an alarm. Pure: the poller feeds values in, crossings out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.fault import FaultSignal


class ThresholdRule(BaseModel):
    """``metric`` above ``raise_above`` raises; below ``clear_below`` clears."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    metric: str
    raise_above: float
    clear_below: float
    severity: str = "major"

    @model_validator(mode="after")
    def _hysteresis(self) -> ThresholdRule:
        if self.clear_below > self.raise_above:
            raise ValueError(f"rule {self.name}: clear_below ({self.clear_below}) must not exceed raise_above")
        return self


DEFAULT_RULES = (
    ThresholdRule(name="utilisation-in", metric="in_util", raise_above=90.0, clear_below=80.0),
    ThresholdRule(name="utilisation-out", metric="out_util", raise_above=90.0, clear_below=80.0),
    ThresholdRule(name="errors-in", metric="in_errors_ps", raise_above=1.0, clear_below=0.1, severity="minor"),
    ThresholdRule(name="errors-out", metric="out_errors_ps", raise_above=1.0, clear_below=0.1, severity="minor"),
)


@dataclass(frozen=True, slots=True)
class Crossing:
    raised: bool
    rule: ThresholdRule
    device: str
    interface: str
    value: float

    @property
    def reduction_key(self) -> str:
        return f"{self.device}:{self.interface}|threshold|{self.rule.name}"

    def signal(self, at: datetime) -> FaultSignal:
        """The crossing as a fault signal, applied with the poll's other signals in one batch."""
        if not self.raised:
            return FaultSignal(self.device, "thresholdCleared", self.reduction_key, False, "threshold", at)
        obj = f"{self.device}:{self.interface}"
        spec = AlarmSpec(
            self.reduction_key,
            obj,
            AlarmType.QUALITY_OF_SERVICE,
            "thresholdCrossed",
            Severity(self.rule.severity),
            f"{self.rule.metric} {self.value:.2f} above {self.rule.raise_above:g}",
            (self.device, obj),
        )
        return FaultSignal(self.device, "thresholdCrossed", self.reduction_key, True, "threshold", at, spec, False)


class ThresholdTracker:
    """Remembers which (rule, device, interface) are above their threshold."""

    def __init__(self, rules: Iterable[ThresholdRule] = DEFAULT_RULES) -> None:
        self.rules = tuple(rules)
        self.active: set[tuple[str, str, str]] = set()

    def evaluate(self, device: str, interface: str, values: Mapping[str, float | None]) -> list[Crossing]:
        out = []
        for rule in self.rules:
            value = values.get(rule.metric)
            if value is None:
                continue
            key = (rule.name, device, interface)
            if key not in self.active and value > rule.raise_above:
                self.active.add(key)
                out.append(Crossing(True, rule, device, interface, value))
            elif key in self.active and value < rule.clear_below:
                self.active.discard(key)
                out.append(Crossing(False, rule, device, interface, value))
        return out
