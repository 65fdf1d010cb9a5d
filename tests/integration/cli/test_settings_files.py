"""Settings read from a real .env or YAML file, and the CLI against an unreachable database."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app
from ordo.settings import SettingsError, load_settings

runner = CliRunner()


def test_a_yaml_file_sets_values_by_field_name(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    path.write_text("api_port: 9100\noptimiser: exact\n")
    settings = load_settings(path)
    assert (settings.api_port, settings.optimiser) == (9100, "exact")


def test_a_dotenv_file_sets_values_by_variable_name(tmp_path: Path) -> None:
    path = tmp_path / "ordo.env"
    path.write_text("ORDO_API_PORT=9200\nORDO_REDIS_URL=redis://127.0.0.1:6379/0\n")
    settings = load_settings(path)
    assert (settings.api_port, settings.redis_url) == (9200, "redis://127.0.0.1:6379/0")


def test_the_environment_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ordo.yaml"
    path.write_text("api_port: 9100\n")
    monkeypatch.setenv("ORDO_SETTINGS_FILE", str(path))
    monkeypatch.setenv("ORDO_API_PORT", "9300")
    assert load_settings().api_port == 9300


def refusal(path: Path, text: str) -> str:
    """What `load_settings` says, refusing a settings file that holds `text`."""
    path.write_text(text)
    with pytest.raises(SettingsError) as raised:
        load_settings(path)
    return str(raised.value)


def test_a_bad_value_in_the_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    assert refusal(path, "api_port: lots\n") == (
        f"ORDO_API_PORT (in {path}): must be an integer between 1 and 65535, got 'lots'"
    )


def test_a_misspelt_key_in_the_file_suggests_the_real_one(tmp_path: Path) -> None:
    path = tmp_path / "ordo.env"
    assert refusal(path, "ORDO_DATABSE_URL=sqlite:///x.db\n").endswith(
        "ORDO_DATABSE_URL: unknown setting (did you mean ORDO_DATABASE_URL?)"
    )


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    assert refusal(path, "api_port: 9100\nredis_url: [unclosed\n").startswith(
        f"ORDO_SETTINGS_FILE {path}:3:1: not valid YAML (expected"
    )


def test_yaml_nested_too_deeply_to_read_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    assert refusal(path, "api_port: " + "[" * 2000 + "]" * 2000 + "\n") == (
        f"ORDO_SETTINGS_FILE {path}: nested too deeply to be read"
    )


def test_a_dotenv_line_that_is_not_a_setting_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ordo.env"
    assert refusal(path, "ORDO_API_PORT=9200\n# a comment\n\nthis is not a setting\n") == (
        f"ORDO_SETTINGS_FILE {path}: line 4: expected NAME=value, got 'this is not a setting'"
    )


def test_a_dotenv_name_without_a_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ordo.env"
    assert refusal(path, "ORDO_API_PORT\n").endswith(
        "line 1: expected NAME=value, got 'ORDO_API_PORT'"
    )


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("ORDO_SECRET_KEY pw-nobody-may-see", "'ORDO_SECRET_KEY' and a value (not shown)"),
        (
            "export ORDO_DATABASE_URL postgresql://ordo:pw-nobody-may-see@db/ordo",
            "'export ORDO_DATABASE_URL' and a value (not shown)",
        ),
    ],
)
def test_a_dotenv_line_missing_its_equals_sign_never_quotes_a_secret(
    tmp_path: Path, line: str, shown: str
) -> None:
    path = tmp_path / "ordo.env"
    assert refusal(path, f"ORDO_API_PORT=9200\n{line}\n") == (
        f"ORDO_SETTINGS_FILE {path}: line 2: expected NAME=value, got {shown}"
    )


def test_a_setting_written_twice_in_a_yaml_file_is_refused_at_the_second(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    assert refusal(path, "api_port: 9100\noptimiser: exact\napi_port: 9200\n") == (
        f"ORDO_SETTINGS_FILE {path}:3:1: duplicate key 'api_port' (first at line 1)"
    )


def test_a_binary_settings_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "ordo.env"
    path.write_bytes(b"\x7fELF\x02\x01\xd0\xff\x00")
    result = runner.invoke(app, ["--settings", str(path), "settings"])
    assert result.exit_code == 1
    assert result.output == (
        f"error: ORDO_SETTINGS_FILE {path}: cannot read this file: "
        "not UTF-8 text (byte 0xd0 at offset 6)\n"
    )


def test_the_wrong_file_is_quoted_as_written(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    path.write_text("list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin\n")
    result = runner.invoke(app, ["--settings", str(path), "settings"])
    assert result.exit_code == 1
    assert "got 'list:x:38:38:Mailing List Manager:" in result.output


def test_the_cli_reads_the_settings_flag(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    path.write_text("database_url: mysql://nope/ordo\n")
    result = runner.invoke(app, ["--settings", str(path), "db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"error: ORDO_DATABASE_URL (in {path}): must be")


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_database_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{unused_port()}/ordo")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: database unavailable: ")


def test_a_settings_path_that_is_a_folder_is_named_as_such(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--settings", str(tmp_path), "db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: ORDO_SETTINGS_FILE {tmp_path}: is a folder, not a settings file"
    )


def test_a_data_folder_that_cannot_be_created_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ORDO_DATA_DIR", str(blocker / "data"))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"error: ORDO_DATABASE_URL: cannot create {blocker}")


@pytest.mark.parametrize("command", [["db", "upgrade"], ["keys", "list"]])
def test_an_sqlite_path_that_is_a_directory_is_named_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", f"sqlite:///{tmp_path}")
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: ORDO_DATABASE_URL: {tmp_path} is a directory, not an SQLite database file; "
        f"name a file, e.g. sqlite:///{tmp_path / 'ordo.sqlite3'}"
    )


def test_an_sqlite_path_holding_something_else_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = tmp_path / "ordo.sqlite3"
    impostor.write_text("these are not the tables you are looking for\n" * 100)
    monkeypatch.setenv("ORDO_DATABASE_URL", f"sqlite:///{impostor}")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: database error: file is not a database"


def test_settings_says_which_values_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ordo.yaml"
    path.write_text("console_port: 9500\n")
    result = runner.invoke(app, ["--settings", str(path), "settings"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "ORDO_CONSOLE_PORT" in line)
    assert "9500" in row and "file" in row


def test_up_refuses_a_taken_port_in_one_line_before_touching_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("ORDO_API_PORT", str(port))
        monkeypatch.setenv("ORDO_DATA_DIR", str(tmp_path / "data"))
        result = runner.invoke(app, ["up"])
    assert result.exit_code == 1
    assert result.output.strip().startswith(
        f"error: ORDO_API_PORT: cannot listen on 127.0.0.1:{port}"
    )
    assert not (tmp_path / "data" / "ordo.sqlite3").exists()


@pytest.mark.parametrize("host", ["999.1.1.1", "10.99.99.99"])
def test_a_host_that_is_no_address_of_this_machine_is_blamed_on_the_host_not_the_port(
    host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATA_DIR", str(tmp_path / "data"))
    result = runner.invoke(app, ["serve", "--host", host, "--port", str(unused_port())])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: --host: cannot listen on '{host}'")
    assert "address of this machine" in result.output


def test_serve_on_a_taken_port_names_the_flag_that_gave_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATA_DIR", str(tmp_path / "data"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: --port: cannot listen on 127.0.0.1:{port}")


def test_the_settings_listing_lines_every_value_up_in_one_column(tmp_path: Path) -> None:
    path = tmp_path / "ordo.env"
    path.write_text("ORDO_API_PORT=8123\n")
    result = runner.invoke(app, ["--settings", str(path), "settings"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Each value starts one space after its name's padding: the same column on every line.
    columns = {len(line) - len(line.split(" ", 1)[1].lstrip()) for line in lines}
    assert len(columns) == 1, lines
    assert any(line.startswith("ORDO_API_PORT ") and "8123" in line for line in lines)
