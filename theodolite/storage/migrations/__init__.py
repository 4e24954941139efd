"""Alembic migrations for the SQL engines (SQLite, PostgreSQL)."""
