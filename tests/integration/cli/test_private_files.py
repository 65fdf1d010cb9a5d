"""The files Ordo creates hold personal data, so they are its user's alone whatever the umask:
a new data directory (and the folders above it Ordo makes) 0o700, a new SQLite file 0o600, a
customer's export 0o600. Directories and databases that exist already keep their modes."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.bootstrap import build_app_container, ensure_data_directory, ensure_sqlite_directory
from ordo.cli import app
from ordo.settings import SettingsError, load_settings
from tests.support.builders import a_customer, an_order

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "simulation"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def lenient_umask() -> Iterator[None]:
    """The common default, under which files are created readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_data_directory_and_the_folders_made_above_it_are_the_owner_s_only(
    tmp_path: Path,
) -> None:
    existing = tmp_path / "srv"
    existing.mkdir(mode=0o755)
    data_dir = existing / "ordo" / "data"

    ensure_data_directory(data_dir)

    assert [mode(folder) for folder in (data_dir.parent, data_dir)] == [0o700, 0o700]
    # Made by someone else, with the mode they chose.
    assert mode(existing) == 0o755


def test_a_data_directory_that_cannot_be_made_is_one_line_naming_ordo_data_dir(
    tmp_path: Path,
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")

    with pytest.raises(SettingsError, match=r"^ORDO_DATA_DIR: cannot create .*taken/data"):
        ensure_data_directory(tmp_path / "taken" / "data")


def test_a_new_sqlite_database_and_its_folder_are_the_owner_s_only_after_migrating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "data" / "ordo.sqlite3"
    monkeypatch.setenv("ORDO_DATABASE_URL", f"sqlite:///{database}")
    existing = tmp_path / "mine" / "ordo.sqlite3"
    existing.parent.mkdir(mode=0o755)
    existing.touch()
    existing.chmod(0o640)

    result = runner.invoke(app, ["db", "upgrade"])
    ensure_sqlite_directory(f"sqlite:///{existing}")

    assert result.exit_code == 0, result.output
    assert mode(database.parent) == 0o700
    assert mode(database) == 0o600
    # A folder and a database someone made keep the modes they gave them.
    assert (mode(existing.parent), mode(existing)) == (0o755, 0o640)


def test_the_default_database_under_a_new_data_dir_is_the_owner_s_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    with build_app_container(load_settings(data_dir=data_dir)) as container:
        container.engine.connect().close()

    assert mode(data_dir) == 0o700
    assert mode(data_dir / "ordo.sqlite3") == 0o600


def test_importing_history_into_a_new_data_dir_makes_it_the_owner_s_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ORDO_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ORDO_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}")

    result = runner.invoke(
        app, ["import", "july", "--mapping", str(EXAMPLE / "mapping.yaml"), "--keep-going"]
    )

    assert result.exit_code == 0, result.output
    assert mode(data_dir) == 0o700
    assert (data_dir / "datasets" / "july").is_dir()


@pytest.fixture
def ada(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migrated database holding customer C-1 and a delivered order of hers."""
    url = f"sqlite:///{tmp_path / 'db' / 'ordo.sqlite3'}"
    monkeypatch.setenv("ORDO_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    with (
        build_app_container(load_settings(database_url=url)) as container,
        container.uow_factory() as uow,
    ):
        uow.customers.add(a_customer())
        uow.orders.add(an_order())
        uow.commit()


@pytest.mark.usefixtures("ada")
def test_a_customer_s_export_file_is_the_owner_s_only(tmp_path: Path) -> None:
    target = tmp_path / "c-1.json"

    result = runner.invoke(app, ["customers", "export", "C-1", "--out", str(target)])

    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    assert json.loads(target.read_text())["customer_id"] == "C-1"


@pytest.mark.usefixtures("ada")
def test_an_export_over_an_existing_file_makes_it_the_owner_s_only(tmp_path: Path) -> None:
    target = tmp_path / "c-1.json"
    target.write_text("an older export")
    target.chmod(0o644)

    result = runner.invoke(app, ["customers", "export", "C-1", "--out", str(target)])

    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    assert json.loads(target.read_text())["customer_id"] == "C-1"
