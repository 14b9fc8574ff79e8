"""NETCONF reply readers from a recorded yuma123 reply, and the replace-config builder (no device)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from adapters import testing
from adapters.netconf import parse

DATA = Path(__file__).parent.parent / "data"
plain, expected = testing.plain, testing.expected


def cases(platform: str) -> list[Path]:
    return testing.cases(DATA, platform)


def test_interfaces_state_reply_parses_to_expected() -> None:
    for case in cases("netconf"):
        xml = (case / "get_interfaces_state.xml").read_text()
        read_at = datetime(2026, 1, 1, tzinfo=UTC)
        result = {"interfaces": parse.interfaces(xml), "counters": parse.counters(xml, read_at)}
        assert plain(result) == expected(case)


def test_counters_are_64_bit_and_named_like_the_interfaces() -> None:
    xml = (DATA / "netconf/interfaces_state_pe1/get_interfaces_state.xml").read_text()
    counters = {c.name: c for c in parse.counters(xml, datetime.now(UTC))}
    assert {"eth1", "eth2", "eth3", "lo", "mgmt0"} <= set(counters)
    assert all(c.counter_bits == 64 for c in counters.values())
    assert counters["mgmt0"].in_octets > 0


def test_rpc_error_message_names_the_bad_element() -> None:
    info = (
        '<error-info xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><bad-element>if:bogus</bad-element></error-info>'
    )
    message = parse.rpc_error_message("unknown-element", "unknown object", "/nc:rpc/x", info)
    assert message == "unknown object [unknown-element] bad-element if:bogus at /nc:rpc/x"


def test_replacement_marks_replace_and_remove() -> None:
    wanted = '<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system"><contact>a</contact></system>'
    current = (
        '<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"/>'
        '<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system"/></data>'
    )
    built = parse.replacement(wanted, current)
    assert 'operation="replace"' in built and "<contact>a</contact>" in built
    assert built.count('operation="remove"') == 1 and "ietf-interfaces" in built
