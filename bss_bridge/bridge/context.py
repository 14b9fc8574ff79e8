"""What every flow of the bridge works with: the BSS (its service layer and database), the bridge's
own store, the OSS's APIs, the settings, the clock and the failpoints."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bss_bridge.bootstrap import Bss
from bss_bridge.bridge.failpoints import Failpoints
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain.bridge import backoff_s
from bss_bridge.oss.client import OssApi
from bss_bridge.storage.bridge_store import BridgeStore


@dataclass
class BridgeContext:
    bss: Bss
    store: BridgeStore
    oss: OssApi
    settings: BssSettings
    failpoints: Failpoints = field(default_factory=Failpoints)
    _locks: defaultdict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.bss.deps.clock

    def now(self) -> datetime:
        return self.clock()

    def delay_s(self, attempts: int) -> float:
        return backoff_s(attempts, self.settings.bridge_retry_base_s, self.settings.bridge_retry_max_s)

    def lock(self, name: str) -> asyncio.Lock:
        """One lock per subject (a product order, a subscription, the alarms): a hub notification and
        the poll never work on the same subject at once in this process."""
        return self._locks[name]
