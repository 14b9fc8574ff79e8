"""Alembic, driven from code: ``oss-agent db upgrade`` and the tests use these functions, and the
check that a database is at their head, which changes nothing (every command that does not bring
an agent into being makes it first).

The migration scripts live inside the package (``migrations/``) so an installed agent can migrate
its database without a checkout or an alembic.ini.
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
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from oss_agent.errors import DatabaseNotReadyError, StorageError
from oss_agent.storage.engine import (
    describe,
    inspection_engine,
    normalise_url,
    shown_url,
    sqlite_file,
    without_url_secrets,
)
from oss_agent.storage.schema import Base

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config_for_scripts())
    return script.get_current_head()


def alembic_config_for_scripts() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def require_head(url: str) -> None:
    """Refuse, leaving it as it is, a database this version cannot work on: missing (a SQLite file is
    not created), empty, another program's, or at another revision than the migrations' head."""
    parsed = make_url(normalise_url(url))
    shown = shown_url(parsed)
    database = sqlite_file(url)
    if database is not None and not database.exists():
        raise DatabaseNotReadyError(f"the database {shown} does not exist", "create")
    engine = inspection_engine(url)
    try:
        with engine.connect() as connection:
            found = MigrationContext.configure(connection).get_current_revision()
            tables = inspect(connection).get_table_names() if found is None else []
    except SQLAlchemyError as exc:
        # the driver's words, without the URL's secrets should they quote them
        reason = without_url_secrets(str(getattr(exc, "orig", None) or exc).strip(), parsed)
        raise StorageError(f"cannot open the database {shown}: {reason}") from exc
    finally:
        engine.dispose()
    script = ScriptDirectory.from_config(alembic_config_for_scripts())
    wanted = script.get_current_head()
    if found == wanted:
        return
    if found is None and not tables:
        raise DatabaseNotReadyError(f"the database {shown} is empty", "create")
    if found is None:
        raise DatabaseNotReadyError(
            f"the database {shown} holds {len(tables)} table(s) but not the agent's (no alembic_version)", "create"
        )
    if found not in {s.revision for s in script.walk_revisions()}:
        raise DatabaseNotReadyError(
            f"the database {shown} is at revision {found}, which this version does not know (a newer one's?)", None
        )
    raise DatabaseNotReadyError(
        f"the database {shown} is at revision {found}, older than this version's {wanted}", "upgrade"
    )


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to ``revision``; returns (before, after). Safe to run on an up-to-date database."""
    try:
        before = current_revision(engine)
        command.upgrade(alembic_config(engine), revision)
        return before, current_revision(engine)
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot migrate {describe(engine)}: {exc.__class__.__name__}: "
            + without_url_secrets(str(getattr(exc, "orig", None) or exc), engine.url)
        ) from exc


def pending_differences(engine: Engine) -> list[Any]:
    """What autogenerate would change between the models and the migrated database (empty = in step)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))
