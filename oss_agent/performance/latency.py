"""Latency measured by the agent, stored as a series: the samples, their store and their aggregates.

A probe (``latency_probes`` in the settings) names a ``source`` device and a ``target``: another
device of the inventory, reached at the address on its loopback that discovery found (so the echo
crosses the network as customer traffic would, not the management network), or an address. Every
``latency_interval_s`` the daemon has each source ping its targets through its CLI (``Capability.PING``:
FRR's vtysh, a Linux shell) and stores one sample per run: what was sent and received and the round
trips the device measured (:mod:`oss_agent.performance.prober` runs them).

Samples are kept raw for ``Retention.latency_s`` and aggregated per query: a bucket's round trip is
the mean of its runs' means weighted by their replies (each reply counts once), its minimum and
maximum are the extremes the device saw, its loss the share of echoes unanswered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, case, func, insert, select

from oss_agent.performance.store import Point, bucket_of
from oss_agent.storage.perf_tables import LatencySampleRow


@dataclass(frozen=True, slots=True)
class LatencySample:
    probe: str
    source: str
    target: str
    address: str
    ts: float
    sent: int
    received: int
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None


@dataclass(frozen=True, slots=True)
class LatencyPoint:
    """One bucket (or one raw run) of a probe's series."""

    ts: float
    rtt_avg_ms: float | None
    rtt_min_ms: float | None
    rtt_max_ms: float | None
    loss_pct: float | None

    def as_point(self) -> Point:
        return Point(self.ts, self.rtt_avg_ms, self.rtt_min_ms, self.rtt_max_ms)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """A probe over a window: runs, echoes, the weighted mean and extremes of the round trip, the last run."""

    probe: str
    source: str
    target: str
    samples: int = 0
    sent: int = 0
    received: int = 0
    rtt_avg_ms: float | None = None
    rtt_min_ms: float | None = None
    rtt_max_ms: float | None = None
    last_ts: float | None = None
    last_rtt_ms: float | None = None

    @property
    def loss_pct(self) -> float | None:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else None


class LatencyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self, samples: Sequence[LatencySample]) -> int:
        if samples:
            with self.engine.begin() as connection:
                connection.execute(insert(LatencySampleRow), [asdict(s) for s in samples])
        return len(samples)

    def series(self, probe: str, since: float, resolution: int = 0, until: float | None = None) -> list[LatencyPoint]:
        """Runs of ``probe`` since ``since`` (resolution 0), or their ``resolution``-second buckets."""
        row = LatencySampleRow
        window = [row.probe == probe, row.ts >= since] + ([row.ts < until] if until is not None else [])
        with self.engine.connect() as connection:
            if not resolution:
                q = select(row.ts, row.rtt_avg_ms, row.rtt_min_ms, row.rtt_max_ms, row.sent, row.received)
                return [
                    LatencyPoint(ts, avg, low, high, _loss(sent, received))
                    for ts, avg, low, high, sent, received in connection.execute(q.where(*window).order_by(row.ts))
                ]
            bucket = bucket_of(row.ts, resolution, connection.dialect.name).label("bucket")
            q2 = select(bucket, *_aggregates()).where(*window).group_by(bucket).order_by(bucket)
            return [
                LatencyPoint(float(b), _mean(weighted, replies), low, high, _loss(sent, received))
                for b, weighted, replies, low, high, sent, received, _ in connection.execute(q2)
            ]

    def summaries(self, since: float, until: float) -> dict[str, LatencySummary]:
        """Every probe with a run in [since, until), by name."""
        row = LatencySampleRow
        window = (row.ts >= since, row.ts < until)
        out: dict[str, LatencySummary] = {}
        with self.engine.connect() as connection:
            q = (
                select(row.probe, func.max(row.source), func.max(row.target), *_aggregates())
                .where(*window)
                .group_by(row.probe)
            )
            for probe, source, target, weighted, replies, low, high, sent, received, runs in connection.execute(q):
                out[probe] = LatencySummary(
                    probe, source, target, runs, sent, received, _mean(weighted, replies), low, high
                )
            newest = select(row.probe, func.max(row.ts).label("ts")).where(*window).group_by(row.probe).subquery()
            last = select(row.probe, row.ts, row.rtt_avg_ms).join(
                newest, (row.probe == newest.c.probe) & (row.ts == newest.c.ts)
            )
            for probe, ts, rtt in connection.execute(last):
                if probe in out:
                    s = out[probe]
                    out[probe] = LatencySummary(**{**asdict(s), "last_ts": ts, "last_rtt_ms": rtt})
        return out


def with_configured(
    found: dict[str, LatencySummary], probes: Sequence[tuple[str, str, str]]
) -> list[LatencySummary]:
    """The summaries, plus an empty one for each configured ``(name, source, target)`` not measured yet."""
    for name, source, target in probes:
        found.setdefault(name, LatencySummary(name, source, target))
    return [found[name] for name in sorted(found)]


def _aggregates() -> tuple[Any, ...]:
    row = LatencySampleRow
    return (
        func.sum(row.rtt_avg_ms * row.received),
        func.sum(case((row.rtt_avg_ms.is_not(None), row.received), else_=0)),
        func.min(row.rtt_min_ms),
        func.max(row.rtt_max_ms),
        func.sum(row.sent),
        func.sum(row.received),
        func.count(),
    )


def _mean(weighted: float | None, replies: int | None) -> float | None:
    return float(weighted) / int(replies) if weighted is not None and replies else None


def _loss(sent: int | None, received: int | None) -> float | None:
    return 100.0 * (int(sent) - int(received or 0)) / int(sent) if sent else None
