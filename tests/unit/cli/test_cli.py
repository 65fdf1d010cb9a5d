"""The `ordo` command line: what it offers, and how it fails (one line, non-zero, no traceback)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from engine.domain.errors import NotFound
from ordo.cli import OrdoGroup, app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_help_lists_every_command() -> None:
    code, output = run("--help")
    assert code == 0
    commands = ("up", "serve", "demo", "db", "console", "worker", "rules", "keys", "simulate")
    for command in (*commands, "preorders", "import"):
        assert f" {command} " in output


def test_db_help_offers_upgrade() -> None:
    code, output = run("db", "--help")
    assert code == 0
    assert "upgrade" in output


@pytest.mark.parametrize("command", [["db", "upgrade"], ["demo"], ["serve"], ["up"]])
def test_a_bad_database_url_is_one_red_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", "mysql://root@localhost/ordo")
    code, output = run(*command)
    assert code == 1
    assert output.strip().splitlines() == [
        "error: ORDO_DATABASE_URL: must be an sqlite:/// or postgresql:// URL, "
        "got 'mysql://root@localhost/ordo'"
    ]


def test_a_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_API_PORT", "abc")
    code, output = run("serve")
    assert code == 1
    assert output.strip() == (
        "error: ORDO_API_PORT: must be an integer between 1 and 65535, got 'abc'"
    )


def test_a_bad_port_flag_is_reported_under_the_flag_the_person_typed() -> None:
    code, output = run("serve", "--port", "99999")
    assert code == 1
    assert output.strip() == "error: --port: must be an integer between 1 and 65535, got '99999'"


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["serve", "--host", " "], "error: --host: must be an address to listen on"),
        (["serve", "--workers", "0"], "error: --workers: must be a whole number from 1 to 64"),
        (
            ["simulate", "any", "--optimiser", "fast"],
            "error: --optimiser: must be one of greedy, exact, auto, got 'fast'",
        ),
    ],
)
def test_a_bad_value_from_a_flag_names_the_flag(command: list[str], said: str) -> None:
    code, output = run(*command)
    assert code == 1
    assert output.strip().startswith(said)


def test_a_bad_value_from_the_environment_still_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_OPTIMISER", "fast")
    code, output = run("simulate", "any", "--limit", "1")
    assert code == 1
    assert output.strip() == "error: ORDO_OPTIMISER: must be one of greedy, exact, auto, got 'fast'"


def test_worker_concurrency_past_a_process_worth_of_threads_is_refused_before_starting() -> None:
    code, output = run("worker", "--concurrency", "100000")
    assert code == 2
    assert "less than or equal to 64" in " ".join(output.replace("│", " ").split())


def test_a_negative_number_of_simulation_processes_is_refused_not_read_as_none() -> None:
    code, output = run("simulate", "any", "--workers", "-2")
    assert code == 2
    assert "greater than or equal to 0" in " ".join(output.replace("│", " ").split())


def test_a_missing_settings_file_is_one_line_naming_the_file() -> None:
    code, output = run("--settings", "/nonexistent/ordo.yaml", "db", "upgrade")
    assert code == 1
    assert output.strip() == "error: ORDO_SETTINGS_FILE /nonexistent/ordo.yaml: no such file"


def guarded_app(error: Exception) -> typer.Typer:
    """An app with Ordo's error guard whose only command fails with `error`."""
    guarded = typer.Typer(cls=OrdoGroup)

    @guarded.command()
    def fail() -> None:
        raise error

    @guarded.command()
    def other() -> None:
        """Keeps `fail` a subcommand rather than the whole app."""

    return guarded


def test_a_refused_domain_request_is_one_line_and_exit_1() -> None:
    result = runner.invoke(guarded_app(NotFound("order", "A-1")), ["fail"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: order 'A-1' does not exist"


def test_an_unexpected_error_is_not_disguised_as_a_user_mistake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in Ordo")

    monkeypatch.setattr("ordo.cli_support.load_settings", broken)
    result = runner.invoke(app, ["db", "upgrade"])
    assert isinstance(result.exception, RuntimeError)


def test_settings_shows_values_and_sources_but_never_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", "postgresql://ordo:hunter2@db.internal:5432/ordo")
    monkeypatch.setenv("ORDO_SECRET_KEY", "a-very-secret-value-nobody-should-see")
    code, output = run("settings")
    assert code == 0
    assert "hunter2" not in output and "a-very-secret-value" not in output
    rows = {line.split()[0]: line for line in output.splitlines()}
    assert "ordo:***@db.internal" in rows["ORDO_DATABASE_URL"]
    assert "environment" in rows["ORDO_DATABASE_URL"]
    assert "(set)" in rows["ORDO_SECRET_KEY"]
    assert "default" in rows["ORDO_API_PORT"]


@pytest.mark.parametrize(
    ("variable", "url", "command"),
    [
        ("ORDO_DATABASE_URL", "postgresql://ordo:{pw}@db:notaport/ordo", ["db", "upgrade"]),
        ("ORDO_DATABASE_URL", "ordo:{pw}@db/ordo", ["db", "upgrade"]),
        ("ORDO_REDIS_URL", "redis://:{pw}@cache:bad/0", ["settings"]),
        ("ORDO_REDIS_URL", "redis://:{pw}@cache:bad/0", ["worker"]),
    ],
)
def test_a_malformed_url_is_one_line_that_never_shows_its_password(
    monkeypatch: pytest.MonkeyPatch, variable: str, url: str, command: list[str]
) -> None:
    password = "pw-nobody-may-see"
    monkeypatch.setenv(variable, url.format(pw=password))
    code, output = run(*command)
    assert code == 1
    assert output.startswith(f"error: {variable}: ") and len(output.splitlines()) == 1
    assert password not in output and "***" in output
