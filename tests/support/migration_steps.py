"""One migration's test on one database (SQLite or PostgreSQL), in the steps every migration
module takes: bring the database to the revision before the migration (`at_before`), store
rows as they were stored then, `upgrade`, look; or store rows at the newest revision,
`downgrade`, look; and leave it at the newest revision again (`to_head`) for the next test.

The migration is found by its file's name (`migration_named`), not its number: two
migrations of one day may be renumbered when they land.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, inspect

from engine.adapters import migrations
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from tests.support.engines import an_engine, columns_of, migration_named, uow_factory_on


@dataclass(frozen=True)
class MigrationSteps:
    """The migration `revision` (from `down_revision`) on the database at `url`."""

    url: str
    revision: str
    down_revision: str

    @classmethod
    def named(cls, url: str, name: str) -> MigrationSteps:
        """The migration whose file ends in `_<name>.py`, on `url`."""
        this = migration_named(name)
        return cls(url, str(this.revision), str(this.down_revision))

    def at(self, revision: str) -> MigrationSteps:
        """Downgrade the database to `revision`; these steps, to go on with."""
        migrations.downgrade(self.url, revision)
        return self

    def at_before(self) -> MigrationSteps:
        """The database as it was before this migration."""
        return self.at(self.down_revision)

    def at_this(self) -> MigrationSteps:
        """The database as this migration left it: later ones add tables and indexes of
        their own, which a downgrade below it removes too."""
        return self.at(self.revision)

    def upgrade(self, revision: str = "head") -> None:
        migrations.upgrade(self.url, revision)

    def downgrade(self) -> None:
        """Undo this migration (and every later one)."""
        migrations.downgrade(self.url, self.down_revision)

    def to_head(self) -> None:
        """Upgrade to the newest revision, and check the database says so."""
        migrations.upgrade(self.url)
        assert migrations.current(self.url) == migrations.head()

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        with an_engine(self.url) as engine:
            yield engine

    @contextmanager
    def uows(self) -> Iterator[Callable[[], SqlAlchemyUnitOfWork]]:
        """A fresh unit of work per call on the database as it is now."""
        with an_engine(self.url) as engine:
            yield uow_factory_on(engine)

    def tables(self) -> set[str]:
        with an_engine(self.url) as engine:
            return set(inspect(engine).get_table_names())

    def columns(self, table: str) -> set[str]:
        with an_engine(self.url) as engine:
            return columns_of(engine, table)

    def indexes(self, table: str) -> set[str]:
        with an_engine(self.url) as engine:
            return indexes_of(engine, table)


def indexes_of(engine: Engine, table: str) -> set[str]:
    """The names of `table`'s indexes as the database has them now."""
    return {str(index["name"]) for index in inspect(engine).get_indexes(table)}


def json_value(engine: Engine, value: str) -> str:
    """`value` (a bind parameter such as `:lines`, or a literal such as `'[]'`) as SQL that
    stores it in a JSON column of the engine's database: PostgreSQL's JSONB takes no text."""
    return f"CAST({value} AS JSONB)" if engine.dialect.name == "postgresql" else value
