"""Alembic environment: always run with a connection handed in by `runner.py`."""

from alembic import context

from theodolite.storage.tables import declared_for, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds tables the way Alembic documents.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=declared_for(connection.dialect.name),
)
with context.begin_transaction():
    context.run_migrations()
