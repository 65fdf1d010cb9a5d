"""How the CLI reports an expected failure: one line naming what was wrong, never a traceback.

Bad settings, an unreachable or malformed database, and refused domain requests are things a
person fixes, so they get a sentence and an exit code. Anything else is a bug in Ordo and keeps
its traceback.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, ProgrammingError

from engine.domain.errors import DomainError
from ordo.settings import SettingsError

# Exit code for a problem with input or environment, said in one line (click uses 2 for
# usage errors, which it reports itself).
EXIT_FAILURE = 1


class CommandError(Exception):
    """A command-specific problem already phrased for the person at the terminal."""


def describe_failure(error: BaseException) -> tuple[str, int] | None:
    """The one-line message and exit code for an expected failure, or None for a bug."""
    if isinstance(error, SettingsError | CommandError):
        return str(error), EXIT_FAILURE
    if isinstance(error, DomainError):
        return error.message, EXIT_FAILURE
    missing = _missing_table(error)
    if missing is not None:
        # Most often a database never migrated; but a migrated one with a table dropped by
        # hand (or half restored) fails the same way, and the upgrade cannot mend that.
        return (
            f"the database has no Ordo schema yet (table {missing} is missing): "
            "run `ordo db upgrade` first; if it was upgraded before, its schema is damaged "
            "(a table dropped, or a partial restore): restore it from a backup",
            EXIT_FAILURE,
        )
    if isinstance(error, OperationalError):
        return f"database unavailable: {_first_line(error.orig or error)}", EXIT_FAILURE
    if type(error) is DatabaseError:
        # The generic kind only, e.g. an SQLite path that holds something else ("file is not
        # a database"); integrity and programming errors are bugs and keep their traceback.
        return f"database error: {_first_line(error.orig or error)}", EXIT_FAILURE
    if isinstance(error, ArgumentError):
        return f"ORDO_DATABASE_URL: {_first_line(error)}", EXIT_FAILURE
    unknown = _unknown_revision(error)
    if unknown is not None:
        return (
            f"the database is at schema revision {unknown}, which this Ordo does not know: a "
            "newer Ordo made or upgraded it; run that version, or point ORDO_DATABASE_URL at "
            "a database of this one",
            EXIT_FAILURE,
        )
    if type(error).__name__ == "DatabaseConfigError":
        # Raised by engine.adapters.database for a URL it cannot use; matched by name so the
        # CLI does not depend on that module's import succeeding to report its errors.
        return f"ORDO_DATABASE_URL: {_first_line(error)}", EXIT_FAILURE
    return None


# Alembic's own words when the database's revision is not among this checkout's migrations.
_UNKNOWN_REVISION = re.compile(r"Can't locate revision identified by '([^']+)'")


def _unknown_revision(error: BaseException) -> str | None:
    # Matched by module, not imported: alembic is loaded only by the commands that migrate.
    if not type(error).__module__.startswith("alembic"):
        return None
    found = _UNKNOWN_REVISION.search(str(error))
    return found.group(1) if found else None


# SQLite says "no such table: x"; PostgreSQL (UndefinedTable) says 'relation "x" does not exist'.
_MISSING_TABLE = re.compile(r'no such table: (\S+)|relation "([^"]+)" does not exist')


def _missing_table(error: BaseException) -> str | None:
    """The table a query needed and the schema lacks: the database was never migrated."""
    if not isinstance(error, OperationalError | ProgrammingError):
        return None
    found = _MISSING_TABLE.search(str(error.orig or error))
    return (found.group(1) or found.group(2)) if found else None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].strip() if text else type(error).__name__
