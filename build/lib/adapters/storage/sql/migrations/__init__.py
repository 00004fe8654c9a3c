"""The Alembic environment of the SQL store; a package so that it ships with the wheel."""
