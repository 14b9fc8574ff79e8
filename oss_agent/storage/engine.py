"""Engines for SQLite (the embedded default) and PostgreSQL.

SQLite gets WAL (readers never block the poller's writes), foreign keys (off by default in SQLite)
and a busy timeout, set on every new connection. Nothing is created at import time.

:func:`make_engine` creates a missing SQLite file (the commands that bring an agent into being use
it); :func:`inspection_engine` only looks, for the check every other command makes first.

The SQLite file holds running configurations, so it is created readable by its owner only (0600,
whatever the umask), in a directory created 0700; SQLite gives its -wal and -shm files the mode of
the database file.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

import secrecy
from oss_agent.errors import StorageError


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here, not SQLAlchemy's psycopg2 default."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


# libpq also takes a password (and other secrets) as a query parameter, ``?password=...``, which
# SQLAlchemy's ``hide_password`` does not hide: any parameter whose name says secret is hidden here.
_SECRET_PARAMETER = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)


def _values(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def url_secrets(url: URL) -> list[str]:
    """The secrets a URL holds: its password and the values of its secret-named query parameters."""
    found = [url.password] if url.password else []
    return found + [v for k, value in url.query.items() if _SECRET_PARAMETER.search(k) for v in _values(value) if v]


def shown_url(url: str | URL) -> str:
    """``url`` as logs, errors and output show it: its password and secret query parameters as ``***``."""
    parsed = make_url(normalise_url(url)) if isinstance(url, str) else url
    query = "&".join(
        f"{quote_plus(key)}={'***' if _SECRET_PARAMETER.search(key) else quote_plus(value)}"
        for key in sorted(parsed.query)
        for value in _values(parsed.query[key])
    )
    base = parsed.set(query={}).render_as_string(hide_password=True)
    return f"{base}?{query}" if query else base


def without_url_secrets(text: str, url: URL) -> str:
    """``text`` (a driver's message, which may quote its connection string) with ``url``'s secrets as ``***``."""
    for secret in url_secrets(url):
        text = text.replace(secret, "***")
    return text


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
    secrecy.remember(*url_secrets(parsed))  # kept out of every log record (a driver's error may quote them)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            create_owner_only(Path(database))
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL, an in-memory database or a ``file:`` URI)."""
    parsed = make_url(normalise_url(url))
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def inspection_engine(url: str) -> Engine:
    """An engine that reads ``url``'s database without changing it. A SQLite file is never created
    (``mode=rw``; read-only would leave a WAL file's -wal and -shm behind) and gets none of the
    pragmas, which would switch a file that is not the agent's to WAL (writing a header into an empty one)."""
    database = sqlite_file(url)
    if database is None:
        return create_engine(normalise_url(url), poolclass=NullPool)
    target = f"{database.absolute().as_uri()}?mode=rw"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(target, uri=True), poolclass=NullPool)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def describe(engine: Engine) -> str:
    """The engine's URL with any password hidden, for logs and CLI output."""
    return shown_url(engine.url)
