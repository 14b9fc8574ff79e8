"""The BSS's Alembic migrations, run from code (``oss-bss db upgrade``, start-up and tests).

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
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bss_bridge.errors import StorageError
from bss_bridge.storage import billing_tables, ticket_tables  # noqa: F401 - registers their tables on Base
from bss_bridge.storage.engine import safe_url
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


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Migrate to ``target``; (before, after). Running it on an up-to-date database changes nothing."""
    try:
        before = revision(engine)
        command.upgrade(_config(engine), target)
        return before, revision(engine)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        raise StorageError(f"cannot migrate the BSS database {safe_url(engine)}: {reason}") from exc


def differences(engine: Engine) -> list[Any]:
    """What autogenerate would change between the tables and the migrated database (empty: in step)."""
    with engine.connect() as connection:
        return list(compare_metadata(_context(connection, compare_type=True), Base.metadata))
