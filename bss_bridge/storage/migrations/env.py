"""Alembic environment of the BSS: the engine comes from bss_bridge.storage.migrate, never a URL in a file."""

from __future__ import annotations

from alembic import context

from bss_bridge.storage import billing_tables, ticket_tables  # noqa: F401 - registers their tables on Base
from bss_bridge.storage.migrate import VERSION_TABLE
from bss_bridge.storage.tables import Base

engine = context.config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run the BSS's migrations through bss_bridge.storage.migrate (oss-bss db upgrade)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
