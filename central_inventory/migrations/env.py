"""Alembic environment: runs on the connection handed over by central_inventory.migrate."""

from __future__ import annotations

from alembic import context

from central_inventory.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `central-inventory migrate` (it passes the database connection)"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
