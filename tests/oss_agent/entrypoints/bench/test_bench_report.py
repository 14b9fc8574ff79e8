"""The benchmark's pure parts: the exporter module it generates and the report it prints."""

from __future__ import annotations

import json

from oss_agent.entrypoints.bench import peers
from oss_agent.entrypoints.bench.poll import Figure, bench_options, json_line, report


def test_exporter_module_walks_both_tables_with_every_column_as_a_metric() -> None:
    module = peers.exporter_config("c0mm")["bench_if"]
    assert isinstance(module, dict)
    assert module["walk"] == [peers.IF_TABLE, peers.IFX_TABLE]
    assert module["max_repetitions"] == 25 and module["version"] == 2
    oids = {m["oid"] for m in module["metrics"]}
    assert f"{peers.IF_TABLE}.1.10" in oids and f"{peers.IFX_TABLE}.1.6" in oids
    assert len(oids) == len(peers.IF_COLUMNS) + len(peers.IFX_COLUMNS)


def test_report_rows_ratios_and_the_json_line() -> None:
    figures = [
        Figure("agent", 100, 200_000, 4.0),
        Figure("snmpbulkwalk", 100, 200_000, 10.0),
        Figure("snmp_exporter", 100, 190_000, 9.5),
    ]
    rows, summary = report(figures)
    assert [r[0] for r in rows] == ["agent", "snmpbulkwalk", "snmp_exporter"]
    assert rows[1][-1] == "2.50"
    assert json.loads(json_line(summary)) == {
        "devices": 100,
        "agent_varbinds_per_s": 50_000,
        "snmpbulkwalk_varbinds_per_s": 20_000,
        "snmp_exporter_varbinds_per_s": 20_000,
    }


def test_bench_lab_subnet_fits_the_devices(tmp_path: object) -> None:
    import ipaddress
    from pathlib import Path

    for devices in (5, 100, 500):
        subnet = ipaddress.ip_network(bench_options(devices, Path(str(tmp_path))).mgmt_subnet)
        assert subnet.num_addresses - 3 >= devices + 10
