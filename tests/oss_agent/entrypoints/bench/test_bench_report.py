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


def test_inventory_bench_file_loads_and_the_report_compares_with_the_c_loader(tmp_path: object) -> None:
    from pathlib import Path

    from oss_agent.config import load_inventory
    from oss_agent.entrypoints.bench import inventory as bench_inventory

    path = bench_inventory.write_inventory(Path(str(tmp_path)), 60)
    loaded = load_inventory(path)
    assert len(loaded.devices) == 60
    v3 = loaded.target("dev000025").snmp
    assert v3 is not None and v3.version == "v3" and v3.engine_id == f"8000{25:016x}"
    assert loaded.get("dev000002").ssh is None and loaded.get("dev000000").role == "pe"

    agent = bench_inventory.Figure("agent", 1000, 2.0, 100 << 20, 110 << 20)
    floor = bench_inventory.Figure("c_loader", 1000, 4.0, 20 << 20, 40 << 20)
    rows, summary = bench_inventory.report(agent, floor)
    assert rows[0][3] == "500" and rows[1][3] == "250"
    assert summary["time_ratio"] == 0.5 and summary["memory_ratio"] == 0.5
    assert summary["agent_bytes_per_device"] == round((10 << 20) / 1000)


def test_inventory_bench_runs_both_loaders_in_fresh_processes() -> None:
    import subprocess
    import sys
    from pathlib import Path

    oss_agent = str(Path(sys.executable).parent / "oss-agent")
    done = subprocess.run(
        [oss_agent, "bench", "inventory", "--devices", "50", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["devices"] == 50
    assert summary["agent_devices_per_s"] > 0 and summary["c_loader_devices_per_s"] > 0
    assert summary["c_loader_peak_rss_bytes"] > 0 and summary["time_ratio"] > 0
