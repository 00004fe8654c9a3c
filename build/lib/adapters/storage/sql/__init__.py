"""The SQL ``KnowledgeStore``: SQLite for one machine, PostgreSQL for scale, Alembic migrations.

``create_store(url)`` is the entry point; ``SqlKnowledgeStore.initialize`` migrates the schema.
"""

from adapters.storage.sql.store import SqlKnowledgeStore, create_store

__all__ = ["SqlKnowledgeStore", "create_store"]
