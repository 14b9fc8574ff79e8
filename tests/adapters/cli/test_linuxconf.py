"""A Linux CPE's configuration as ip/tc lines: read from recorded state, canonical forms, inverses, diffs."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli import linuxconf
from adapters.cli.linux import checked

STATE = Path(__file__).parents[1] / "data" / "linux" / "state_ce1" / "output.txt"


def test_running_configuration_from_recorded_state() -> None:
    text = linuxconf.from_state(STATE.read_text())
    assert text.splitlines() == [
        "ip address add 100.64.41.21/24 dev mgmt0",
        "ip address add 198.18.2.1/24 dev lan0",
        "ip address add 198.19.128.1/31 dev eth1",
        "ip route add 198.18.3.0/24 via 198.19.128.0 dev eth1",
        "ip route add default via 198.19.128.0 dev eth1",
        # the kernel stored burst 32kb as 32767 bytes: read back as written
        "tc qdisc add dev eth1 root tbf rate 10mbit burst 32kb latency 50ms",
    ]
    assert linuxconf.parse(text) == text.splitlines()  # kernel routes, lo and noqueue are not configuration


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("ip address add 198.19.128.1/31 dev eth1", "ip address add 198.19.128.1/31 dev eth1"),
        ("ip  route add 10.0.0.0/8 via 10.1.1.1", "ip route add 10.0.0.0/8 via 10.1.1.1"),
        ("ip route add default via 10.1.1.1 dev eth1 onlink", "ip route add default via 10.1.1.1 dev eth1 onlink"),
        (
            "tc qdisc add dev eth1 root tbf rate 10000kbit burst 32768 latency 50000us",
            "tc qdisc add dev eth1 root tbf rate 10mbit burst 32kb latency 50ms",
        ),
        (
            "tc qdisc add dev eth1 root tbf rate 1250kbps burst 15kb latency 0.05s",
            "tc qdisc add dev eth1 root tbf rate 10mbit burst 15kb latency 50ms",
        ),
    ],
)
def test_lines_are_canonical(given: str, canonical: str) -> None:
    assert linuxconf.canonical(given) == canonical


@pytest.mark.parametrize(
    "line",
    [
        "ip address add 198.19.128.1/31 dev eth1; reboot",
        "ip address add 198.19.128.1/31 dev eth1 && rm -rf /",
        "ip route add 10.0.0.0/8 via $(id)",
        "ip link set eth1 down",
        "tc qdisc add dev eth1 root netem delay 10ms",
        "ip address add 300.1.1.1/31 dev eth1",
        "ip route add 10.0.0.0/8",
        "tc qdisc add dev eth1 root tbf rate 10 furlongs burst 1kb latency 1ms",
        "tc qdisc add dev eth1 root",
        "ip address add 10.0.0.1/24 dev eth1`touch x`",
    ],
)
def test_anything_but_the_managed_commands_is_refused(line: str) -> None:
    with pytest.raises(linuxconf.LineError):
        linuxconf.canonical(line)
    with pytest.raises(linuxconf.LineError):
        checked([line])


def test_inverse_and_commands_remove_newest_kinds_first() -> None:
    current = linuxconf.parse("ip address add 10.0.0.1/31 dev eth1\nip route add default via 10.0.0.0 dev eth1\n")
    target = linuxconf.parse(
        "ip address add 10.0.0.1/31 dev eth1\ntc qdisc add dev eth1 root tbf rate 1mbit burst 4kb latency 50ms\n"
    )
    assert linuxconf.commands(current, target) == [
        "ip route del default via 10.0.0.0 dev eth1",
        "tc qdisc add dev eth1 root tbf rate 1mbit burst 4kb latency 50ms",
    ]
    everything = linuxconf.parse(linuxconf.from_state(STATE.read_text()))
    undo = linuxconf.commands(everything, [])
    assert undo[0] == "tc qdisc del dev eth1 root" and undo[-1].startswith("ip address del ")
    assert checked(["ip route del 10.0.0.0/8 via 10.1.1.1"]) == ["ip route del 10.0.0.0/8 via 10.1.1.1"]
