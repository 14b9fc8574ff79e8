"""Alembic environment: uses the engine handed over by oss_agent.storage.migrate, never a URL in a file."""

from __future__ import annotations

from alembic import context

from oss_agent.storage.schema import Base

engine = context.config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through oss_agent.storage.migrate (oss-agent db upgrade)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
