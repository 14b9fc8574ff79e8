"""Bulk inserts store exactly what SQLAlchemy's own insert stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, Column, Date, Integer, MetaData, String, Table, insert, text

from bss_bridge.storage.bulk import bulk_insert
from bss_bridge.storage.engine import engine_for, sessions
from bss_bridge.storage.tables import DecimalText, UtcDateTime

PARIS = ZoneInfo("Europe/Paris")
PROMOTION = {"name": "launch", "percent": Decimal("50.0"), "months": 3}  # one object on many rows, as a bill run has


def _table(metadata: MetaData, name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("amount", DecimalText()),
        Column("at", UtcDateTime()),
        Column("day", Date),
        Column("promotion", JSON),
        Column("note", String(20)),
    )


def _rows() -> list[dict[str, Any]]:
    amounts = [Decimal("1.0"), Decimal("1.00"), Decimal("-0.005"), Decimal("1E+2"), Decimal(0), None]
    instants = [
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),  # the same instant, in the account's zone
        datetime(2026, 10, 25, 2, 30, tzinfo=PARIS),
        None,
    ]
    promotions = [PROMOTION, None, {"nested": [1, Decimal("0.10"), None]}, PROMOTION]
    return [
        {
            "id": n,
            "amount": amounts[n % len(amounts)],
            "at": instants[n % len(instants)],
            "day": date(2026, 2, 28) if n % 2 else None,
            "promotion": promotions[n % len(promotions)],
            "note": f"row {n}",
        }
        for n in range(24)
    ]


def test_a_bulk_insert_stores_what_sqlalchemys_insert_stores(database_url: str) -> None:
    engine = engine_for(database_url)
    metadata = MetaData()
    bulk, orm = _table(metadata, "bulk_t"), _table(metadata, "orm_t")
    metadata.create_all(engine)
    try:
        with sessions(engine)() as session:
            bulk_insert(session, bulk, _rows())
            session.execute(insert(orm), _rows())
            session.commit()
        with engine.connect() as connection:
            stored = [
                connection.execute(text(f"SELECT id, amount, at, day, promotion, note FROM {t} ORDER BY id")).all()  # noqa: S608
                for t in ("bulk_t", "orm_t")
            ]
            read = [connection.execute(table.select().order_by(table.c.id)).all() for table in (bulk, orm)]
        assert stored[0] == stored[1] and len(stored[0]) == 24
        assert read[0] == read[1]
        assert read[0][1].amount == Decimal("1.00") and str(read[0][1].amount) == "1.00"  # its exact text
        assert read[0][0].at == read[0][1].at and read[0][1].at.tzinfo == UTC
        assert read[0][0].promotion == PROMOTION and read[0][1].promotion is None
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_a_bulk_insert_refuses_a_naive_instant_and_a_float_amount(database_url: str) -> None:
    engine = engine_for(database_url)
    metadata = MetaData()
    table = _table(metadata, "bulk_t")
    metadata.create_all(engine)
    try:
        with sessions(engine)() as session:
            with pytest.raises(ValueError, match="naive datetime"):
                bulk_insert(session, table, [{**_rows()[0], "at": datetime(2026, 1, 1)}])
            with pytest.raises(TypeError, match="amounts are Decimals, got float"):
                bulk_insert(session, table, [{**_rows()[0], "amount": 0.1}])
    finally:
        metadata.drop_all(engine)
        engine.dispose()
