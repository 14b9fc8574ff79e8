"""A SQLite file's log is checkpointed by its engine's thread, never inside a commit (storage.checkpoint)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bss_bridge.storage import checkpoint
from bss_bridge.storage.checkpoint import Checkpointer
from bss_bridge.storage.engine import checkpointer_of, engine_for

PAYLOAD = 64 * 1024  # one row's bytes
LIMIT = 256 * 1024


def _threads(database: Path) -> list[str]:
    """This database's checkpoint threads (another test's engine may have its own)."""
    return [t.name for t in threading.enumerate() if t.name == f"wal-checkpoint {database}"]


def _write(engine: Engine, rows: int) -> None:
    with engine.begin() as connection:
        for _ in range(rows):
            connection.execute(text("INSERT INTO t VALUES (randomblob(:n))"), {"n": PAYLOAD})


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Engine, Checkpointer]]:
    """A SQLite file with a table of blobs, its engine (a log limit of 256 KiB) and its checkpointer."""
    monkeypatch.setattr(checkpoint, "WAL_LIMIT", LIMIT)
    path = tmp_path / "bss.db"
    engine = engine_for(f"sqlite:///{path}")
    checkpointer = checkpointer_of(engine)
    assert checkpointer is not None and checkpointer.limit == LIMIT
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (b BLOB)"))
        yield path, engine, checkpointer
    finally:
        engine.dispose()
    assert _threads(path) == []  # dispose stops it


def test_a_commit_over_the_limit_is_checkpointed_by_the_engines_thread_not_by_the_commit(
    database: tuple[Path, Engine, Checkpointer],
) -> None:
    path, engine, checkpointer = database
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 0
    _write(engine, 2)  # a log under the limit: nothing to do
    assert checkpointer.checkpoints == 0 and _threads(path) == []
    before = path.stat().st_size
    _write(engine, 10)  # 640 KiB: over the limit
    assert checkpointer.wait(1, timeout=60), "no checkpoint after a commit over the limit"
    assert len(_threads(path)) == 1
    assert path.stat().st_size >= before + 12 * PAYLOAD  # the pages are in the database file now
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 12
    engine.dispose()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_the_thread_starts_again_after_dispose_and_postgres_or_memory_have_none(
    database: tuple[Path, Engine, Checkpointer],
) -> None:
    path, engine, checkpointer = database
    _write(engine, 10)
    assert checkpointer.wait(1, timeout=60)
    engine.dispose()
    assert _threads(path) == []
    _write(engine, 10)  # the engine is used again after dispose, as SQLAlchemy allows
    assert checkpointer.wait(2, timeout=60)
    assert len(_threads(path)) == 1
    assert checkpointer_of(engine_for("sqlite://")) is None
    assert checkpointer_of(engine_for("postgresql://oss@localhost/none")) is None  # no connection made
