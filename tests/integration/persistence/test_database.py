"""make_engine: one URL picks the database, and a bad URL says clearly what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from engine.adapters.database import DatabaseConfigError, make_engine, mask_url, normalise_url


def _pragma(url: str, name: str) -> object:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"PRAGMA {name}")).scalar()
    finally:
        engine.dispose()


def test_an_sqlite_file_is_created_in_a_data_directory_that_did_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deeper" / "ordo.sqlite3"

    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()

    assert path.is_file()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ordo.sqlite3'}"

    assert _pragma(url, "journal_mode") == "wal"
    assert _pragma(url, "foreign_keys") == 1
    assert _pragma(url, "busy_timeout") == 10_000


def test_an_in_memory_sqlite_database_is_shared_by_every_connection_of_the_engine() -> None:
    engine = make_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()


def test_a_plain_postgresql_url_uses_the_psycopg_3_driver() -> None:
    assert normalise_url("postgresql://u:p@db:5432/ordo").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@db/ordo").drivername == "postgresql+psycopg"


def test_postgresql_from_a_plain_url_answers_queries(postgres_url: str) -> None:
    engine = make_engine(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "empty"),
        ("not a url", "is not a database URL"),
        ("mysql://root:hunter2@db/ordo", "Ordo supports sqlite:/// and postgresql://"),
        ("postgresql+asyncpg://root:hunter2@db/ordo", "uses psycopg 3"),
    ],
)
def test_a_bad_url_raises_a_clear_error_without_the_password(url: str, expected: str) -> None:
    with pytest.raises(DatabaseConfigError, match=expected) as caught:
        make_engine(url)

    assert "hunter2" not in str(caught.value)


def test_a_data_directory_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("in the way")

    with pytest.raises(DatabaseConfigError, match="cannot create the directory"):
        make_engine(f"sqlite:///{blocker / 'sub' / 'ordo.sqlite3'}")


def test_passwords_are_masked_in_urls_shown_to_people() -> None:
    assert mask_url("postgresql://ordo:s3cret@db:5432/ordo") == "postgresql://ordo:***@db:5432/ordo"
    assert "s3cret" not in mask_url("postgresql://ordo:s3cret@db:notaport/ordo")
