"""Alembic migrations for Ordo's schema, runnable from code on SQLite and PostgreSQL alike.

`upgrade(url)` brings a database to the newest schema and `current(url)` names the revision it
is at. The Alembic configuration is built here in code (no alembic.ini is read), so both work
from an installed package and from any working directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData

from engine.adapters.database import make_engine

HERE = Path(__file__).resolve().parent


def target_metadata() -> list[MetaData]:
    """Every table the migrations create: the domain's (orm.py), the API's (orm_api.py) and
    the worker's processed-event ledger (bus/processed_events.py).

    Autogenerate and the schema test compare the migrated database against all of them.
    """
    from engine.adapters import orm, orm_api
    from engine.adapters.bus import processed_events

    return [orm.metadata, orm_api.metadata, processed_events.metadata]


def config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at this package; env.py uses `connection` when given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(HERE / "versions"))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision shipped with this code."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "the migrations package has no revisions"
    return revision


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision` (the newest by default)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(config(connection), revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(config(connection), revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the database at `url` is at, or None if it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
