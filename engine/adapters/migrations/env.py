"""Alembic environment: runs migrations on the connection `engine.adapters.migrations` opened.

Never reads alembic.ini or the environment; the caller decides which database to migrate.
"""

from __future__ import annotations

from alembic import context

from engine.adapters.migrations import target_metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run Ordo's migrations through engine.adapters.migrations.upgrade(url) "
            "(or `ordo db upgrade`), which supplies the database connection"
        )
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds tables when a later migration
        # needs it, and changes nothing on PostgreSQL.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("Ordo's migrations run online only: call upgrade(url)")
run_migrations_online()
