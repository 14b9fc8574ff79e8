"""The BSS's storage: its own database (SQLite by default, PostgreSQL by URL), its own tables
(``bss_*``), its own Alembic migrations; repositories translate rows to domain objects."""
