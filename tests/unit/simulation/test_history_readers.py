"""Streaming readers: positions a person can find, and records that cannot be parsed."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.simulation.history import HistoryFileError, RowError, detect_format, read_records


def test_csv_rows_carry_their_line_number_and_a_short_row_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_text("\ufeffa,b\n1,2\n\n3\n4,5\n", encoding="utf-8")
    records = list(read_records(path, "csv"))
    assert records[0] == (2, {"a": "1", "b": "2"})
    assert records[1] == (4, RowError("o.csv", 4, "has 1 cells but the header has 2 columns"))
    assert records[2] == (5, {"a": "4", "b": "5"})


def test_json_lines_report_broken_lines_and_keep_reading(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text('{"a": 1}\n{"a": \n[1]\n{"a": 2}\n', encoding="utf-8")
    records = list(read_records(path, "jsonl"))
    assert records[0] == (1, {"a": 1})
    assert isinstance(records[1][1], RowError) and "not valid JSON" in records[1][1].reason
    assert records[2] == (3, RowError("o.jsonl", 3, "expected a JSON object"))
    assert records[3] == (4, {"a": 2})


def test_a_json_line_nested_too_deeply_to_read_is_a_bad_row_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text('{"a": 1}\n' + "[" * 100_000 + "]" * 100_000 + '\n{"a": 2}\n')
    records = list(read_records(path, "jsonl"))
    assert records == [
        (1, {"a": 1}),
        (2, RowError("o.jsonl", 2, "not valid JSON (nested too deeply)")),
        (3, {"a": 2}),
    ]


def test_unknown_extensions_and_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(HistoryFileError, match=r"o.xlsx: cannot tell the format"):
        detect_format(tmp_path / "o.xlsx")
    with pytest.raises(HistoryFileError, match=r"gone.csv: no such file"):
        read_records(tmp_path / "gone.csv", "csv")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(HistoryFileError, match=r"bad.parquet: not a readable Parquet file"):
        list(read_records(tmp_path / "bad.parquet", "parquet"))
