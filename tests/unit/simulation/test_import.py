"""Importing history into a data set: grouping, ordering, row errors, and nothing half-done."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from engine.simulation.commands import import_command
from engine.simulation.dataset import Dataset, iso_utc, parse_utc
from engine.simulation.errors import SimulationError
from engine.simulation.importer import ImportFailed, import_history

ORDER_COLUMNS = [
    "order_id",
    "created_at",
    "channel",
    "customer_id",
    "postal_code",
    "sku",
    "quantity",
    "price",
]
ORDERS = [
    ["O2", "2025-07-02T09:00:00", "web", "C1", "10001", "S1", "1", "10.00"],
    ["O1", "2025-07-01T12:00:00", "web", "C2", "94105", "S1", "2", "10.00"],
    ["O2", "2025-07-02T09:00:00", "web", "C1", "10001", "S2", "3", "5.50"],
    ["O3", "2025-07-01T08:00:00", "pos", "C3", "60601", "S2", "1", "5.50"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def history(tmp_path: Path, orders: list[list[str]] = ORDERS) -> dict[str, Path]:
    return {
        "orders": write_csv(tmp_path / "orders.csv", ORDER_COLUMNS, orders),
        "locations": write_csv(
            tmp_path / "locations.csv",
            ["code", "type", "postal_code", "daily_capacity"],
            [["NYC-1", "warehouse", "10001", "100"], ["SFO-1", "store", "94105", "20"]],
        ),
        "stock": write_csv(
            tmp_path / "stock.csv",
            ["sku", "location_code", "on_hand"],
            [["S1", "NYC-1", "5"], ["S2", "SFO-1", "2"]],
        ),
        "receipts": write_csv(
            tmp_path / "receipts.csv",
            ["sku", "location_code", "quantity", "expected_on"],
            [["S1", "SFO-1", "4", "2025-07-03"], ["S2", "NYC-1", "9", "2025-07-01"]],
        ),
    }


def leftovers(parent: Path) -> list[str]:
    return sorted(path.name for path in parent.iterdir() if path.name.startswith("."))


def test_lines_are_gathered_into_orders_and_orders_are_sorted_by_time(tmp_path: Path) -> None:
    report = import_history(history(tmp_path), tmp_path / "ds")
    orders = list(Dataset(tmp_path / "ds").records("orders"))
    assert [order["id"] for order in orders] == ["O3", "O1", "O2"]
    assert [(line["sku"], line["quantity"]) for line in orders[2]["lines"]] == [
        ("S1", 1),
        ("S2", 3),
    ]
    assert orders[0]["lat"] is not None
    assert report.counts["orders"] == 3
    assert report.error_count == 0


def test_receipts_are_stored_in_date_order(tmp_path: Path) -> None:
    import_history(history(tmp_path), tmp_path / "ds")
    dates = [row["expected_on"] for row in Dataset(tmp_path / "ds").records("receipts")]
    assert dates == ["2025-07-01", "2025-07-03"]


def test_a_bad_row_stops_the_import_naming_file_line_and_reason_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    rows = [*ORDERS, ["O4", "2025-07-03T08:00:00", "web", "C4", "10001", "S1", "two", "1.00"]]
    with pytest.raises(
        ImportFailed, match=r"orders.csv line 6: quantity: 'two' is not a valid whole number"
    ):
        import_history(history(tmp_path, rows), tmp_path / "ds")
    assert not (tmp_path / "ds").exists()
    assert leftovers(tmp_path) == []


def test_keep_going_skips_the_whole_order_of_a_bad_line_and_lists_it_in_errors_csv(
    tmp_path: Path,
) -> None:
    rows = [*ORDERS, ["O2", "2025-07-02T09:00:00", "web", "C1", "10001", "S3", "-1", "1.00"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    ids = [order["id"] for order in Dataset(tmp_path / "ds").records("orders")]
    assert ids == ["O3", "O1"]
    assert report.error_count == 1
    assert str(report.errors[0]) == "orders.csv line 6: quantity must be positive, got -1"
    with (tmp_path / "ds" / "errors.csv").open(encoding="utf-8") as handle:
        assert list(csv.reader(handle))[1] == [
            "orders.csv",
            "line",
            "6",
            "quantity must be positive, got -1",
        ]


def test_a_bad_line_skips_its_whole_order_even_when_the_order_id_is_a_json_number(
    tmp_path: Path,
) -> None:
    head = {"created_at": "2025-07-01T10:00:00", "postal_code": "10001", "customer_id": "C1"}
    lines = [
        {"order_id": 7.0, **head, "sku": "S1", "quantity": 2},
        {"order_id": 7.0, **head, "sku": "S2", "quantity": "two"},
        {"order_id": 8, **head, "sku": "S1", "quantity": 1},
    ]
    orders = tmp_path / "orders.jsonl"
    orders.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    report = import_history(
        {**history(tmp_path), "orders": orders}, tmp_path / "ds", keep_going=True
    )
    assert [order["id"] for order in Dataset(tmp_path / "ds").records("orders")] == ["8"]
    assert [str(error) for error in report.errors] == [
        "orders.jsonl line 2: quantity: 'two' is not a valid whole number"
    ]


def test_an_instant_before_the_year_1000_is_written_to_sort_first_and_reads_back() -> None:
    # An import refuses such a date (see test_import_bad_input); a data set written otherwise
    # must still sort and read it right.
    ancient = datetime(999, 6, 1, 10, tzinfo=UTC)
    assert iso_utc(ancient) == "0999-06-01T10:00:00Z" < iso_utc(datetime(2025, 7, 1, tzinfo=UTC))
    assert parse_utc(iso_utc(ancient)) == ancient


def test_a_quantity_or_price_no_order_could_have_is_a_row_error_not_a_crash_later(
    tmp_path: Path,
) -> None:
    rows = [
        *ORDERS,
        ["O4", "2025-07-03T09:00:00", "web", "C1", "10001", "S1", "1", "1e26"],
        ["O5", "2025-07-03T09:00:00", "web", "C1", "10001", "S1", "10" * 15, "1.00"],
    ]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert [str(error) for error in report.errors] == [
        "orders.csv line 6: price 1E+26 is over 1,000,000,000: surely a mistake",
        f"orders.csv line 7: quantity {'10' * 15} is over 1,000,000,000: surely a mistake",
    ]
    assert [o["id"] for o in Dataset(tmp_path / "ds").records("orders")] == ["O3", "O1", "O2"]


def test_a_location_off_the_globe_or_with_negative_capacity_is_a_row_error(
    tmp_path: Path,
) -> None:
    sources = history(tmp_path)
    sources["locations"] = write_csv(
        tmp_path / "sites.csv",
        ["code", "type", "postal_code", "daily_capacity", "lat", "lon"],
        [
            ["NYC-1", "warehouse", "10001", "100", "", ""],
            ["SFO-1", "store", "94105", "20", "37.8", "-122.4"],
            ["BAD-1", "store", "94105", "-5", "", ""],
            ["BAD-2", "store", "94105", "5", "999", "-122.4"],
            ["BAD-3", "store", "94105", "5", "37.8", "-999"],
        ],
    )
    report = import_history(sources, tmp_path / "ds", keep_going=True)
    assert [str(error) for error in report.errors] == [
        "sites.csv line 4: daily_capacity cannot be negative, got -5",
        "sites.csv line 5: lat must be from -90 to 90, got 999.0",
        "sites.csv line 6: lon must be from -180 to 180, got -999.0",
    ]
    codes = [site["code"] for site in Dataset(tmp_path / "ds").records("locations")]
    assert codes == ["NYC-1", "SFO-1"]


def test_an_order_whose_rows_disagree_on_the_header_is_reported(tmp_path: Path) -> None:
    rows = [*ORDERS, ["O1", "2025-07-01T12:00:00", "web", "C2", "60601", "S2", "1", "1.00"]]
    report = import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert "order 'O1': postal_code '60601' differs from '94105' on line 3" in str(report.errors[0])


def test_stock_at_an_unknown_location_and_an_unknown_postal_code_are_row_errors(
    tmp_path: Path,
) -> None:
    sources = history(
        tmp_path, [*ORDERS, ["O9", "2025-07-09T00:00:00", "web", "C9", "00000", "S1", "1", "1"]]
    )
    write_csv(sources["stock"], ["sku", "location_code", "on_hand"], [["S1", "NOWHERE", "5"]])
    report = import_history(sources, tmp_path / "ds", keep_going=True)
    reasons = sorted(error.reason for error in report.errors)
    assert reasons == [
        "location 'NOWHERE' is not in the locations file",
        "order 'O9': postal code '00000' is not a known US postal code",
    ]


def test_json_lines_and_parquet_give_the_same_orders_as_csv(tmp_path: Path) -> None:
    sources = history(tmp_path)
    import_history(sources, tmp_path / "from-csv")
    records = [dict(zip(ORDER_COLUMNS, row, strict=True)) for row in ORDERS]
    jsonl = tmp_path / "orders.jsonl"
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    parquet = tmp_path / "orders.parquet"
    pq.write_table(pa.Table.from_pylist(records), parquet)
    import_history({**sources, "orders": jsonl}, tmp_path / "from-jsonl")
    import_history({**sources, "orders": parquet}, tmp_path / "from-parquet")
    expected = (tmp_path / "from-csv" / "orders.jsonl").read_bytes()
    assert (tmp_path / "from-jsonl" / "orders.jsonl").read_bytes() == expected
    assert (tmp_path / "from-parquet" / "orders.jsonl").read_bytes() == expected


def test_sorting_in_small_chunks_spilled_to_disk_gives_the_same_data_set(tmp_path: Path) -> None:
    sources = history(tmp_path)
    import_history(sources, tmp_path / "big")
    import_history(sources, tmp_path / "small", chunk=1)
    for name in ("orders.jsonl", "receipts.jsonl"):
        assert (tmp_path / "small" / name).read_bytes() == (tmp_path / "big" / name).read_bytes()


def test_an_existing_data_set_is_kept_unless_replace_is_asked_for(tmp_path: Path) -> None:
    sources = history(tmp_path)
    import_history(sources, tmp_path / "ds")
    with pytest.raises(ValueError, match="already exists"):
        import_history(sources, tmp_path / "ds")
    import_history(
        {**sources, "orders": write_csv(tmp_path / "one.csv", ORDER_COLUMNS, ORDERS[:1])},
        tmp_path / "ds",
        replace=True,
    )
    assert Dataset(tmp_path / "ds").order_count == 1
    assert leftovers(tmp_path) == []


def test_a_semicolon_separated_latin_1_export_imports_through_its_mapping(tmp_path: Path) -> None:
    from engine.simulation.mapping import parse_mapping

    sources = history(tmp_path)
    text = (
        "Bestellung;Zeit;PLZ;Artikel;Menge;Preis;Kunde\n"
        "B1;01.07.2025 10:00;10001;S1;2;1.009,50;Müller\n"
    )
    sources["orders"].write_bytes(text.encode("latin-1"))
    mapping = parse_mapping({"orders": {
        "delimiter": ";", "encoding": "latin-1", "decimal_separator": ",",
        "datetime_format": "%d.%m.%Y %H:%M",
        "columns": {"order_id": "Bestellung", "created_at": "Zeit", "postal_code": "PLZ",
                    "sku": "Artikel", "quantity": "Menge", "price": "Preis",
                    "customer_id": "Kunde"},
    }})  # fmt: skip
    import_history(sources, tmp_path / "ds", mapping)
    [order] = Dataset(tmp_path / "ds").records("orders")
    assert order["customer_id"] == "Müller"
    assert order["lines"][0]["price"] == "1009.50"


def test_an_export_in_another_encoding_is_refused_at_its_line_even_with_keep_going(
    tmp_path: Path,
) -> None:
    # Past the first block the reader decodes, so the line is found, not the block's.
    sources = history(tmp_path)
    good = "".join(f"O{n},2025-07-01T10:00:00,10001,S1,1,C{n}\n" for n in range(3000))
    text = f"order_id,created_at,postal_code,sku,quantity,customer_id\n{good}"
    sources["orders"].write_bytes(
        (text + "O9,2025-07-01T10:00:00,10001,S1,1,Müller\n").encode("latin-1")
    )
    with pytest.raises(
        SimulationError,
        match=r"orders.csv line 3002: not utf-8 text \(byte 0xfc\); .* 'encoding' in the mapping",
    ):
        import_history(sources, tmp_path / "ds", keep_going=True)
    assert not (tmp_path / "ds").exists()
    assert leftovers(tmp_path) == []


def test_json_lines_that_stop_being_text_are_refused_not_cut_short(tmp_path: Path) -> None:
    sources = history(tmp_path)
    lines = [json.dumps(dict(zip(ORDER_COLUMNS, row, strict=True))) for row in ORDERS]
    lines[1] = lines[1].replace("C2", "Müller")
    path = tmp_path / "orders.jsonl"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(SimulationError, match=r"orders.jsonl line 2: not utf-8 text"):
        import_history({**sources, "orders": path}, tmp_path / "ds", keep_going=True)
    assert not (tmp_path / "ds").exists()


def test_an_orders_file_with_only_its_header_is_refused_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    sources = history(tmp_path, orders=[])
    with pytest.raises(SimulationError, match=r"orders.csv: no orders in it; nothing was imported"):
        import_history(sources, tmp_path / "ds")
    assert not (tmp_path / "ds").exists()
    assert leftovers(tmp_path) == []


def test_keep_going_over_nothing_but_bad_rows_is_refused_with_the_first(tmp_path: Path) -> None:
    rows = [["O1", "2025-07-01T12:00:00", "web", "C2", "94105", "S1", "zero", "10.00"]]
    with pytest.raises(
        SimulationError,
        match=r"no orders in it \(every row was skipped; the first: orders.csv line 2: quantity",
    ):
        import_history(history(tmp_path, rows), tmp_path / "ds", keep_going=True)
    assert not (tmp_path / "ds").exists()


def test_a_semicolon_export_read_as_commas_is_told_to_name_its_delimiter(tmp_path: Path) -> None:
    sources = history(tmp_path)
    sources["orders"].write_text("order_id;created_at;sku;quantity\nO1;2025-07-01;S1;1\n")
    with pytest.raises(
        SimulationError,
        match=r"orders.csv line 1: the header is one column, 'order_id;created_at;sku;quantity'; "
        r"if the file is separated by ';', name it as 'delimiter' in the mapping",
    ):
        import_history(sources, tmp_path / "ds")


def test_parquet_records_with_nested_lines_import_through_a_lines_mapping(tmp_path: Path) -> None:
    from engine.simulation.mapping import parse_mapping

    sources = history(tmp_path)
    records = [
        {"no": "P1", "ts": "2025-07-01T08:00:00+02:00", "ship": {"zip": "94105"},
         "items": [{"item": "S1", "qty": 2}, {"item": "S2", "qty": 1}]},
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "orders.parquet")
    mapping = parse_mapping({"orders": {"lines": "items", "columns": {
        "order_id": "no", "created_at": "ts", "postal_code": "ship.zip", "sku": "item",
        "quantity": "qty",
    }}})  # fmt: skip
    import_history({**sources, "orders": tmp_path / "orders.parquet"}, tmp_path / "ds", mapping)
    [order] = Dataset(tmp_path / "ds").records("orders")
    assert (order["id"], order["created_at"], order["postal_code"]) == (
        "P1",
        "2025-07-01T06:00:00Z",
        "94105",
    )
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [("S1", 2), ("S2", 1)]


@pytest.mark.parametrize("name", ["", "../escape", ".hidden", "bad name!", "a/b", "x" * 101])
def test_a_data_set_name_the_api_could_not_address_is_refused_before_anything_is_read(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(SimulationError, match="must be 1 to 100 letters, digits"):
        import_command(Console(), tmp_path, name, {"orders": tmp_path / "absent.csv"})
    assert not (tmp_path / "datasets").exists()


def test_a_data_directory_that_cannot_be_made_is_named_with_the_reason(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "data"
    not_a_directory.write_text("a file where the data directory should be")
    with pytest.raises(SimulationError, match="data/datasets: cannot create the data sets direc"):
        import_command(Console(), not_a_directory, "q3-2025", {"orders": tmp_path / "o.csv"})


def test_an_import_clears_what_a_killed_import_left_but_not_a_running_ones(
    tmp_path: Path,
) -> None:
    sources = history(tmp_path)
    (tmp_path / "sets").mkdir()
    killed = tmp_path / "sets" / ".q3.importing-99999999-0badc0de"
    running = tmp_path / "sets" / f".q4.importing-{os.getpid()}-0badc0de"
    for scratch in (killed, running):
        (scratch / "work").mkdir(parents=True)
    import_history(sources, tmp_path / "sets" / "q3")
    assert leftovers(tmp_path / "sets") == [running.name]


# Order ids reused per store, made unique by joining the store to the id

REUSED = [
    {"StoreNo": 12, "OrderNo": 1001, "sku": "S1", "quantity": 1},
    {"StoreNo": 40, "OrderNo": 1001, "sku": "S2", "quantity": 1},
    {"StoreNo": 12, "OrderNo": 1001, "sku": "S2", "quantity": 2},
]
REUSED_HEAD = {"created_at": "2025-07-01T09:00:00", "postal_code": "10001", "customer_id": "C1"}


def reused_orders(tmp_path: Path, fmt: str) -> Path:
    """The export in `fmt`: a CSV row names the store in a column, a JSON or Parquet record in
    a nested `store` object."""
    if fmt == "csv":
        rows = [{**row, **REUSED_HEAD} for row in REUSED]
        header = list(rows[0])
        return write_csv(
            tmp_path / "orders.csv", header, [[str(r[k]) for k in header] for r in rows]
        )
    records = [
        {"store": {"no": row["StoreNo"]}, **{k: v for k, v in row.items() if k != "StoreNo"},
         **REUSED_HEAD}
        for row in REUSED
    ]  # fmt: skip
    if fmt == "jsonl":
        path = tmp_path / "orders.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        return path
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "orders.parquet")
    return tmp_path / "orders.parquet"


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_orders_under_a_reused_id_at_two_stores_import_as_two_orders_with_joined_ids(
    tmp_path: Path, fmt: str
) -> None:
    from engine.simulation.mapping import parse_mapping

    store = "StoreNo" if fmt == "csv" else "store.no"
    mapping = parse_mapping({"orders": {"columns": {"order_id": [store, "OrderNo"]}}})
    sources = {**history(tmp_path), "orders": reused_orders(tmp_path, fmt)}
    report = import_history(sources, tmp_path / "ds", mapping)
    orders = {
        order["id"]: [(line["sku"], line["quantity"]) for line in order["lines"]]
        for order in Dataset(tmp_path / "ds").records("orders")
    }
    assert orders == {"12-1001": [("S1", 1), ("S2", 2)], "40-1001": [("S2", 1)]}
    assert report.counts["orders"] == 2


def test_a_bad_line_skips_only_its_stores_order_of_a_reused_id(tmp_path: Path) -> None:
    from engine.simulation.mapping import parse_mapping

    rows = [
        ["12", "1001", "2025-07-01T09:00:00", "10001", "S1", "1"],
        ["40", "1001", "2025-07-01T09:00:00", "10001", "S2", "1"],
        ["12", "1001", "2025-07-01T09:00:00", "10001", "S2", "two"],
    ]
    header = ["StoreNo", "OrderNo", "created_at", "postal_code", "sku", "quantity"]
    sources = {**history(tmp_path), "orders": write_csv(tmp_path / "orders.csv", header, rows)}
    mapping = parse_mapping({"orders": {"columns": {"order_id": ["StoreNo", "OrderNo"]}}})
    report = import_history(sources, tmp_path / "ds", mapping, keep_going=True)
    assert [order["id"] for order in Dataset(tmp_path / "ds").records("orders")] == ["40-1001"]
    assert [str(error) for error in report.errors] == [
        "orders.csv line 4: quantity: 'two' is not a valid whole number"
    ]


@pytest.mark.parametrize(
    ("fmt", "refusal"),
    [
        ("csv", "orders.csv has no column 'Store' (did you mean 'StoreNo'?)"),
        ("parquet", "orders.parquet has no column 'Store'"),
        ("jsonl", "no record in orders.jsonl has 'Store'"),
    ],
)
def test_a_joined_column_the_file_lacks_is_refused_naming_the_mapping_key_and_the_column(
    tmp_path: Path, fmt: str, refusal: str
) -> None:
    # An optional field: a required one's missing part is its first JSON line's own error
    # (see test_mapping), while an optional one's would leave every order without it unsaid.
    from engine.simulation.mapping import parse_mapping

    columns = {"order_id": ["StoreNo" if fmt == "csv" else "store.no", "OrderNo"],
               "customer_id": ["OrderNo", "Store"]}  # fmt: skip
    mapping = parse_mapping({"orders": {"columns": columns}}, "map.yaml")
    sources = {**history(tmp_path), "orders": reused_orders(tmp_path, fmt)}
    with pytest.raises(SimulationError) as refused:
        import_history(sources, tmp_path / "ds", mapping, keep_going=True)
    assert str(refused.value).startswith(f"map.yaml: orders.columns.customer_id: {refusal}")
    assert str(refused.value).endswith("; nothing was imported")
    assert not (tmp_path / "ds").exists()
