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


def test_a_json_line_naming_a_key_twice_is_a_bad_row_not_left_to_the_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text(
        '{"sku": "S1", "quantity": 1, "quantity": 2}\n{"lines": [{"a": 1, "a": 1}]}\n'
        '{"sku": "S1", "quantity": 3}\n',
        encoding="utf-8",
    )
    assert list(read_records(path, "jsonl")) == [
        (1, RowError("o.jsonl", 1, "key 'quantity' appears twice in one object")),
        (2, RowError("o.jsonl", 2, "key 'a' appears twice in one object")),
        (3, {"sku": "S1", "quantity": 3}),
    ]


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


def test_a_directory_given_as_a_history_file_is_named_as_a_directory(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").mkdir()
    with pytest.raises(HistoryFileError, match=r"orders.csv: is a directory, not a file"):
        read_records(tmp_path / "orders.csv", "csv")


HEADER = "order_id,created_at,postal_code,sku,quantity\n"


def order_rows(count: int, sku: str = "S1") -> list[str]:
    return [f"O{n},2025-07-01T10:00:00,10001,{sku},1\n" for n in range(count)]


def test_a_quoted_cell_may_span_lines_and_its_row_is_at_the_line_it_starts_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.csv"
    path.write_text('a,b\n1,"two\nlines"\n3,4\n5,"at the end\n"', encoding="utf-8")
    assert list(read_records(path, "csv")) == [
        (2, {"a": "1", "b": "two\nlines"}),
        (4, {"a": "3", "b": "4"}),
        (5, {"a": "5", "b": "at the end\n"}),
    ]


def test_an_unclosed_csv_quote_refuses_the_file_at_the_line_it_opens_on(tmp_path: Path) -> None:
    rows = order_rows(499)
    rows[1] = 'U1,2025-07-01T10:00:00,10001,"S1,1\n'
    path = tmp_path / "o.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    with pytest.raises(HistoryFileError) as refused:
        list(read_records(path, "csv"))
    assert str(refused.value) == (
        f"{path} line 3: unterminated quote: a quoted cell opens on this line and runs on to "
        "the end of the file, so the rows after it cannot be read; close it, or double a "
        'quote that is part of the text ("")'
    )


def test_a_quote_closed_by_a_stray_quote_a_hundred_lines_on_still_refuses_the_file(
    tmp_path: Path,
) -> None:
    rows = order_rows(300)
    rows[1] = 'U1,2025-07-01T10:00:00,10001,"S1,1\n'
    rows[150] = 'O150,2025-07-01T10:00:00,10001,S"1,1\n'  # merged, the rows would look like one
    path = tmp_path / "o.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    with pytest.raises(HistoryFileError, match=r"o.csv line 3: unterminated quote: .* line 152,"):
        list(read_records(path, "csv"))


def test_an_unclosed_quote_that_outgrows_the_cell_size_limit_refuses_the_file(
    tmp_path: Path,
) -> None:
    rows = order_rows(90, sku="S" * 2000)  # long lines: the size limit comes before 100 lines
    rows[1] = 'U1,2025-07-01T10:00:00,10001,"S1,1\n'
    path = tmp_path / "o.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    with pytest.raises(HistoryFileError, match=r"o.csv line 3: unterminated quote: .*field limit"):
        list(read_records(path, "csv"))


def test_a_column_named_twice_in_a_csv_header_is_refused_not_left_to_the_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.csv"
    path.write_text(HEADER.strip() + ",quantity,,\n" + "O1,2025-07-01,10001,S1,1,2,,\n")
    with pytest.raises(HistoryFileError) as refused:
        list(read_records(path, "csv"))
    assert str(refused.value) == (
        f"{path} line 1: the header names a column more than once: 'quantity'; "
        "rename or remove the extra ones"
    )


def test_a_column_named_twice_in_a_parquet_schema_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "o.parquet"
    pq.write_table(pa.table([[1], [2], [3]], names=["sku", "quantity", "sku"]), path)
    with pytest.raises(HistoryFileError) as refused:
        list(read_records(path, "parquet"))
    assert str(refused.value) == (
        f"{path}: the schema names a column more than once: 'sku'; rename or remove the extra ones"
    )


def test_a_damaged_parquet_data_page_names_its_row_group_instead_of_crashing(
    tmp_path: Path,
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "o.parquet"
    pq.write_table(pa.table({"n": list(range(20_000))}), path, row_group_size=5000)
    offset = pq.ParquetFile(path).metadata.row_group(1).column(0).data_page_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))
    records = read_records(path, "parquet")
    assert [next(records) for _ in range(5000)][-1] == (5000, {"n": 4999})
    with pytest.raises(HistoryFileError, match=r"o.parquet row group 2 \(rows 5001-10000\): not"):
        next(records)


def test_a_json_lines_file_may_start_with_a_byte_order_mark_like_a_csv_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.jsonl"
    path.write_text('\ufeff{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    assert list(read_records(path, "jsonl")) == [(1, {"a": 1}), (2, {"a": 2})]
