"""A benchmark's --write replaces its own section of docs/benchmarks.md and nothing else."""

from __future__ import annotations

from pathlib import Path

from bench.report import PREAMBLE, write_section

PAGE = """# Benchmarks

Intro.

## Rule language

old table

**A session's note** under it.

## Events

events table

## HTTP API

http table
"""


def test_a_section_in_the_middle_is_replaced_and_its_neighbours_kept(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(PAGE, encoding="utf-8")

    write_section("## Events", "new events table", doc)

    assert doc.read_text(encoding="utf-8") == PAGE.replace("events table", "new events table")


def test_the_last_section_is_replaced_up_to_the_end_of_the_page(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(PAGE, encoding="utf-8")

    write_section("## HTTP API", "## HTTP API\n\nnew http table\n\n", doc)

    assert doc.read_text(encoding="utf-8") == PAGE.replace("http table", "new http table")


def test_a_section_the_page_lacks_is_appended(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(PAGE, encoding="utf-8")

    write_section("## Stock counts", "counts table", doc)

    assert doc.read_text(encoding="utf-8") == PAGE + "\n## Stock counts\n\ncounts table\n"


def test_a_heading_that_only_begins_another_is_not_taken_for_it(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(PAGE.replace("## Events", "## Events per second"), encoding="utf-8")

    write_section("## Events", "events table", doc)

    text = doc.read_text(encoding="utf-8")
    assert "## Events per second\n\nevents table\n" in text
    assert text.endswith("## Events\n\nevents table\n")


def test_a_missing_page_is_started_with_its_preamble(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"

    write_section("## Events", "events table", doc)

    assert doc.read_text(encoding="utf-8") == PREAMBLE + "\n## Events\n\nevents table\n"
