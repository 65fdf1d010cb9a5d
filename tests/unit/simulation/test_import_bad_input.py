"""Importing history that is wrong in ways exports are: each is a row error naming file, row and
reason (or a refusal of the whole file), never a traceback, a hang or half an order."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.simulation.dataset import Dataset
from engine.simulation.errors import SimulationError
from engine.simulation.importer import ImportFailed, import_history
from engine.simulation.mapping import parse_mapping
from tests.unit.simulation.test_import import ORDER_COLUMNS, ORDERS, history, leftovers, write_csv

HEAD = {"created_at": "2025-07-01T10:00:00", "postal_code": "10001", "customer_id": "C1"}


def ids(tmp_path: Path) -> list[str]:
    return [order["id"] for order in Dataset(tmp_path / "ds").records("orders")]


def reasons(report: Any) -> list[str]:
    return [str(error) for error in report.errors]


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    # json.dumps writes float NaN as the bare NaN many exporters write too.
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def keep_going(tmp_path: Path, **files: Path) -> Any:
    return import_history({**history(tmp_path), **files}, tmp_path / "ds", keep_going=True)


# Numbers too large to build


@pytest.mark.parametrize(
    ("quantity", "shown"),
    [("1e99999", "1E+99999"), ("9" * 5000, "1.000E+5000")],
)
def test_a_quantity_of_thousands_of_digits_is_a_row_error_stating_the_limit(
    tmp_path: Path, quantity: str, shown: str
) -> None:
    rows = [*ORDERS, ["O4", "2025-07-03T09:00:00", "web", "C1", "10001", "S1", quantity, "1"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert reasons(report) == [
        f"orders.csv line 6: quantity {shown} is over 1,000,000,000: surely a mistake"
    ]
    assert ids(tmp_path) == ["O3", "O1", "O2"]


def test_a_json_number_of_thousands_of_digits_is_its_rows_error_and_skips_its_order(
    tmp_path: Path,
) -> None:
    good = {"order_id": "J1", **HEAD, "sku": "S1", "quantity": 1}
    path = jsonl(tmp_path / "orders.jsonl", [good, {**good, "order_id": "J2"}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write(
            json.dumps({**good, "sku": "S2"}).replace('"quantity": 1', '"quantity": 1' + "0" * 5000)
            + "\n"
        )
    report = keep_going(tmp_path, orders=path)
    assert reasons(report) == [
        "orders.jsonl line 3: quantity 1.000E+5000 is over 1,000,000,000: surely a mistake"
    ]
    assert ids(tmp_path) == ["J2"]


# NaN and infinite prices from JSON and Parquet


def test_a_nan_or_infinite_price_from_json_lines_is_a_row_error(tmp_path: Path) -> None:
    lines = [
        {"order_id": "J1", **HEAD, "sku": "S1", "quantity": 1, "price": float("nan")},
        {"order_id": "J2", **HEAD, "sku": "S1", "quantity": 1, "price": float("-inf")},
        {"order_id": "J3", **HEAD, "sku": "S1", "quantity": 1, "price": 2.5},
    ]
    report = keep_going(tmp_path, orders=jsonl(tmp_path / "orders.jsonl", lines))
    assert reasons(report) == [
        "orders.jsonl line 1: price: nan is not a valid number",
        "orders.jsonl line 2: price: -inf is not a valid number",
    ]
    assert ids(tmp_path) == ["J3"]


def test_a_nan_price_in_a_parquet_float_column_is_a_row_error(tmp_path: Path) -> None:
    records = [
        {"order_id": "P1", **HEAD, "sku": "S1", "quantity": 1, "price": float("nan")},
        {"order_id": "P2", **HEAD, "sku": "S1", "quantity": 1, "price": 3.0},
    ]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "orders.parquet")
    report = keep_going(tmp_path, orders=tmp_path / "orders.parquet")
    assert reasons(report) == ["orders.parquet row 1: price: nan is not a valid number"]
    assert ids(tmp_path) == ["P2"]


# Dates the replay cannot count on from


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("created_at", "9999-12-31T23:00:00Z"),
        ("created_at", "1899-12-30T00:00:00"),  # a spreadsheet's day zero
        ("requested_date", "9999-12-31"),
    ],
)
def test_a_date_outside_1900_to_9000_is_a_row_error(
    tmp_path: Path, column: str, value: str
) -> None:
    header = [*ORDER_COLUMNS, "requested_date"]
    row = dict(zip(ORDER_COLUMNS, ORDERS[3], strict=True)) | {"requested_date": ""}
    row[column] = value
    rows = [[*line, ""] for line in ORDERS[:3]] + [[row[name] for name in header]]
    sources = history(tmp_path)
    write_csv(sources["orders"], header, rows)
    report = import_history(sources, tmp_path / "ds", keep_going=True)
    assert reasons(report) == [
        f"orders.csv line 5: {column}: '{value}' is not a day from 1900-01-01 to 9000-12-31: "
        "surely a mistake"
    ]
    assert ids(tmp_path) == ["O1", "O2"]


def test_the_bound_on_days_holds_for_parquet_timestamps_too(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    records = [
        {"order_id": "P1", **HEAD, "sku": "S1", "quantity": 1},
        {"order_id": "P2", **HEAD, "sku": "S1", "quantity": 1},
    ]
    records[0]["created_at"] = datetime(9999, 12, 31, 23, tzinfo=UTC)
    records[1]["created_at"] = datetime(2025, 7, 1, 10, tzinfo=UTC)
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "orders.parquet")
    report = keep_going(tmp_path, orders=tmp_path / "orders.parquet")
    assert reasons(report) == [
        "orders.parquet row 1: created_at: '9999-12-31T23:00:00+00:00' is not a day from "
        "1900-01-01 to 9000-12-31: surely a mistake"
    ]


# Lists and objects where one value belongs


def test_a_json_list_or_object_in_a_text_field_is_a_row_error_naming_the_field(
    tmp_path: Path,
) -> None:
    lines = [
        {"order_id": "J1", **HEAD, "sku": ["S1"], "quantity": 1},
        {"order_id": {"no": "J2"}, **HEAD, "sku": "S1", "quantity": 1},
        {"order_id": "J3", **HEAD, "sku": "S1", "quantity": 1, "channel": ["web"]},
        {"order_id": "J4", **HEAD, "sku": "S1", "quantity": 1},
    ]
    mapping = parse_mapping({"orders": {"codes": {"channel": {"WEB": "web", "*": "other"}}}})
    sources = {**history(tmp_path), "orders": jsonl(tmp_path / "orders.jsonl", lines)}
    report = import_history(sources, tmp_path / "ds", mapping, keep_going=True)
    assert reasons(report) == [
        "orders.jsonl line 1: sku: expected one value, got a list ['S1']",
        "orders.jsonl line 2: order_id: expected one value, got an object {'no': 'J2'}",
        "orders.jsonl line 3: channel: expected one value, got a list ['web']",
    ]
    assert ids(tmp_path) == ["J4"]


def test_a_parquet_list_in_a_text_column_is_a_row_error(tmp_path: Path) -> None:
    records = [
        {"order_id": "P1", **HEAD, "sku": ["S1", "S2"], "quantity": 1},
        {"order_id": "P2", **HEAD, "sku": ["S1"], "quantity": 1},
    ]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "orders.parquet")
    with pytest.raises(ImportFailed, match=r"row 1: sku: expected one value, got a list"):
        import_history(
            {**history(tmp_path), "orders": tmp_path / "orders.parquet"}, tmp_path / "ds"
        )


# Bounds on every kind of file, not only order lines


def test_stock_receipts_capacity_and_products_out_of_bounds_are_row_errors(
    tmp_path: Path,
) -> None:
    sources = history(tmp_path)
    write_csv(
        sources["locations"],
        ["code", "type", "postal_code", "daily_capacity"],
        [["NYC-1", "warehouse", "10001", "100"], ["SFO-1", "store", "94105", "1e26"]],
    )
    write_csv(
        sources["stock"],
        ["sku", "location_code", "on_hand"],
        [["S1", "NYC-1", "1e26"], ["S2", "NYC-1", "7"]],
    )
    write_csv(
        sources["receipts"],
        ["sku", "location_code", "quantity", "expected_on"],
        [["S1", "NYC-1", "2000000000", "2025-07-03"], ["S2", "NYC-1", "0", "2025-07-01"]],
    )
    sources["products"] = write_csv(
        tmp_path / "products.csv",
        ["sku", "price", "weight_kg"],
        [["S1", "-5", "1"], ["S2", "5", "-3"], ["S3", "5", "1"]],
    )
    report = import_history(sources, tmp_path / "ds", keep_going=True)
    assert reasons(report) == [
        "locations.csv line 3: daily_capacity 1E+26 is over 1,000,000,000: surely a mistake",
        "products.csv line 2: price cannot be negative, got -5",
        "products.csv line 3: weight_kg cannot be negative, got -3.0",
        "stock.csv line 2: on_hand 1E+26 is over 1,000,000,000: surely a mistake",
        "receipts.csv line 2: quantity 2000000000 is over 1,000,000,000: surely a mistake",
        "receipts.csv line 3: quantity must be positive, got 0",
    ]
    data = Dataset(tmp_path / "ds")
    assert [row["sku"] for row in data.records("products")] == ["S3"]
    assert [row["on_hand"] for row in data.records("stock")] == [7]
    assert list(data.records("receipts")) == []


# A mapped column the file does not have


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_mapped_column_missing_from_a_header_or_schema_is_refused_before_any_row(
    tmp_path: Path, fmt: str
) -> None:
    sources = history(tmp_path)
    if fmt == "parquet":
        records = [dict(zip(ORDER_COLUMNS, row, strict=True)) for row in ORDERS]
        pq.write_table(pa.Table.from_pylist(records), tmp_path / "orders.parquet")
        sources["orders"] = tmp_path / "orders.parquet"
    mapping = parse_mapping({"orders": {"columns": {"price": "Price"}}}, "map.yaml")
    with pytest.raises(
        SimulationError,
        match=rf"^map.yaml: orders.columns.price: orders.{fmt} has no column 'Price' "
        r"\(did you mean 'price'\?\); nothing was imported$",
    ):
        import_history(sources, tmp_path / "ds", mapping)
    assert not (tmp_path / "ds").exists()
    assert leftovers(tmp_path) == []


def test_a_mapped_parquet_column_may_be_a_path_into_a_struct_or_its_lines_but_must_be_there(
    tmp_path: Path,
) -> None:
    records = [
        {"no": "P1", "ts": "2025-07-01T08:00:00", "ship": {"zip": "94105"},
         "items": [{"item": "S1", "qty": 2}]},
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "orders.parquet")
    columns = {"order_id": "no", "created_at": "ts", "postal_code": "ship.zip", "sku": "item",
               "quantity": "qty"}  # fmt: skip
    sources = {**history(tmp_path), "orders": tmp_path / "orders.parquet"}
    import_history(
        sources, tmp_path / "ds", parse_mapping({"orders": {"lines": "items", "columns": columns}})
    )
    assert ids(tmp_path) == ["P1"]
    wrong = {**columns, "price": "items.price"}
    with pytest.raises(SimulationError, match=r"orders.parquet has no column 'items.price'"):
        import_history(
            sources,
            tmp_path / "ds2",
            parse_mapping({"orders": {"lines": "items", "columns": wrong}}),
        )


def test_a_mapped_json_key_no_record_has_is_refused_but_one_some_records_leave_out_is_not(
    tmp_path: Path,
) -> None:
    lines = [
        {"order_id": "J1", **HEAD, "sku": "S1", "quantity": 1},
        {"order_id": "J2", **HEAD, "sku": "S1", "quantity": 1, "Preis": "2.50"},
    ]
    sources = {**history(tmp_path), "orders": jsonl(tmp_path / "orders.jsonl", lines)}
    mapping = parse_mapping({"orders": {"columns": {"price": "Preis"}}}, "map.yaml")
    import_history(sources, tmp_path / "ds", mapping)
    prices = {o["id"]: o["lines"][0]["price"] for o in Dataset(tmp_path / "ds").records("orders")}
    assert prices == {"J1": "0", "J2": "2.50"}
    wrong = parse_mapping({"orders": {"columns": {"price": "Price"}}}, "map.yaml")
    with pytest.raises(
        SimulationError,
        match=r"^map.yaml: orders.columns.price: no record in orders.jsonl has 'Price'; "
        r"nothing was imported$",
    ):
        import_history(sources, tmp_path / "other", wrong, keep_going=True)
    assert not (tmp_path / "other").exists()


# A record the reader refuses takes its whole order with it


def test_keep_going_skips_the_whole_order_of_a_csv_row_with_the_wrong_cell_count(
    tmp_path: Path,
) -> None:
    rows = [*ORDERS, ["O2", "2025-07-02T09:00:00", "web", "C1", "10001", "S3", "1", "1", "x"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert reasons(report) == ["orders.csv line 6: has 9 cells but the header has 8 columns"]
    assert ids(tmp_path) == ["O3", "O1"]


def test_keep_going_skips_the_whole_order_of_a_csv_row_with_a_cell_over_the_size_limit(
    tmp_path: Path,
) -> None:
    rows = [*ORDERS, ["O2", "2025-07-02T09:00:00", "web", "C1", "10001", "S" * 200_000, "1", "1"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert [error.row for error in report.errors] == [6]
    assert "not valid CSV (field larger than field limit" in report.errors[0].reason
    assert ids(tmp_path) == ["O3", "O1"]


def test_keep_going_skips_the_whole_order_of_a_json_line_naming_a_key_twice(
    tmp_path: Path,
) -> None:
    good = {"order_id": "J1", **HEAD, "sku": "S1", "quantity": 1}
    path = jsonl(tmp_path / "orders.jsonl", [good, {**good, "order_id": "J2"}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"order_id": "J1", "sku": "S2", "quantity": 1, "quantity": 2}\n')
    report = keep_going(tmp_path, orders=path)
    assert reasons(report) == ["orders.jsonl line 3: key 'quantity' appears twice in one object"]
    assert ids(tmp_path) == ["J2"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"order_id": "J1", "sku": "S2", "quantity": ', r"not valid JSON \(.*\)"),
        ("[1, 2]", "expected a JSON object"),
        ('{"sku": "S2", "quantity": 1}', r"missing order_id \(no column 'order_id'\)"),
    ],
)
def test_a_bad_order_row_whose_order_cannot_be_told_stops_even_a_keep_going_import(
    tmp_path: Path, text: str, reason: str
) -> None:
    good = {"order_id": "J1", **HEAD, "sku": "S1", "quantity": 1}
    path = jsonl(tmp_path / "orders.jsonl", [good, {**good, "order_id": "J2"}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text + "\n")
    with pytest.raises(
        ImportFailed,
        match=rf"^orders.jsonl line 3: {reason}.*; the order this line belongs to cannot be "
        r"told, .* so the import stops even when told to keep going; nothing was imported$",
    ):
        keep_going(tmp_path, orders=path)
    assert not (tmp_path / "ds").exists()
    assert leftovers(tmp_path) == []


# A row repeated cell for cell


def test_a_row_repeated_cell_for_cell_skips_its_order_naming_both_rows(tmp_path: Path) -> None:
    rows = [*ORDERS, ORDERS[1]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert reasons(report) == [
        "orders.csv line 6: order 'O1': this row repeats line 3 cell for cell (a row exported "
        "twice, or two orders under one id?)"
    ]
    assert ids(tmp_path) == ["O3", "O2"]
    with pytest.raises(ImportFailed, match="line 6: order 'O1': this row repeats line 3"):
        import_history(history(tmp_path, rows), tmp_path / "stopped")


def test_lines_alike_but_for_a_column_the_mapping_leaves_out_are_two_lines_a_copy_is_not(
    tmp_path: Path,
) -> None:
    header = [*ORDER_COLUMNS, "note"]
    line = ["O1", "2025-07-01T12:00:00", "web", "C2", "94105", "S1", "2", "10.00"]
    sources = history(tmp_path)
    write_csv(sources["orders"], header, [[*line, "gift"], [*line, "not a gift"], [*line, "gift"]])
    with pytest.raises(ImportFailed, match="line 4: order 'O1': this row repeats line 2"):
        import_history(sources, tmp_path / "ds")
    rows = [[*line, "gift"], [*line, "not a gift"]]
    write_csv(sources["orders"], header, rows)
    import_history(sources, tmp_path / "ds2")
    [order] = Dataset(tmp_path / "ds2").records("orders")
    assert [line["quantity"] for line in order["lines"]] == [2, 2]


# An encoding that cannot even start


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_utf_16_without_a_byte_order_mark_is_refused_naming_file_and_encoding(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"orders.{suffix}"
    path.write_bytes("order_id,created_at\n".encode("utf-16-le"))
    mapping = parse_mapping({"orders": {"encoding": "utf-16"}})
    with pytest.raises(
        SimulationError,
        match=rf"orders.{suffix}: cannot be read as utf-16 text \(UTF-16 stream does not start "
        r"with BOM\); name the export's encoding as 'encoding' in the mapping \(utf-16-le",
    ):
        import_history({**history(tmp_path), "orders": path}, tmp_path / "ds", mapping)
    assert not (tmp_path / "ds").exists()


# Smaller things


def test_a_missing_orders_file_is_asked_for_by_its_option_and_mapping_key(tmp_path: Path) -> None:
    sources = history(tmp_path)
    del sources["orders"]
    with pytest.raises(
        SimulationError,
        match=r"^a simulation needs an orders file; give it with --orders FILE, or as 'file:' in "
        r"the mapping's orders section$",
    ):
        import_history(sources, tmp_path / "ds")


def test_a_directory_given_for_a_file_is_named_as_a_directory_not_a_bad_extension(
    tmp_path: Path,
) -> None:
    (tmp_path / "exports").mkdir()
    with pytest.raises(SimulationError, match=r"exports: is a directory, not a file$"):
        import_history({**history(tmp_path), "orders": tmp_path / "exports"}, tmp_path / "ds")


def test_errors_csv_lists_problems_in_file_then_row_order(tmp_path: Path) -> None:
    sources = history(
        tmp_path,
        [
            *ORDERS,
            ["O1", "2025-07-01T12:00:00", "web", "C2", "60601", "S2", "1", "1.00"],
            ["O5", "2025-07-01T12:00:00", "web", "C2", "60601", "S2", "many", "1.00"],
        ],
    )
    write_csv(sources["stock"], ["sku", "location_code", "on_hand"], [["S1", "NOWHERE", "5"]])
    report = import_history(sources, tmp_path / "ds", keep_going=True)
    with (tmp_path / "ds" / "errors.csv").open(encoding="utf-8") as handle:
        listed = [(row[0], row[2]) for row in list(csv.reader(handle))[1:]]
    assert listed == [("stock.csv", "2"), ("orders.csv", "6"), ("orders.csv", "7")]
    assert [(error.file, error.row) for error in report.errors] == [
        ("stock.csv", 2),
        ("orders.csv", 6),
        ("orders.csv", 7),
    ]


def test_stock_at_a_location_skipped_for_its_own_error_says_so(tmp_path: Path) -> None:
    sources = history(tmp_path)
    write_csv(
        sources["locations"],
        ["code", "type", "postal_code"],
        [["NYC-1", "warehouse", "10001"], ["SFO-1", "castle", "94105"]],
    )
    report = import_history(sources, tmp_path / "ds", keep_going=True)
    assert reasons(report)[:3] == [
        "locations.csv line 3: type 'castle' is not one of warehouse, store, 3pl, dropship_vendor",
        "stock.csv line 3: location 'SFO-1' was skipped for its own error (locations.csv line 3)",
        "receipts.csv line 2: location 'SFO-1' was skipped for its own error (locations.csv "
        "line 3)",
    ]


def test_a_second_copy_of_a_location_product_or_customer_is_a_duplicate_even_if_the_first_was_bad(
    tmp_path: Path,
) -> None:
    sources = history(tmp_path)
    write_csv(
        sources["locations"],
        ["code", "type", "postal_code", "daily_capacity"],
        [["NYC-1", "warehouse", "10001", "-1"], ["NYC-1", "warehouse", "10001", "100"],
         ["SFO-1", "store", "94105", "20"]],
    )  # fmt: skip
    sources["products"] = write_csv(
        tmp_path / "products.csv", ["sku", "price"], [["S1", "x"], ["S1", "1"], ["S2", "1"]]
    )
    report = import_history(sources, tmp_path / "ds", keep_going=True)
    assert reasons(report)[:4] == [
        "locations.csv line 2: daily_capacity cannot be negative, got -1",
        "locations.csv line 3: location 'NYC-1' appears twice (also on line 2, skipped for its "
        "own error)",
        "products.csv line 2: price: 'x' is not a valid number",
        "products.csv line 3: SKU 'S1' appears twice (also on line 2, skipped for its own error)",
    ]
    data = Dataset(tmp_path / "ds")
    assert [row["code"] for row in data.records("locations")] == ["SFO-1"]
    assert [row["sku"] for row in data.records("products")] == ["S2"]


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [
        ("1_000", "quantity: '1_000' is not a number ('_' is not a digit)"),
        ("1e3", "quantity: '1e3' is not a whole number like 1000 (write it without 'e')"),
    ],
)
def test_a_quantity_written_as_python_or_a_spreadsheet_would_is_refused(
    tmp_path: Path, quantity: str, reason: str
) -> None:
    rows = [*ORDERS, ["O4", "2025-07-03T09:00:00", "web", "C1", "10001", "S1", quantity, "1"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert reasons(report) == [f"orders.csv line 6: {reason}"]


def test_a_price_with_an_underscore_is_refused(tmp_path: Path) -> None:
    rows = [*ORDERS, ["O4", "2025-07-03T09:00:00", "web", "C1", "10001", "S1", "1", "1_0.5"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert reasons(report) == [
        "orders.csv line 6: price: '1_0.5' is not a number ('_' is not a digit)"
    ]


# Cells no export means: 100 KB of text, a number where a date belongs


def test_a_text_cell_of_100_kb_is_a_row_error_quoting_only_its_start(tmp_path: Path) -> None:
    huge = "S" * 100_000  # under the CSV reader's own limit of 128 KiB a field
    rows = [*ORDERS, ["O4", "2025-07-03T09:00:00", "web", "C1", "10001", huge, "1", "1"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert reasons(report) == [
        f"orders.csv line 6: sku: '{'S' * 56}... (100,000 characters) is 100,000 "
        "characters long, more than 1,000: surely a column out of place"
    ]
    assert ids(tmp_path) == ["O3", "O1", "O2"]


def test_a_long_bad_cell_is_quoted_only_in_part(tmp_path: Path) -> None:
    rows = [*ORDERS, ["O4", "2025-07-03T09:00:00", "web", "C1", "10001", "S1", "x" * 900, "1"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert reasons(report) == [
        f"orders.csv line 6: quantity: '{'x' * 56}... (900 characters) is not a valid whole number"
    ]


@pytest.mark.parametrize("created_at", [20250701, 1751328000, 1751328000.5])
def test_a_parquet_number_where_a_date_belongs_is_refused_without_a_format(
    tmp_path: Path, created_at: float
) -> None:
    record = {"order_id": "P1", **HEAD, "sku": "S1", "quantity": 1, "created_at": created_at}
    pq.write_table(pa.Table.from_pylist([record]), tmp_path / "orders.parquet")
    with pytest.raises(SimulationError) as refused:
        keep_going(tmp_path, orders=tmp_path / "orders.parquet")
    assert (
        f"orders.parquet row 1: created_at: {created_at!r} is a number, not a date: write "
        "dates as text (ISO 8601, such as 2025-07-01), or set datetime_format in the mapping "
        "(such as '%Y%m%d')"
    ) in str(refused.value)


def test_a_parquet_number_is_read_as_a_date_by_the_mappings_format(tmp_path: Path) -> None:
    good = {"order_id": "P1", **HEAD, "sku": "S1", "quantity": 1, "created_at": 20250701}
    pq.write_table(pa.Table.from_pylist([good]), tmp_path / "orders.parquet")
    mapping = parse_mapping({"orders": {"datetime_format": "%Y%m%d"}})
    sources = {**history(tmp_path), "orders": tmp_path / "orders.parquet"}
    import_history(sources, tmp_path / "ds", mapping)
    [order] = Dataset(tmp_path / "ds").records("orders")
    assert order["created_at"].startswith("2025-07-01")
