"""Billing's part of the BSS error tree. Defined next to the billing maths (not in
``bss_bridge.domain.errors``) so billing can grow without touching the shared contract; every class
still derives from :class:`~bss_bridge.domain.errors.BssDomainError`, so one ``except`` catches all.

    BssDomainError
    └── BillingError                 billing input that cannot be billed as given
        ├── InvalidBillCycleError    a bill cycle day or time zone that does not exist
        ├── InvalidBillingInputError an event, a record or a window that contradicts the others
        ├── UsageConflictError       a usage id sent again with different content
        └── LedgerConflictError      a payment (or invoice...) id posted again with different content
"""

from __future__ import annotations

from bss_bridge.domain.errors import BssDomainError


class BillingError(BssDomainError):
    """Billing input that cannot be billed as given; nothing was computed from it."""


class InvalidBillCycleError(BillingError):
    """A bill cycle day outside 1-31 or a time zone that is not an IANA zone name."""


class InvalidBillingInputError(BillingError):
    """Input that contradicts itself: a naive datetime, events out of order, a period off the cycle..."""


class UsageConflictError(BillingError):
    """A usage id that arrived again with different content: the retry is refused, the first kept."""

    def __init__(self, usage_ids: tuple[str, ...]) -> None:
        self.usage_ids = usage_ids
        shown = ", ".join(usage_ids[:5]) + (f" and {len(usage_ids) - 5} more" if len(usage_ids) > 5 else "")
        super().__init__(f"usage sent again with different content (kept the first): {shown}")


class LedgerConflictError(BillingError):
    """A ledger entry id posted again with other content (amount, date...): refused, the first kept."""
