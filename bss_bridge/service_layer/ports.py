"""What the service layer needs from outside the BSS, as contracts (implemented in ``bss_bridge.oss``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bss_bridge.domain.requests import ResourceCheck


class ResourceInventory(Protocol):
    """The OSS's resource inventory, as far as an order needs it."""

    async def missing(self, checks: Sequence[ResourceCheck]) -> list[ResourceCheck]:
        """The checks whose device or site the OSS does not have (raises OssUnavailableError when it cannot say)."""
        ...
