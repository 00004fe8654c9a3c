"""Alembic revisions of the SQL store, applied in order by ``adapters.storage.sql.migrate``."""
