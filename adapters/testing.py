"""Helpers for tests and benchmarks: recorded device output for pure parsers, and real senders' packets.

A case is a folder ``<data>/<platform>/<case>/`` holding the recorded output and ``expected.json``;
:func:`plain` turns result models into JSON values so they compare with it. Part of the package so
every driver's tests, and third-party drivers, use the same rules. :func:`captured` records what a
real sender (net-snmp's snmptrap) puts on the wire.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import json
import socket
import subprocess
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.errors import AdapterError


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


def captured(commands: Sequence[Sequence[str]], parallel: int = 20) -> list[bytes]:
    """The datagram each command sends to ``{to}`` (replaced by a local sink's address), ``parallel``
    commands at a time; in the order they arrived, which need not be the commands' order."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sink.settimeout(10)
        to = f"127.0.0.1:{sink.getsockname()[1]}"
        for start in range(0, len(commands), parallel):
            batch = commands[start : start + parallel]
            procs = [
                subprocess.Popen([to if arg == "{to}" else arg for arg in command],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                for command in batch
            ]
            for command, proc in zip(batch, procs, strict=True):
                _, err = proc.communicate(timeout=30)
                if proc.returncode != 0:
                    first = (err.decode(errors="replace").strip().splitlines() or [""])[0]  # not the usage text
                    raise AdapterError(f"{command[0]} exited with {proc.returncode}: {first}")
        return [sink.recv(65535) for _ in commands]
