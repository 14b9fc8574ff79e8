"""Engines for SQLite (the embedded default) and PostgreSQL.

SQLite gets WAL (readers never block the poller's writes), foreign keys (off by default in SQLite)
and a busy timeout, set on every new connection. Nothing is created at import time.

The SQLite file holds running configurations, so it is created readable by its owner only (0600,
whatever the umask), in a directory created 0700; SQLite gives its -wal and -shm files the mode of
the database file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from oss_agent.errors import StorageError


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here, not SQLAlchemy's psycopg2 default."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_owner_only(database: Path) -> None:
    """Create the SQLite file (mode 0600) and its directory (0700) unless they exist.

    SQLite itself would create the file with 0644 less the umask: readable by everyone.
    """
    try:
        database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StorageError(f"cannot create the database file {database}: {exc.strerror}") from exc
    os.close(fd)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file and its directory are created owner-only if missing."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            create_owner_only(Path(database))
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def describe(engine: Engine) -> str:
    """The engine's URL with any password hidden, for logs and CLI output."""
    return engine.url.render_as_string(hide_password=True)
