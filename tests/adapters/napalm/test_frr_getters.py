"""The FRR NAPALM driver's getters from recorded vtysh output, checked against NAPALM's own models.

Case folders: ``tests/adapters/data/frr_napalm/<getter>_<device>/`` with the vtysh output files and
``expected.json`` (napalm's per-case layout); every result also passes ``napalm.base.test.helpers.test_model``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.napalm import frr_getters

ModelCheck = Callable[[str, dict[str, Any]], None]
DATA = Path(__file__).parent.parent / "data" / "frr_napalm"


def _read(case: Path, name: str) -> str:
    return (case / name).read_text()


GETTERS: dict[str, Callable[[Path], Any]] = {
    "get_facts": lambda c: frr_getters.facts(
        _read(c, "show_version.txt"), _read(c, "show_interface_json.txt"), _read(c, "show_running_config.txt")
    ),
    "get_interfaces": lambda c: frr_getters.interfaces(_read(c, "show_interface_json.txt")),
    "get_interfaces_ip": lambda c: frr_getters.interfaces_ip(_read(c, "show_interface_json.txt")),
    "get_interfaces_counters": lambda c: frr_getters.interfaces_counters(
        _read(c, "show_interface_json.txt"), _read(c, "show_interface.txt")
    ),
    "get_bgp_neighbors": lambda c: frr_getters.bgp_neighbors(
        _read(c, "show_bgp_summary_json.txt"), _read(c, "show_bgp_neighbors_json.txt")
    ),
}


def _getter(case: Path) -> str:
    return max((g for g in GETTERS if case.name.startswith(g + "_")), key=len)


@pytest.mark.parametrize("case", sorted(p for p in DATA.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_recorded_case_matches_expected_and_napalm_models(case: Path, napalm_models_ok: ModelCheck) -> None:
    getter = _getter(case)
    result = GETTERS[getter](case)
    assert json.loads(json.dumps(result)) == json.loads((case / "expected.json").read_text())
    napalm_models_ok(getter, result)


def test_every_getter_has_a_case() -> None:
    assert {_getter(p) for p in DATA.iterdir() if p.is_dir()} == set(GETTERS)


def test_counter_lines_are_read_where_frr_prints_them() -> None:
    text = (
        "Interface eth1 is up, line protocol is up\n"
        "  input packets 12, bytes 3400, dropped 1, multicast packets 0\n"
        "  output packets 7, bytes 900, dropped 0\nInterface lo is up, line protocol is up\n"
    )
    result = frr_getters.interfaces_counters('{"eth1": {}, "lo": {}}', text)
    assert result["eth1"]["rx_octets"] == 3400 and result["eth1"]["tx_unicast_packets"] == 7
    assert result["eth1"]["rx_discards"] == 1
    assert result["lo"]["rx_octets"] == -1  # NAPALM's "not supported"
