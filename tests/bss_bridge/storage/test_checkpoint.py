"""A SQLite file's log is checkpointed by its engine's thread, never inside a commit (storage.checkpoint)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bss_bridge.storage import checkpoint
from bss_bridge.storage.engine import checkpointer_of, engine_for

PAYLOAD = 64 * 1024  # one row's bytes
LIMIT = 256 * 1024


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("wal-checkpoint")]


def _write(engine: object, rows: int) -> None:
    with engine.begin() as connection:  # type: ignore[attr-defined]
        for _ in range(rows):
            connection.execute(text("INSERT INTO t VALUES (randomblob(:n))"), {"n": PAYLOAD})


def test_a_commit_over_the_limit_is_checkpointed_by_the_engines_thread_not_by_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "WAL_LIMIT", LIMIT)
    database = tmp_path / "bss.db"
    engine = engine_for(f"sqlite:///{database}")
    checkpointer = checkpointer_of(engine)
    assert checkpointer is not None and checkpointer.limit == LIMIT
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 0
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (b BLOB)"))
        _write(engine, 2)  # a log under the limit: nothing to do
        assert checkpointer.checkpoints == 0 and _threads() == []
        before = database.stat().st_size
        _write(engine, 10)  # 640 KiB: over the limit
        assert checkpointer.wait(1, timeout=60), "no checkpoint after a commit over the limit"
        assert _threads() == [f"wal-checkpoint {database.name}"]
        assert database.stat().st_size >= before + 12 * PAYLOAD  # the pages are in the database file now
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 12
    finally:
        engine.dispose()
    assert _threads() == []  # dispose stops it
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0


def test_the_thread_starts_again_after_dispose_and_postgres_or_memory_have_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoint, "WAL_LIMIT", LIMIT)
    database = tmp_path / "bss.db"
    engine = engine_for(f"sqlite:///{database}")
    checkpointer = checkpointer_of(engine)
    assert checkpointer is not None
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (b BLOB)"))
        _write(engine, 10)
        assert checkpointer.wait(1, timeout=60)
        engine.dispose()
        assert _threads() == []
        _write(engine, 10)  # the engine is used again after dispose, as SQLAlchemy allows
        assert checkpointer.wait(2, timeout=60)
    finally:
        engine.dispose()
    assert _threads() == []
    assert checkpointer_of(engine_for("sqlite://")) is None
