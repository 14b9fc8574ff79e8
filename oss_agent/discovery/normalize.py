"""Configuration text normalized so that a new version means a real change.

Devices print lines that differ on every read (a timestamp, the byte count, NTP's measured clock
period, a banner saying the config is being built): storing a version for each would make every
read look like drift. These pure functions remove them; nothing here touches a device or a database.
"""

from __future__ import annotations

import difflib
import hashlib
import re

# Each pattern matches a whole line (after stripping trailing whitespace) that changes between reads
# without any change an operator made.
VOLATILE_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^Building configuration\.*$",
        r"^Current configuration\s*:.*$",
        r"^!\s*Last configuration change at .*$",
        r"^!\s*NVRAM config last updated at .*$",
        r"^!\s*No configuration change since last restart\s*$",
        r"^!\s*Time:.*$",
        r"^##\s*Last (changed|commit):.*$",
        r"^ntp clock-period \d+$",
        r"^Load for five secs:.*$",
        r"^Time source is .*$",
        r"^.*\buptime is\b.*$",
        r"^frr version \S+$",
        r"^!+$",
        r"^$",
    )
)


def normalize_config(text: str) -> str:
    """``text`` without volatile lines, with uniform line ends and no trailing blanks; ends in a newline."""
    kept: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.rstrip()
        if any(pattern.match(line) for pattern in VOLATILE_LINES):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n" if kept else ""


def config_digest(text: str) -> str:
    """The SHA-256 of the normalized text: equal digests mean no change worth a version."""
    return hashlib.sha256(normalize_config(text).encode()).hexdigest()


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff of two configurations, compared in normalized form so noise never shows."""
    lines = difflib.unified_diff(
        normalize_config(old).splitlines(keepends=True),
        normalize_config(new).splitlines(keepends=True),
        old_label,
        new_label,
    )
    return "".join(lines)
