"""Import postal lookups: the full table, once a big import needs it, agrees with the pipeline."""

from __future__ import annotations

from engine.adapters.geo import postal_code_coordinates
from engine.simulation.postal import PostalLookup, us_table


def test_the_table_gives_the_same_coordinates_as_the_pipelines_lookup() -> None:
    codes = sorted(us_table())[::997]
    assert len(codes) > 40
    for code in codes:
        assert us_table()[code] == postal_code_coordinates(code)


def test_a_lookup_switches_to_the_table_after_enough_codes_and_answers_alike() -> None:
    lookup = PostalLookup(table_after=2)
    answers = [lookup(code) for code in ("10001", "94105", "60601", "02134", "00000", "ABCDE")]
    assert answers == [
        postal_code_coordinates(code)
        for code in ("10001", "94105", "60601", "02134", "00000", "ABCDE")
    ]
    assert answers[-2:] == [None, None]
    assert lookup("B3H 1A1", "CA") is None  # only US codes are known
