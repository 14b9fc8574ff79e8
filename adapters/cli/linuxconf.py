"""A Linux CPE's configuration as command lines, and the commands that turn one into another.

A Linux box has no configuration file to read back, so its *running configuration* is rebuilt from
its state (``ip -j address``, ``ip -j route``, ``tc -j qdisc``) as the ``ip``/``tc`` commands that
would create it, one canonical line each:

    ip address add 198.18.2.1/24 dev lan0
    ip route add 198.18.3.0/24 via 198.19.128.0 dev eth1
    tc qdisc add dev eth1 root tbf rate 10mbit burst 32kb latency 50ms

What it manages: IPv4 addresses, routes of the main table that the kernel did not add itself, and
tbf shapers at an interface's root. Every line has an exact inverse (``add`` -> ``del``), so the
difference between two configurations is a set difference, and any line given to a device is first
parsed here: anything else (a pipe, a second command, a redirection) is refused before it is sent.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable

SHOW_COMMAND = "ip -j address show; echo; ip -j route show table main; echo; tc -j qdisc show"

_NAME = r"[A-Za-z0-9_.-]{1,15}"
_ADDRESS = re.compile(rf"^ip address (add|del) (\S+) dev ({_NAME})$")
_ROUTE = re.compile(rf"^ip route (add|del) (\S+)(?: via (\S+))?(?: dev ({_NAME}))?( onlink)?$")
_TBF = re.compile(rf"^tc qdisc (add|del) dev ({_NAME}) root(?: tbf rate (\S+) burst (\S+) latency (\S+))?$")

_RATE_UNITS = {"bit": 1, "kbit": 1000, "mbit": 10**6, "gbit": 10**9, "bps": 8, "kbps": 8000, "mbps": 8 * 10**6}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "kbit": 125, "mbit": 125000}
_TIME_UNITS = {"us": 1, "ms": 1000, "s": 10**6}
# the kind of line, in the order a configuration is built (removals go the other way)
_ORDER = {"ip address": 0, "ip route": 1, "tc qdisc": 2}


class LineError(ValueError):
    """A line that is not one of the managed ``ip``/``tc`` commands (the message says why)."""


def _number(text: str, units: dict[str, int], what: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]*)", text.lower())
    if match is None or match.group(2) not in units:
        raise LineError(f"{what} {text!r}: expected a number with one of the units {', '.join(u for u in units if u)}")
    return round(float(match.group(1)) * units[match.group(2)])


def _rate(bits: int) -> str:
    for unit, size in (("gbit", 10**9), ("mbit", 10**6), ("kbit", 1000)):
        if bits % size == 0:
            return f"{bits // size}{unit}"
    return f"{bits}bit"


def _burst(size: int) -> str:
    # the kernel stores a burst as a time at the rate: it reads back a byte or so off (32kb -> 32767)
    return f"{round(size / 1024)}kb" if size >= 1024 else f"{size}b"


def _latency(micros: int) -> str:
    # stored as a queue limit in bytes and shown back as a time: 50ms may read back as 49984us
    return f"{round(micros / 1000)}ms" if micros >= 1000 else f"{micros}us"


def _interface(text: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Interface(text))
    except ValueError as exc:
        raise LineError(f"{what} {text!r} is not an IPv4 address with a prefix length") from exc


def _destination(text: str) -> str:
    if text == "default":
        return text
    try:
        return str(ipaddress.IPv4Network(text))
    except ValueError as exc:
        raise LineError(f"route destination {text!r} is not default or an IPv4 network") from exc


def _gateway(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError as exc:
        raise LineError(f"gateway {text!r} is not an IPv4 address") from exc


def parse_line(line: str) -> tuple[str, str]:
    """``(verb, canonical add-form)`` of one command line; LineError for anything else."""
    text = " ".join(line.split())
    if m := _ADDRESS.match(text):
        return m.group(1), f"ip address add {_interface(m.group(2), 'address')} dev {m.group(3)}"
    if m := _ROUTE.match(text):
        if m.group(3) is None and m.group(4) is None:
            raise LineError(f"route {text!r} needs a gateway (via) or a device (dev)")
        out = f"ip route add {_destination(m.group(2))}"
        out += f" via {_gateway(m.group(3))}" if m.group(3) else ""
        out += f" dev {m.group(4)}" if m.group(4) else ""
        return m.group(1), out + (" onlink" if m.group(5) else "")
    if m := _TBF.match(text):
        verb, dev = m.group(1), m.group(2)
        if m.group(3) is None:
            if verb == "add":
                raise LineError(f"{text!r}: a shaper needs 'tbf rate R burst B latency L'")
            return verb, f"tc qdisc add dev {dev} root"
        rate = _number(m.group(3), _RATE_UNITS, "rate")
        burst = _number(m.group(4), _SIZE_UNITS, "burst")
        latency = _number(m.group(5), _TIME_UNITS, "latency")
        if rate <= 0 or burst <= 0 or latency <= 0:
            raise LineError(f"{text!r}: rate, burst and latency must be positive")
        shaper = f"tbf rate {_rate(rate)} burst {_burst(burst)} latency {_latency(latency)}"
        return verb, f"tc qdisc add dev {dev} root {shaper}"
    raise LineError(f"{line.strip()!r} is not a managed command (ip address, ip route, tc qdisc ... root tbf)")


def canonical(line: str) -> str:
    """The canonical form of a configuration line (an ``add`` command)."""
    verb, text = parse_line(line)
    if verb != "add":
        raise LineError(f"{line.strip()!r}: a configuration holds add commands, not {verb}")
    return text


def inverse(line: str) -> str:
    """The command that undoes a canonical ``add`` line."""
    if line.startswith("tc qdisc add dev "):
        return line.split(" root", 1)[0].replace(" add ", " del ", 1) + " root"
    return line.replace(" add ", " del ", 1)


def _rank(line: str) -> int:
    return _ORDER[" ".join(line.split()[:2])]


def parse(text: str) -> list[str]:
    """A configuration text (one command per line, ``#`` comments) as canonical lines, in build order."""
    lines = [raw.strip() for raw in text.splitlines()]
    canon = [canonical(line) for line in lines if line and not line.startswith("#")]
    return sorted(dict.fromkeys(canon), key=lambda line: (_rank(line), line))


def render(lines: Iterable[str]) -> str:
    return "".join(f"{line}\n" for line in sorted(lines, key=lambda line: (_rank(line), line)))


def from_state(output: str) -> str:
    """The running configuration from the output of :data:`SHOW_COMMAND` (three JSON documents)."""
    documents = [json.loads(chunk) for chunk in output.strip().split("\n\n") if chunk.strip()]
    if len(documents) != 3:
        raise LineError(f"expected three JSON documents (addresses, routes, qdiscs), got {len(documents)}")
    addresses, routes, qdiscs = documents
    lines: list[str] = []
    for link in addresses:
        for info in link.get("addr_info", []):
            if info.get("family") == "inet" and info.get("scope") != "host":
                lines.append(f"ip address add {info['local']}/{info['prefixlen']} dev {link['ifname']}")
    for route in routes:
        if route.get("protocol") == "kernel" or route.get("type", "unicast") != "unicast":
            continue
        line = f"ip route add {route['dst']}"
        line += f" via {route['gateway']}" if route.get("gateway") else ""
        line += f" dev {route['dev']}" if route.get("dev") else ""
        lines.append(line + (" onlink" if "onlink" in route.get("flags", []) else ""))
    for qdisc in qdiscs:
        if qdisc.get("kind") == "tbf" and qdisc.get("root"):
            options = qdisc.get("options", {})
            lines.append(
                f"tc qdisc add dev {qdisc['dev']} root tbf rate {_rate(int(options['rate']) * 8)} "
                f"burst {_burst(int(options['burst']))} latency {_latency(int(options['lat']))}"
            )
    return render(canonical(line) for line in lines)


def commands(current: Iterable[str], target: Iterable[str]) -> list[str]:
    """The commands that turn ``current`` into ``target``: removals (newest kinds first), then additions."""
    have, want = set(current), set(target)
    removals = sorted(have - want, key=lambda line: (_rank(line), line), reverse=True)
    additions = sorted(want - have, key=lambda line: (_rank(line), line))
    return [inverse(line) for line in removals] + additions
