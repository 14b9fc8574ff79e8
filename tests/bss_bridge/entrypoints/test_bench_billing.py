"""``oss-bss bench billrun`` on a small scale, on SQLite and a PostgreSQL of its own: the floor sums
the very records the run rates, every account gets its invoice, and the figures end as JSON."""

from __future__ import annotations

import json

import pytest

from bss_bridge.entrypoints.bench_billing import main


def test_the_bench_measures_the_run_beside_a_floor_over_the_same_records(capsys: pytest.CaptureFixture[str]) -> None:
    main(records=3_000, subscriptions=20, backends=["sqlite", "postgresql"], imported=200)
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "billrun" and [line.split(":")[0].strip() for line in lines[:-1]] == [
        "sqlite",
        "postgresql",
    ]
    for backend in ("sqlite", "postgresql"):
        r = figures[backend]
        assert r["records"] == r["rated_records"] == 3_200  # the floor read what the run rated
        assert (r["accounts"], r["invoices"], r["failed"]) == (4, 4, 0)
        assert r["groups"] == 40  # each subscription's January and February
        # the store floor stored what the run did: 4 invoices of 10 lines (5 subscriptions' February
        # in advance and January's usage), their 4 ledger entries, 4 bill cycles and 4 hub events
        assert r["stored_rows"] == 4 + 40 + 4 + 4 + 4
        # the lower bound is the two floors added (each rounded on its own: within a rounding step)
        assert abs(r["bound_s"] - (r["rating_floor_s"] + r["store_floor_s"])) <= 0.011
        assert r["floor_min_s"] <= r["floor_s"] <= r["floor_max_s"]  # the median of the warm runs
