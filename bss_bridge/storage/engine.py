"""The BSS's engine: a SQLite file (WAL, foreign keys, busy timeout) or PostgreSQL through psycopg 3.
Nothing is created at import time.

:func:`engine_for` creates a missing SQLite file (the commands that bring a BSS into being use it);
:func:`inspection_engine` only looks, for the check that every other command makes first."""

from __future__ import annotations

import os
import re
import sqlite3
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import simplejson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

import secrecy
from bss_bridge.errors import StorageError
from bss_bridge.storage.checkpoint import Checkpointer, CheckpointingConnection, attach

# wal_autocheckpoint=0: a file's log is checkpointed by its engine's thread, not inside a commit (storage.checkpoint)
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "foreign_keys=ON",
    "busy_timeout=10000",
    "synchronous=NORMAL",
    "wal_autocheckpoint=0",
)
_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, Checkpointer] = weakref.WeakKeyDictionary()


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def dumps(value: Any) -> str:
    """JSON with Decimals as exact numbers (TMF Money values), never through a float."""
    return simplejson.dumps(value, use_decimal=True)


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)


def _create_owner_only(database: Path) -> None:
    """Create the SQLite file (0600) and its directory (0700) unless they exist: the BSS's database
    holds customers' names and contacts, and SQLite would create it 0644 less the umask."""
    try:
        database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StorageError(f"cannot create the database file {database}: {exc.strerror}") from exc
    os.close(fd)


def _normalised(url: str) -> str:
    """``postgresql://`` means psycopg 3 here, not SQLAlchemy's psycopg2 default."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def parse(url: str) -> URL:
    return make_url(_normalised(url))


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = parse(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def engine_for(url: str) -> Engine:
    """An engine for ``url`` (``postgresql://`` means psycopg 3); a new SQLite file and its directory are owner-only."""
    url = _normalised(url)
    parsed = make_url(url)
    secrecy.remember(*url_secrets(parsed))  # kept out of every log record (a driver's error may quote them)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, json_serializer=dumps, json_deserializer=loads)
    if not parsed.database or parsed.database == ":memory:":
        engine = create_engine(url, json_serializer=dumps, json_deserializer=loads)
        event.listen(engine, "connect", _on_connect)
        return engine
    database = Path(parsed.database)
    _create_owner_only(database)
    engine = create_engine(
        url, json_serializer=dumps, json_deserializer=loads, connect_args={"factory": CheckpointingConnection}
    )
    event.listen(engine, "connect", _on_connect)
    checkpointer = _CHECKPOINTERS[engine] = Checkpointer(database)
    event.listen(engine, "connect", attach(checkpointer))
    event.listen(engine, "engine_disposed", lambda _engine: checkpointer.stop())
    return engine


def inspection_engine(url: str) -> Engine:
    """An engine that reads ``url``'s database without changing it. A SQLite file is never created
    (``mode=rw``; read-only would leave a WAL file's -wal and -shm behind) and gets none of the
    pragmas, which would switch a file that is not the BSS's to WAL (writing a header into an empty one)."""
    database = sqlite_file(url)
    if database is None:
        return create_engine(_normalised(url), poolclass=NullPool)
    target = f"{database.absolute().as_uri()}?mode=rw"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(target, uri=True), poolclass=NullPool)


def checkpointer_of(engine: Engine) -> Checkpointer | None:
    """The checkpoint thread of a SQLite file's engine (None for PostgreSQL or memory)."""
    return _CHECKPOINTERS.get(engine)


def sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions that flush only when the unit of work commits, table by table in dependency order."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


# libpq also takes a password (and other secrets) as a query parameter, ``?password=...``, which
# SQLAlchemy's ``hide_password`` does not hide: any parameter whose name says secret is hidden here.
_SECRET_PARAMETER = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)


def _values(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def url_secrets(url: URL) -> list[str]:
    """The secrets a URL holds: its password and the values of its secret-named query parameters."""
    found = [url.password] if url.password else []
    return found + [v for k, value in url.query.items() if _SECRET_PARAMETER.search(k) for v in _values(value) if v]


def safe_url(engine: Engine | str | URL) -> str:
    """The URL as logs, errors and output show it: its password and secret query parameters as ``***``."""
    url = engine.url if isinstance(engine, Engine) else parse(engine) if isinstance(engine, str) else engine
    query = "&".join(
        f"{quote_plus(key)}={'***' if _SECRET_PARAMETER.search(key) else quote_plus(value)}"
        for key in sorted(url.query)
        for value in _values(url.query[key])
    )
    base = url.set(query={}).render_as_string(hide_password=True)
    return f"{base}?{query}" if query else base
