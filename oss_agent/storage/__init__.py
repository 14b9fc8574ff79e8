"""Storage: SQLAlchemy 2 tables, repositories that map them to domain objects, Alembic migrations."""
