"""What handlers need besides their unit of work: the clock, new ids, the OSS's inventory."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bss_bridge.failpoints import Failpoints
from bss_bridge.service_layer.ports import ResourceInventory


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Deps:
    inventory: ResourceInventory
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = field(default=new_uuid)
    dunning_grace_days: int = 14  # an invoice unpaid this long after its due date suspends the account
    failpoints: Failpoints = field(default_factory=Failpoints)  # ``OSS_BSS_FAILPOINT`` (tests' kill -9)
