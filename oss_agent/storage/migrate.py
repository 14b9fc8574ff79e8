"""Alembic, driven from code: ``oss-agent db upgrade`` and the tests use these functions.

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
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from oss_agent.errors import StorageError
from oss_agent.storage.engine import describe
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


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Migrate to ``revision``; returns (before, after). Safe to run on an up-to-date database."""
    try:
        before = current_revision(engine)
        command.upgrade(alembic_config(engine), revision)
        return before, current_revision(engine)
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot migrate {describe(engine)}: {exc.__class__.__name__}: {getattr(exc, 'orig', None) or exc}"
        ) from exc


def pending_differences(engine: Engine) -> list[Any]:
    """What autogenerate would change between the models and the migrated database (empty = in step)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))
