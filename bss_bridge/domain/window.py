"""Validity windows (TMF's ``validFor``) and the rule that every stored instant is aware UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bss_bridge.domain.errors import InvalidRequestError


def utc(moment: datetime, field: str = "") -> datetime:
    """``moment`` in UTC; a naive datetime is refused (it would be read in whatever zone the host has)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidRequestError.one(field, f"{moment.isoformat()} has no time zone offset (use ...Z or +01:00)")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """From ``start`` (inclusive) to ``end`` (exclusive); ``None`` is open on that side."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        start = None if self.start is None else utc(self.start, "validFor.startDateTime")
        end = None if self.end is None else utc(self.end, "validFor.endDateTime")
        if start is not None and end is not None and end <= start:
            raise InvalidRequestError.one(
                "validFor", f"ends ({end.isoformat()}) before it starts ({start.isoformat()})"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def contains(self, moment: datetime) -> bool:
        return (self.start is None or self.start <= moment) and (self.end is None or moment < self.end)

    def describe(self) -> str:
        start = self.start.isoformat() if self.start else "the beginning"
        end = self.end.isoformat() if self.end else "no end"
        return f"from {start} to {end}"


ALWAYS = Window()
