"""Fault signals: what a trap or a poll observed, before it becomes an alarm change.

Kept in the domain (standard library only) so commands can carry them; turning notifications and
poll results into signals is ``oss_agent.fault.signals``' job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from oss_agent.domain.alarm import AlarmSpec


@dataclass(frozen=True, slots=True)
class FaultSignal:
    """One observation: ``raised`` with a spec, or a clear of ``reduction_key``; ``kind`` names it."""

    device: str
    kind: str
    reduction_key: str
    raised: bool
    source: str
    at: datetime
    spec: AlarmSpec | None = None
    count_repeat: bool = True
    detail: Mapping[str, object] = field(default_factory=dict)

    @property
    def alarming(self) -> bool:
        return bool(self.reduction_key)
