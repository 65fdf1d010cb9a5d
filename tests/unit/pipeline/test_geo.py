"""Postal-code coordinates and great-circle distances."""

from __future__ import annotations

import pytest

from engine.adapters.geo import haversine_km, postal_code_coordinates


def test_a_known_us_postal_code_has_coordinates() -> None:
    lat, lon = postal_code_coordinates("10001") or (0.0, 0.0)
    assert lat == pytest.approx(40.75, abs=0.05)
    assert lon == pytest.approx(-74.0, abs=0.05)


def test_unknown_or_foreign_postal_codes_have_no_coordinates() -> None:
    assert postal_code_coordinates("00000") is None
    assert postal_code_coordinates("SW1A 1AA", "GB") is None
    assert postal_code_coordinates("abc") is None


def test_new_york_to_san_francisco_is_about_4130_km() -> None:
    ny = postal_code_coordinates("10001")
    sf = postal_code_coordinates("94105")
    assert ny and sf
    assert haversine_km(ny, sf) == pytest.approx(4130, rel=0.01)
    assert haversine_km(ny, ny) == 0.0


@pytest.mark.parametrize("code", ["10001", "75201", "94105", "60601", "99501", "00601"])
def test_the_postal_index_agrees_with_the_packages_own_lookup(code: str) -> None:
    import zipcodes

    [first, *_] = zipcodes.matching(code)
    assert postal_code_coordinates(code) == (float(first["lat"]), float(first["long"]))


def test_a_zip_plus_four_code_uses_its_five_digit_centroid() -> None:
    assert postal_code_coordinates("75201-1234") == postal_code_coordinates("75201")
