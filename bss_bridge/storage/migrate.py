"""The BSS's Alembic migrations, run from code (``oss-bss db upgrade``, start-up and tests), and the
check that a database is at their head, which changes nothing (every command that does not bring a
BSS into being makes it first).

Its version table is ``bss_alembic_version``, so the BSS's schema history stays its own even when
an operator points it at the OSS's PostgreSQL database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from bss_bridge.errors import DatabaseNotReadyError, StorageError
from bss_bridge.storage import billing_tables, bridge_tables, ticket_tables  # noqa: F401 - registers their tables on Base
from bss_bridge.storage.engine import inspection_engine, parse, safe_url, sqlite_file, url_secrets
from bss_bridge.storage.tables import Base

SCRIPTS = Path(__file__).parent / "migrations"
VERSION_TABLE = "bss_alembic_version"


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["engine"] = engine
    return config


def _context(connection: Any, **opts: Any) -> MigrationContext:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE, **opts})


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _context(connection).get_current_revision()


def head() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def require_head(url: str) -> None:
    """Refuse, leaving it as it is, a database this version cannot work on: missing (a SQLite file is
    not created), empty, another program's, or at another revision than the migrations' head."""
    shown = safe_url(url)
    database = sqlite_file(url)
    if database is not None and not database.exists():
        raise DatabaseNotReadyError(f"the BSS database {shown} does not exist", "create")
    engine = inspection_engine(url)
    try:
        with engine.connect() as connection:
            found = _context(connection).get_current_revision()
            tables = inspect(connection).get_table_names() if found is None else []
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot open the BSS database {shown}: {_reason(exc, parse(url))}") from exc
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(_config())
    wanted = script.get_current_head()
    if found == wanted:
        return
    if found is None and not tables:
        raise DatabaseNotReadyError(f"the BSS database {shown} is empty", "create")
    if found is None:
        raise DatabaseNotReadyError(
            f"the BSS database {shown} holds {len(tables)} table(s) but no BSS schema (no {VERSION_TABLE})", "create"
        )
    if found not in {s.revision for s in script.walk_revisions()}:
        raise DatabaseNotReadyError(
            f"the BSS database {shown} is at revision {found}, which this version does not know (a newer one's?)", None
        )
    raise DatabaseNotReadyError(
        f"the BSS database {shown} is at revision {found}, older than this version's {wanted}", "upgrade"
    )


def _reason(exc: SQLAlchemyError, url: URL) -> str:
    """The driver's words, without the URL's secrets should they quote them."""
    reason = str(getattr(exc, "orig", None) or exc).strip()
    for secret in url_secrets(url):
        reason = reason.replace(secret, "***")
    return reason


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Migrate to ``target``; (before, after). Running it on an up-to-date database changes nothing."""
    try:
        before = revision(engine)
        command.upgrade(_config(engine), target)
        return before, revision(engine)
    except SQLAlchemyError as exc:
        reason = _reason(exc, engine.url)
        raise StorageError(f"cannot migrate the BSS database {safe_url(engine)}: {reason}") from exc


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would change between the tables and the migrated database (empty: in step)."""
    with engine.connect() as connection:
        return list(compare_metadata(_context(connection, compare_type=True), Base.metadata))
