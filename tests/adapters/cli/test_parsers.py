"""CLI output parsers from recorded device output (``tests/adapters/data/{frr,cisco_ios}/<case>/``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters import testing
from adapters.cli import session
from adapters.cli.parsers import frr, ios, ping

DATA = Path(__file__).parent.parent / "data"
plain, expected = testing.plain, testing.expected


def cases(platform: str) -> list[Path]:
    return testing.cases(DATA, platform)


# case-name prefix -> (input file, parser)
PARSERS: dict[str, dict[str, tuple[str, Callable[[str], Any]]]] = {
    "frr": {
        "version": ("show_version.txt", frr.parse_version),
        "interfaces": ("show_interface_json.txt", frr.parse_interfaces),
        "bgp_summary": ("show_bgp_summary_json.txt", frr.parse_bgp_summary),
        "routes": ("show_ip_route_json.txt", frr.parse_routes),
        "ping": ("output.txt", ping.parse_ping),
    },
    "cisco_ios": {
        "version": ("show_version.txt", ios.parse_version),
        "interfaces": ("show_interfaces.txt", ios.parse_interfaces),
        "bgp_summary": ("show_ip_bgp_summary.txt", ios.parse_bgp_summary),
    },
}


def _parser(platform: str, case: Path) -> tuple[str, Callable[[str], Any]]:
    for prefix, entry in sorted(PARSERS[platform].items(), key=lambda item: -len(item[0])):
        if case.name.startswith(prefix + "_"):
            return entry
    raise AssertionError(f"no parser for case {case}")


@pytest.mark.parametrize(
    ("platform", "case"),
    [(platform, case) for platform in PARSERS for case in cases(platform)],
    ids=lambda value: value.name if isinstance(value, Path) else value,
)
def test_recorded_output_parses_to_expected(platform: str, case: Path) -> None:
    filename, parser = _parser(platform, case)
    assert plain(parser((case / filename).read_text())) == expected(case)


def test_every_platform_has_recorded_cases() -> None:
    for platform in PARSERS:
        assert {c.name.rsplit("_", 1)[0] for c in cases(platform)} >= set(PARSERS[platform]) - {"routes"}


def test_frr_facts_and_neighbours_say_what_the_device_said() -> None:
    facts = frr.parse_version(
        next(c for c in cases("frr") if c.name.startswith("version")).joinpath("show_version.txt").read_text()
    )
    assert (facts.vendor, facts.os_version, facts.hostname) == ("FRRouting", "8.4.4", "pe1")
    interfaces = {
        i.name: i for i in frr.parse_interfaces((DATA / "frr/interfaces_pe1/show_interface_json.txt").read_text())
    }
    assert str(interfaces["eth1"].addresses[0].address) == "198.18.0.0/31"
    assert interfaces["eth1"].speed_bps == 10_000_000_000


def test_ping_loss_is_the_devices_own_count_and_a_missing_summary_is_refused() -> None:
    lost = ping.parse_ping((DATA / "frr/ping_lost/output.txt").read_text())
    assert (lost.sent, lost.received, lost.loss_pct, lost.rtt_avg_ms) == (3, 0, 100.0, None)
    assert ping.parse_ping((DATA / "frr/ping_ok/output.txt").read_text()).loss_pct == 0.0
    with pytest.raises(ping.PingOutputError, match=r"no ping summary.*Unknown command"):
        ping.parse_ping("ping 198.19.255.2\n% Unknown command: ping 198.19.255.2\npe1#")


def test_frr_uptime_strings() -> None:
    assert frr.uptime_seconds("00:01:02") == 62
    assert frr.uptime_seconds("1d02h03m") == 86400 + 2 * 3600 + 180
    assert frr.uptime_seconds("2w3d04h") == (14 + 3) * 86400 + 4 * 3600
    assert frr.uptime_seconds("never") is None


def test_frr_json_parsers_refuse_text() -> None:
    with pytest.raises(ValueError, match="no JSON"):
        frr.parse_interfaces("% Unknown command: show interface jsn")


def test_rejection_lines_are_recognised_and_warnings_are_not() -> None:
    output = "pe1(config)# bogus\n% Unknown command: bogus\n% Invalid input detected at '^' marker.\n% Warning: x\n"
    assert session.rejected_lines(output) == ["% Unknown command: bogus", "% Invalid input detected at '^' marker."]
    assert session.rejected_lines("pe1(config-if)# description ok\npe1# ") == []


@pytest.mark.parametrize("destination", ["198.51.100.1\n", "-f", "a b", "x;reboot", ""])
def test_a_ping_destination_is_an_address_or_name_and_nothing_else(destination: str) -> None:
    from adapters.cli.ping import check_destination

    with pytest.raises(ValueError, match="not an address or host name"):
        check_destination(destination)
    assert check_destination("pe1.example.net") == "pe1.example.net"
