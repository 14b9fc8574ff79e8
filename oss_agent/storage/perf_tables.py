"""Performance tables: raw samples (wide rows, one per interface per poll) and min/avg/max rollups.

Times are epoch seconds (float) rather than datetimes: rollups bucket them with plain arithmetic,
the same SQL on SQLite and PostgreSQL, and a 500-device poll writes them in one batch.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oss_agent.storage.orm import Base

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

INTERFACE_METRICS = (
    "in_bps",
    "out_bps",
    "in_pps",
    "out_pps",
    "in_errors_ps",
    "out_errors_ps",
    "in_discards_ps",
    "out_discards_ps",
    "in_util",
    "out_util",
)
DEVICE_METRICS = ("response_ms", "cpu_pct", "mem_used_pct")


class InterfaceSampleRow(Base):
    __tablename__ = "perf_interface_samples"
    __table_args__ = (Index("ix_perf_interface_samples_device_interface_ts", "device", "interface", "ts"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    device: Mapped[str] = mapped_column(String(64))
    interface: Mapped[str] = mapped_column(String(128))
    ts: Mapped[float] = mapped_column(Float, index=True)
    interval_s: Mapped[float] = mapped_column(Float)
    in_bps: Mapped[float] = mapped_column(Float)
    out_bps: Mapped[float] = mapped_column(Float)
    in_pps: Mapped[float] = mapped_column(Float)
    out_pps: Mapped[float] = mapped_column(Float)
    in_errors_ps: Mapped[float] = mapped_column(Float)
    out_errors_ps: Mapped[float] = mapped_column(Float)
    in_discards_ps: Mapped[float] = mapped_column(Float)
    out_discards_ps: Mapped[float] = mapped_column(Float)
    in_util: Mapped[float | None] = mapped_column(Float)
    out_util: Mapped[float | None] = mapped_column(Float)


class DeviceSampleRow(Base):
    __tablename__ = "perf_device_samples"
    __table_args__ = (Index("ix_perf_device_samples_device_ts", "device", "ts"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    device: Mapped[str] = mapped_column(String(64))
    ts: Mapped[float] = mapped_column(Float, index=True)
    reachable: Mapped[bool] = mapped_column(Boolean)
    response_ms: Mapped[float | None] = mapped_column(Float)
    cpu_pct: Mapped[float | None] = mapped_column(Float)
    mem_used_pct: Mapped[float | None] = mapped_column(Float)


class RollupRow(Base):
    __tablename__ = "perf_rollups"
    __table_args__ = (
        UniqueConstraint("device", "interface", "metric", "period_s", "bucket", name="uq_perf_rollups_key"),
        Index("ix_perf_rollups_period_s_bucket", "period_s", "bucket"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    device: Mapped[str] = mapped_column(String(64))
    interface: Mapped[str] = mapped_column(String(128))  # "" for device-level metrics
    metric: Mapped[str] = mapped_column(String(32))
    period_s: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[int] = mapped_column(BigInteger)
    min: Mapped[float] = mapped_column(Float)
    avg: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)


class LatencySampleRow(Base):
    """One run of a latency probe: what the source device sent and got back from the target.

    Kept raw (a probe every minute is 1,440 rows a day) and aggregated per query, for as long as
    ``Retention.latency_s``; a run that could not be made (source unreachable) is no sample.
    """

    __tablename__ = "perf_latency_samples"
    __table_args__ = (Index("ix_perf_latency_samples_probe_ts", "probe", "ts"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    probe: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(253))
    address: Mapped[str] = mapped_column(String(253))  # what the target resolved to for this run
    ts: Mapped[float] = mapped_column(Float, index=True)
    sent: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    rtt_min_ms: Mapped[float | None] = mapped_column(Float)
    rtt_avg_ms: Mapped[float | None] = mapped_column(Float)
    rtt_max_ms: Mapped[float | None] = mapped_column(Float)
