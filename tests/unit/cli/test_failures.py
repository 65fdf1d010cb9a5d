"""A database that was never migrated is a step the person skipped, not a bug: say which."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError, ProgrammingError

from ordo.failures import EXIT_FAILURE, describe_failure


def test_sqlite_without_the_schema_is_told_to_run_db_upgrade() -> None:
    error = OperationalError("SELECT 1", {}, Exception("no such table: ruleset_versions"))
    message, code = describe_failure(error) or ("", 0)
    assert code == EXIT_FAILURE
    assert "ruleset_versions" in message
    assert "ordo db upgrade" in message


def test_postgresql_without_the_schema_is_told_to_run_db_upgrade() -> None:
    error = ProgrammingError(
        "SELECT 1", {}, Exception('relation "orders" does not exist\nLINE 1: ...')
    )
    message, code = describe_failure(error) or ("", 0)
    assert code == EXIT_FAILURE
    assert "table orders is missing" in message
    assert "ordo db upgrade" in message


def test_other_programming_errors_stay_bugs_with_their_traceback() -> None:
    error = ProgrammingError("SELECT", {}, Exception('syntax error at or near "SELEC"'))
    assert describe_failure(error) is None
