"""ORDO_PACKAGING_FILE: the box catalogue the Decider packs shipments with, read and checked
when Ordo starts; unset, packaging is off."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordo.bootstrap import build_app_container, build_packaging
from ordo.settings import SettingsError, load_settings

SHIPPED = Path(__file__).resolve().parents[3] / "rulesets" / "packaging" / "boxes.yaml"
# Nothing listens on port 9 (discard): were the container to connect, building it would fail.
NOWHERE_PG = "postgresql://postgres@127.0.0.1:9/ordo"


def test_packaging_is_off_unless_a_box_catalogue_is_named() -> None:
    settings = load_settings(database_url=NOWHERE_PG)
    assert settings.packaging_file is None
    with build_app_container(settings) as container:
        assert container.decider.packaging is None


@pytest.mark.parametrize("written", ["", "   "])
def test_a_blank_packaging_file_is_unset(monkeypatch: pytest.MonkeyPatch, written: str) -> None:
    monkeypatch.setenv("ORDO_PACKAGING_FILE", written)
    assert load_settings().packaging_file is None


def test_the_named_box_catalogue_reaches_the_decider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_PACKAGING_FILE", f" {SHIPPED} ")
    settings = load_settings(database_url=NOWHERE_PG)
    assert settings.packaging_file == SHIPPED
    with build_app_container(settings) as container:
        catalog = container.decider.packaging
        assert catalog is not None
        assert [box.code for box in catalog.at("EWR-01")] == ["MAILER", "SMALL", "MEDIUM", "LARGE"]


def test_a_bad_box_catalogue_stops_start_up_naming_the_setting_the_file_and_the_field(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "boxes.yaml"
    bad.write_text(SHIPPED.read_text().replace("max_weight_kg: 20", "max_weight_kg: -20"))
    with pytest.raises(SettingsError) as refused:
        build_packaging(load_settings(packaging_file=str(bad)))
    assert str(refused.value) == (
        f"ORDO_PACKAGING_FILE: {bad}: boxes.MEDIUM.max_weight_kg: "
        "expected a weight in kg above 0, got -20"
    )


def test_a_box_catalogue_that_is_not_there_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        build_app_container(
            load_settings(database_url=NOWHERE_PG, packaging_file=str(tmp_path / "no.yaml"))
        )
    assert str(refused.value) == (
        f"ORDO_PACKAGING_FILE: {tmp_path / 'no.yaml'}: cannot read this file: no such file"
    )
