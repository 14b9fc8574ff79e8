"""Writing and reading performance data: batched inserts, min/avg/max rollups, retention.

A poll of many devices ends in one INSERT batch (executemany), not a transaction per interface.
Rollups are computed in SQL, per period, for whole buckets that have ended, and are idempotent:
recomputing a bucket replaces it. Retention deletes by time, cheapest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import BigInteger, Connection, Engine, and_, cast, delete, func, insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from oss_agent.performance.rates import InterfaceRates
from oss_agent.storage.perf_tables import (
    DEVICE_METRICS,
    DeviceSampleRow,
    InterfaceSampleRow,
    LatencySampleRow,
    RollupRow,
)

ROLLUP_PERIODS = (300, 3600)
ROLLUP_INTERFACE_METRICS = (
    "in_bps",
    "out_bps",
    "in_util",
    "out_util",
    "in_errors_ps",
    "out_errors_ps",
    "in_discards_ps",
    "out_discards_ps",
)
_RATE_COLUMNS = {"in_utilisation": "in_util", "out_utilisation": "out_util"}


@dataclass(frozen=True, slots=True)
class DeviceSample:
    device: str
    ts: float
    reachable: bool
    response_ms: float | None = None
    cpu_pct: float | None = None
    mem_used_pct: float | None = None


@dataclass(frozen=True, slots=True)
class Retention:
    raw_s: float = 2 * 86400
    rollup_300_s: float = 31 * 86400
    rollup_3600_s: float = 400 * 86400
    latency_s: float = 31 * 86400  # latency samples are kept raw (aggregated per query)


@dataclass(frozen=True, slots=True)
class Point:
    ts: float
    value: float | None
    min: float | None = None
    max: float | None = None


def bucket_of(ts: Any, period: int, dialect: str) -> Any:
    """The start of the ``period``-second bucket holding epoch time ``ts``, as SQL, on either backend."""
    if dialect == "sqlite":  # CAST truncates toward zero; epoch times are positive
        return cast(ts / period, BigInteger) * period
    return cast(func.floor(ts / period) * period, BigInteger)


class PerfStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(
        self, interface_samples: Sequence[tuple[str, float, InterfaceRates]], device_samples: Sequence[DeviceSample]
    ) -> int:
        """Store one batch; returns the number of rows written."""
        rows = []
        for device, ts, rates in interface_samples:
            values = asdict(rates)
            row = {_RATE_COLUMNS.get(k, k): v for k, v in values.items() if k != "name"}
            rows.append({"device": device, "interface": rates.name, "ts": ts, **row})
        with self.engine.begin() as connection:
            if rows:
                connection.execute(insert(InterfaceSampleRow), rows)
            if device_samples:
                connection.execute(insert(DeviceSampleRow), [asdict(s) for s in device_samples])
        return len(rows) + len(device_samples)

    def rollup(self, now: float, periods: Sequence[int] = ROLLUP_PERIODS) -> int:
        """Roll raw samples up into every bucket that ended before ``now``; returns rows written."""
        written = 0
        with self.engine.begin() as connection:
            for period in periods:
                done = connection.scalar(select(func.max(RollupRow.bucket)).where(RollupRow.period_s == period))
                start = (done + period) if done is not None else None
                end = int(now // period) * period
                interface_keys = [InterfaceSampleRow.device, InterfaceSampleRow.interface]
                written += self._rollup_table(
                    connection, InterfaceSampleRow, interface_keys, ROLLUP_INTERFACE_METRICS, period, start, end
                )
                written += self._rollup_table(
                    connection, DeviceSampleRow, [DeviceSampleRow.device], DEVICE_METRICS, period, start, end
                )
        return written

    @staticmethod
    def _rollup_table(
        connection: Connection,
        table: type[InterfaceSampleRow] | type[DeviceSampleRow],
        keys: list[InstrumentedAttribute[str]],
        metrics: Sequence[str],
        period: int,
        start: int | None,
        end: int,
    ) -> int:
        """Aggregate ``metrics`` of ``table`` into ``period`` buckets in [start, end), grouped by ``keys``."""
        bucket = bucket_of(table.ts, period, connection.dialect.name)
        window = [table.ts < end] + ([table.ts >= start] if start is not None else [])
        with_interface = len(keys) == 2
        written = 0
        for metric in metrics:
            column = getattr(table, metric)
            query = (
                select(
                    *keys,
                    bucket.label("bucket"),
                    func.min(column),
                    func.avg(column),
                    func.max(column),
                    func.count(column),
                )
                .where(and_(*window), column.is_not(None))
                .group_by(*keys, bucket)
            )
            rows = []
            for result in connection.execute(query):
                interface = result[1] if with_interface else ""
                b, low, mean, high, count = result[len(keys) : len(keys) + 5]
                rows.append(
                    {
                        "device": result[0],
                        "interface": interface,
                        "metric": metric,
                        "period_s": period,
                        "bucket": int(b),
                        "min": low,
                        "avg": mean,
                        "max": high,
                        "count": count,
                    }
                )
            if rows:
                same_kind = RollupRow.interface != "" if with_interface else RollupRow.interface == ""
                connection.execute(
                    delete(RollupRow).where(
                        RollupRow.period_s == period,
                        RollupRow.metric == metric,
                        RollupRow.bucket.in_({r["bucket"] for r in rows}),
                        same_kind,
                    )
                )
                connection.execute(insert(RollupRow), rows)
                written += len(rows)
        return written

    def apply_retention(self, now: float, retention: Retention) -> int:
        with self.engine.begin() as connection:
            removed = connection.execute(
                delete(InterfaceSampleRow).where(InterfaceSampleRow.ts < now - retention.raw_s)
            )
            removed_devices = connection.execute(
                delete(DeviceSampleRow).where(DeviceSampleRow.ts < now - retention.raw_s)
            )
            removed_latency = connection.execute(
                delete(LatencySampleRow).where(LatencySampleRow.ts < now - retention.latency_s)
            )
            total = removed.rowcount + removed_devices.rowcount + removed_latency.rowcount
            for period, keep in ((300, retention.rollup_300_s), (3600, retention.rollup_3600_s)):
                total += connection.execute(
                    delete(RollupRow).where(RollupRow.period_s == period, RollupRow.bucket < now - keep)
                ).rowcount
        return total

    def series(self, device: str, interface: str | None, metric: str, since: float, resolution: int = 0) -> list[Point]:
        """A metric's points since ``since``: raw samples (resolution 0) or a rollup period's avg/min/max."""
        with self.engine.connect() as connection:
            if resolution:
                q = (
                    select(RollupRow.bucket, RollupRow.avg, RollupRow.min, RollupRow.max)
                    .where(
                        RollupRow.device == device,
                        RollupRow.interface == (interface or ""),
                        RollupRow.metric == metric,
                        RollupRow.period_s == resolution,
                        RollupRow.bucket >= since,
                    )
                    .order_by(RollupRow.bucket)
                )
                return [Point(float(b), a, lo, hi) for b, a, lo, hi in connection.execute(q)]
            if interface is None:
                column = getattr(DeviceSampleRow, metric)
                q2 = (
                    select(DeviceSampleRow.ts, column)
                    .where(DeviceSampleRow.device == device, DeviceSampleRow.ts >= since)
                    .order_by(DeviceSampleRow.ts)
                )
                return [Point(ts, v) for ts, v in connection.execute(q2)]
            column = getattr(InterfaceSampleRow, metric)
            q3 = (
                select(InterfaceSampleRow.ts, column)
                .where(
                    InterfaceSampleRow.device == device,
                    InterfaceSampleRow.interface == interface,
                    InterfaceSampleRow.ts >= since,
                )
                .order_by(InterfaceSampleRow.ts)
            )
            return [Point(ts, v) for ts, v in connection.execute(q3)]

    def latest(self, device: str) -> list[InterfaceSampleRow]:
        """The newest sample of each interface of ``device``."""
        with self.engine.connect() as connection:
            newest = (
                select(InterfaceSampleRow.interface, func.max(InterfaceSampleRow.ts).label("ts"))
                .where(InterfaceSampleRow.device == device)
                .group_by(InterfaceSampleRow.interface)
                .subquery()
            )
            q = (
                select(InterfaceSampleRow)
                .join(
                    newest,
                    and_(InterfaceSampleRow.interface == newest.c.interface, InterfaceSampleRow.ts == newest.c.ts),
                )
                .where(InterfaceSampleRow.device == device)
                .order_by(InterfaceSampleRow.interface)
            )
            with Session(bind=connection) as session:
                return list(session.scalars(q))
