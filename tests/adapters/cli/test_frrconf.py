"""FRR configuration trees and the commands between two of them (pure: no device)."""

from __future__ import annotations

from pathlib import Path

from adapters.cli import frrconf

RUNNING = (Path(__file__).parent.parent / "data/frr_napalm/get_facts_pe1/show_running_config.txt").read_text()


def test_running_config_parses_into_contexts() -> None:
    tree = frrconf.parse(RUNNING)
    assert "hostname pe1" in tree[()]
    assert "ip address 198.18.0.0/31" in tree[("interface eth1",)]
    assert tree[("router bgp 65000", "address-family ipv4 unicast")] == [
        "neighbor 198.19.255.2 activate",
        "neighbor 198.19.255.3 activate",
    ]
    assert frrconf.same(frrconf.parse(frrconf.render(tree)), tree)


def test_commands_undo_a_merge_and_redo_it() -> None:
    running = frrconf.parse(RUNNING)
    change = frrconf.parse(
        "interface lo\n description test\nexit\nrouter bgp 65000\n"
        " neighbor 198.19.255.9 remote-as 65009\n address-family ipv4 unicast\n"
        "  neighbor 198.19.255.9 activate\n exit-address-family\nexit\n"
    )
    merged = frrconf.merge(running, change)
    forward = frrconf.commands(running, merged)
    assert "neighbor 198.19.255.9 remote-as 65009" in forward
    back = frrconf.commands(merged, running)
    # Deeper contexts first, and single-valued commands negated by keyword (FRR refuses 'no description TEXT').
    assert back.index("no neighbor 198.19.255.9 activate") < back.index("no neighbor 198.19.255.9 remote-as 65009")
    assert "no description" in back
    assert frrconf.commands(running, running) == []


def test_merge_replaces_single_valued_lines_and_honours_no() -> None:
    base = frrconf.parse("interface lo\n description old\n ip ospf passive\nexit\n")
    merged = frrconf.merge(base, frrconf.parse("interface lo\n description new\n no ip ospf passive\nexit\n"))
    assert merged[("interface lo",)] == ["description new"]


def test_removed_router_context_is_one_command() -> None:
    current = frrconf.parse("router ospf\n ospf router-id 1.1.1.1\nexit\n")
    assert frrconf.commands(current, frrconf.parse("")) == ["no router ospf"]


def test_diff_is_unified_and_empty_when_equal() -> None:
    running = frrconf.parse(RUNNING)
    assert frrconf.diff(running, running) == ""
    changed = frrconf.merge(running, frrconf.parse("interface eth3\n description new\nexit\n"))
    assert "+ description new" in frrconf.diff(running, changed)
