"""Helpers for tests that feed recorded device output to pure parsers (napalm's per-case folders).

A case is a folder ``<data>/<platform>/<case>/`` holding the recorded output and ``expected.json``;
:func:`plain` turns result models into JSON values so they compare with it. Part of the package so
every driver's tests, and third-party drivers, use the same rules.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import json
from datetime import datetime
from pathlib import Path
from typing import Any


def plain(value: Any) -> Any:
    """Models (dataclasses, enums, addresses, times) as JSON values, to compare with ``expected.json``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface | datetime):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def cases(data: Path, platform: str) -> list[Path]:
    """The recorded cases of ``platform`` under ``data``, in a stable order."""
    return sorted(p for p in (data / platform).iterdir() if p.is_dir())


def expected(case: Path) -> Any:
    return json.loads((case / "expected.json").read_text())
