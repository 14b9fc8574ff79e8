"""Ping output (iputils, as FRR's vtysh and Linux run it) into a :class:`PingResult`.

The summary lines are the device's own count, so loss is never inferred from the reply lines:
``5 packets transmitted, 5 received, 0% packet loss`` and ``rtt min/avg/max/mdev = a/b/c/d ms``
(``round-trip min/avg/max`` on BusyBox). A ping that could not start (no route: ``connect: Network is
unreachable``) sent nothing and is all loss. Anything else is not a ping answer and raises.
"""

from __future__ import annotations

import re

from adapters.models import PingResult

_COUNTS = re.compile(r"^(\d+) packets transmitted, (\d+) (?:packets )?received", re.MULTILINE)
_RTT = re.compile(r"^(?:rtt|round-trip) min/avg/max(?:/\w+)? = ([\d.]+)/([\d.]+)/([\d.]+)", re.MULTILINE)
_DESTINATION = re.compile(r"^(?:.*?#\s*)?ping (\S+)$|^PING (\S+) |^--- (\S+) ping statistics", re.MULTILINE)
_NOT_STARTED = re.compile(r"^ping: (?:connect: Network is unreachable|.*: (?:Name or service not known|"
                          r"Temporary failure in name resolution))", re.MULTILINE)


class PingOutputError(ValueError):
    """The text holds no ping summary (the command was refused, or cut short before its summary)."""


def parse_ping(text: str) -> PingResult:
    """The result a ping printed; raises :class:`PingOutputError` when there is none."""
    found = _DESTINATION.search(text)
    destination = next((g for g in found.groups() if g), "") if found else ""
    counts = _COUNTS.search(text)
    if counts is None:
        if _NOT_STARTED.search(text):
            return PingResult(destination, 0, 0)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        said = next((line for line in lines if line.startswith("%")), lines[-1] if lines else "(no output)")
        raise PingOutputError(f"no ping summary in the output (the device said: {said[:120]!r})")
    sent, received = int(counts.group(1)), int(counts.group(2))
    rtt = _RTT.search(text)
    if rtt is None or received == 0:
        return PingResult(destination, sent, received)
    low, mean, high = (float(v) for v in rtt.groups())
    return PingResult(destination, sent, received, low, mean, high)
