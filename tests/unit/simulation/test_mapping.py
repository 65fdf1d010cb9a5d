"""The YAML mapping: foreign columns and codes become Ordo fields, and mistakes are named."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from engine.simulation.fields import FIELDS, BadValue, Formats, convert
from engine.simulation.mapping import MappingError, load_mapping, parse_mapping


def test_foreign_columns_and_codes_become_ordo_fields() -> None:
    mapping = parse_mapping(
        {
            "orders": {
                "columns": {
                    "order_id": "OrderNo",
                    "created_at": "Placed",
                    "sku": "Item",
                    "quantity": "Qty",
                },
                "codes": {"channel": {"WEB": "web", "*": "marketplace"}},
                "datetime_format": "%d/%m/%Y %H:%M",
                "timezone": "Europe/Berlin",
            }
        }
    )
    [row] = mapping.for_kind("orders").rows(
        {
            "OrderNo": "A1",
            "Placed": "02/07/2025 10:30",
            "Item": "SKU-1",
            "Qty": "3",
            "channel": "EBAY",
        }
    )
    assert row["order_id"] == "A1"
    assert row["created_at"] == datetime(2025, 7, 2, 8, 30, tzinfo=UTC)
    assert row["quantity"] == 3
    assert row["channel"] == "marketplace"
    assert row["price"] == Decimal("0")


def test_a_code_the_mapping_does_not_list_is_a_bad_value_naming_the_known_codes() -> None:
    mapping = parse_mapping({"orders": {"codes": {"channel": {"WEB": "web", "APP": "mobile"}}}})
    record = {
        "order_id": "A",
        "created_at": "2025-07-01T00:00:00",
        "sku": "S",
        "quantity": "1",
        "channel": "FAX",
    }
    with pytest.raises(
        BadValue, match=r"code 'FAX' is not in the mapping's codes \(known: APP, WEB\)"
    ):
        mapping.for_kind("orders").rows(record)


def test_a_missing_required_column_names_the_field_the_column_and_the_nearest_one() -> None:
    mapping = parse_mapping({"orders": {"columns": {"sku": "Item"}}})
    with pytest.raises(
        BadValue, match=r"missing sku \(no column 'Item'; did you mean 'Items'\?\)$"
    ):
        mapping.for_kind("orders").rows(
            {"order_id": "A", "created_at": "2025-07-01", "quantity": "1", "Items": "S1"}
        )


def test_a_blank_required_cell_names_the_field_and_its_column() -> None:
    mapping = parse_mapping({"orders": {"columns": {"sku": "Item"}}})
    with pytest.raises(BadValue, match=r"missing sku \(column 'Item'\)$"):
        mapping.for_kind("orders").rows(
            {"order_id": "A", "created_at": "2025-07-01", "quantity": "1", "Item": " "}
        )


def test_nested_json_lines_expand_into_one_row_per_line() -> None:
    mapping = parse_mapping(
        {
            "orders": {
                "lines": "items",
                "columns": {"postal_code": "ship_to.zip", "sku": "code", "quantity": "n"},
            }
        }
    )
    rows = mapping.for_kind("orders").rows(
        {
            "order_id": "B7",
            "created_at": "2025-07-01T09:00:00+00:00",
            "ship_to": {"zip": "10001"},
            "items": [{"code": "S1", "n": 1}, {"code": "S2", "n": 4}],
        }
    )
    assert [(row["sku"], row["quantity"], row["postal_code"]) for row in rows] == [
        ("S1", 1, "10001"),
        ("S2", 4, "10001"),
    ]


def test_an_unknown_field_in_the_mapping_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("orders:\n  columns:\n    postcode: Zip\n", encoding="utf-8")
    with pytest.raises(
        MappingError, match=r"map.yaml: orders.columns: 'postcode' is not an Ordo field"
    ):
        load_mapping(path)


def test_an_unknown_section_and_a_bad_time_zone_are_refused() -> None:
    with pytest.raises(MappingError, match=r"unknown section 'order' \(did you mean 'orders'\?\)"):
        parse_mapping({"order": {}})
    with pytest.raises(MappingError, match=r"unknown time zone 'Mars/Olympus'"):
        parse_mapping({"orders": {"timezone": "Mars/Olympus"}})


def test_broken_yaml_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("orders:\n  columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"map.yaml:3:1: not valid YAML \(expected"):
        load_mapping(path)


def test_a_mapping_nested_too_deeply_to_read_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("orders:\n  columns: " + "[" * 2000 + "]" * 2000 + "\n", encoding="utf-8")
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    assert str(raised.value) == f"{path}: nested too deeply to be read"


def test_a_missing_or_latin_1_mapping_file_is_refused_in_the_words_rule_files_get(
    tmp_path: Path,
) -> None:
    with pytest.raises(MappingError) as missing:
        load_mapping(tmp_path / "nowhere.yaml")
    assert str(missing.value) == f"{tmp_path / 'nowhere.yaml'}: cannot read this file: no such file"
    latin = tmp_path / "map.yaml"
    latin.write_bytes("orders:\n  codes: {Café: x}\n".encode("latin-1"))
    with pytest.raises(MappingError) as undecodable:
        load_mapping(latin)
    assert str(undecodable.value) == (
        f"{latin}: cannot read this file: not UTF-8 text (byte 0xe9 at offset 21)"
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"encoding": "rot13"}, "orders.encoding: 'rot13' is not a text encoding"),
        ([], "orders: expected a mapping of settings"),
        (0, "orders: expected a mapping of settings"),
        (
            {"datetime_format": "%Q"},
            "orders.datetime_format: '%Q' is not a format dates can be read",
        ),
        ({"date_format": "%d.%m.%Q"}, "orders.date_format: '%d.%m.%Q' is not a format dates"),
        ({"codes": {"service_level": {False: "next_day"}}}, "put the codes in quotes"),
        ({"codes": {"country": {"Norway": False}}}, "put the codes in quotes"),
    ],
)
def test_a_mapping_mistake_is_named_before_any_row_is_blamed_for_it(
    section: object, message: str
) -> None:
    with pytest.raises(MappingError) as raised:
        parse_mapping({"orders": section})
    assert message in str(raised.value)


def test_a_section_left_empty_and_working_formats_are_accepted() -> None:
    mapping = parse_mapping(
        {
            "stock": None,
            "orders": {"datetime_format": "%d/%m/%y %I:%M %p%z", "date_format": "%d.%m.%Y"},
        }
    )
    assert mapping.for_kind("orders").formats.datetime_format == "%d/%m/%y %I:%M %p%z"


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [("1,500", ".", 1500), ("1,234.56", ".", "1234.56"), ("1.234,56", ",", "1234.56")],
)
def test_thousands_separators_that_group_thousands_are_read(
    text: str, separator: str, expected: object
) -> None:
    formats = Formats(decimal_separator=separator)
    kind = "quantity" if isinstance(expected, int) else "price"
    assert str(convert(FIELDS["orders"][kind], text, formats)) == str(expected)


@pytest.mark.parametrize(("text", "separator"), [("1,5", "."), ("2,50", "."), ("2.5", ",")])
def test_a_decimal_written_with_the_other_separator_is_refused_not_read_as_thousands(
    text: str, separator: str
) -> None:
    with pytest.raises(BadValue, match="must group thousands"):
        convert(FIELDS["orders"]["price"], text, Formats(decimal_separator=separator))


def test_text_in_a_binary_parquet_column_is_read_as_text_and_other_bytes_refused() -> None:
    postal = FIELDS["orders"]["postal_code"]
    assert convert(postal, b"10001", Formats()) == "10001"
    with pytest.raises(BadValue, match=r"postal_code: b'\\xff\\xfe' is binary data, not text"):
        convert(postal, b"\xff\xfe", Formats())


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("country", " us", "US"),
        ("currency", "eur", "EUR"),
        ("service_level", "Two_Day ", "two_day"),
        ("service_level", "2DAY", "2day"),
    ],
)
def test_codes_the_rules_compare_are_put_in_the_case_the_rules_write_them(
    field: str, text: str, expected: str
) -> None:
    assert convert(FIELDS["orders"][field], text, Formats()) == expected


@pytest.mark.parametrize(
    ("kind", "field", "text", "words"),
    [
        ("orders", "country", "USA", "a two-letter ISO 3166-1 country code such as US"),
        ("customers", "country", "U.S.", "a two-letter ISO 3166-1 country code such as US"),
        ("locations", "country", "", "a two-letter ISO 3166-1 country code such as US"),
        ("orders", "currency", "US$", "a three-letter ISO 4217 currency code such as USD"),
        ("orders", "service_level", "two day", "a service level of letters, digits and '_'"),
    ],
)
def test_a_code_of_the_wrong_shape_is_a_bad_value_pointing_to_the_mappings_codes(
    kind: str, field: str, text: str, words: str
) -> None:
    with pytest.raises(BadValue) as refused:
        convert(FIELDS[kind][field], text, Formats())
    assert str(refused.value).startswith(f"{field}: {text!r} is not {words}")
    assert "under `codes` in the mapping file" in str(refused.value)


# Fields joined from several columns (exports that reuse order ids per store or per year)

JOINED = {"order_id": ["StoreNo", "OrderNo"], "sku": "Item", "quantity": "Qty"}


def test_a_list_of_columns_joins_their_values_with_a_dash_into_one_text_field() -> None:
    section = parse_mapping({"orders": {"columns": JOINED}}).for_kind("orders")
    record = {"StoreNo": "12", "OrderNo": " 1001", "created_at": "2025-07-01", "Item": "S1",
              "Qty": "1"}  # fmt: skip
    [row] = section.rows(record)
    assert row["order_id"] == "12-1001"
    assert section.field_text(record, "order_id") == "12-1001"
    assert section.named_columns() == [
        ("order_id", "StoreNo"),
        ("order_id", "OrderNo"),
        ("sku", "Item"),
        ("quantity", "Qty"),
    ]


def test_joined_json_numbers_and_dotted_paths_read_as_the_text_they_are_written_as() -> None:
    columns = {**JOINED, "order_id": ["store.no", "OrderNo"]}
    section = parse_mapping({"orders": {"columns": columns}}).for_kind("orders")
    record = {"store": {"no": 12.0}, "OrderNo": 1001, "created_at": "2025-07-01", "Item": "S1",
              "Qty": 1}  # fmt: skip
    [row] = section.rows(record)
    assert row["order_id"] == "12-1001"
    assert section.field_text({**record, "Qty": "two"}, "order_id") == "12-1001"


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"StoreNo": " ", "OrderNo": "1001"}, "'StoreNo' is blank"),
        ({"StoreNo": None, "OrderNo": ""}, "'StoreNo' is blank, 'OrderNo' is blank"),
        ({"StoreNr": "12", "OrderNo": "1001"}, "no column 'StoreNo'; did you mean 'StoreNr'?"),
    ],
)
def test_a_blank_part_leaves_a_joined_field_missing_naming_the_blank_column_not_a_shorter_id(
    record: dict[str, object], problem: str
) -> None:
    section = parse_mapping({"orders": {"columns": JOINED}}).for_kind("orders")
    record = {**record, "created_at": "2025-07-01", "Item": "S1", "Qty": "1"}
    with pytest.raises(BadValue) as refused:
        section.rows(record)
    assert str(refused.value) == (
        f"missing order_id (joined from 'StoreNo' and 'OrderNo': {problem})"
    )
    assert section.field_text(record, "order_id") == ""


def test_an_optional_joined_field_with_a_blank_part_takes_its_default() -> None:
    record = {"order_id": "A", "created_at": "2025-07-01", "sku": "S1", "quantity": "1",
              "Region": "", "CustNo": "77"}  # fmt: skip
    columns = {"customer_id": ["Region", "CustNo"]}
    plain = parse_mapping({"orders": {"columns": columns}}).for_kind("orders")
    assert plain.rows(record)[0]["customer_id"] == ""
    given = parse_mapping({"orders": {"columns": columns, "defaults": {"customer_id": "guest"}}})
    assert given.for_kind("orders").rows(record)[0]["customer_id"] == "guest"
    assert plain.rows({**record, "Region": "EU"})[0]["customer_id"] == "EU-77"


def test_codes_translate_the_joined_text_and_a_missing_code_names_the_joined_columns() -> None:
    mapping = parse_mapping(
        {
            "orders": {
                "columns": {"service_level": ["Carrier", "Speed"]},
                "codes": {"service_level": {"UPS-EXP": "next_day", "UPS-STD": "standard"}},
            }
        }
    )
    record = {"order_id": "A", "created_at": "2025-07-01", "sku": "S1", "quantity": "1",
              "Carrier": "UPS", "Speed": "EXP"}  # fmt: skip
    section = mapping.for_kind("orders")
    assert section.rows(record)[0]["service_level"] == "next_day"
    with pytest.raises(BadValue) as refused:
        section.rows({**record, "Carrier": "DHL"})
    assert str(refused.value) == (
        "service_level (joined from 'Carrier' and 'Speed'): code 'DHL-EXP' is not in the "
        "mapping's codes (known: UPS-EXP, UPS-STD)"
    )


def test_a_joined_part_that_is_a_json_list_is_a_bad_value_naming_the_part() -> None:
    section = parse_mapping({"orders": {"columns": JOINED}}).for_kind("orders")
    with pytest.raises(BadValue) as refused:
        section.rows({"StoreNo": [1, 2], "OrderNo": "1001", "created_at": "2025-07-01",
                      "Item": "S1", "Qty": "1"})  # fmt: skip
    assert str(refused.value) == (
        "order_id (joined from 'StoreNo' and 'OrderNo'): 'StoreNo': expected one value, got a "
        "list [1, 2]"
    )


def test_with_lines_each_joined_part_comes_from_the_line_or_else_the_record() -> None:
    section = parse_mapping(
        {"orders": {"lines": "items", "columns": {"sku": ["vendor", "code"], "quantity": "n"}}}
    ).for_kind("orders")
    rows = section.rows(
        {
            "order_id": "B7",
            "created_at": "2025-07-01T09:00:00+00:00",
            "vendor": "ACME",
            "items": [{"code": "S1", "n": 1}, {"code": "S2", "n": 4, "vendor": "BOLT"}],
        }
    )
    assert [row["sku"] for row in rows] == ["ACME-S1", "BOLT-S2"]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            {"quantity": ["Qty", "Unit"]},
            "orders.columns.quantity: a list joins columns into text, and quantity is a whole "
            "number; name one column",
        ),
        (
            {"created_at": ["Day", "Time"]},
            "orders.columns.created_at: a list joins columns into text, and created_at is a "
            "date and time",
        ),
        ({"price": ["Euros", "Cents"]}, "orders.columns.price: a list joins columns into text"),
        (
            {"order_id": ["OrderNo"]},
            "orders.columns.order_id: a list joins two or more columns, got ['OrderNo']; name a "
            "single column without brackets",
        ),
        (
            {"order_id": ["StoreNo", None]},
            "orders.columns.order_id: expected column names to join, got None",
        ),
        (
            {"order_id": ["StoreNo", ["OrderNo"]]},
            "orders.columns.order_id: expected column names to join, got ['OrderNo']",
        ),
        (
            {"country": ["Region", "Country"]},
            "orders.columns.country: joined columns give text such as 'A-1', which is no "
            "country; translate it under codes.country",
        ),
    ],
)
def test_a_list_of_columns_where_joining_cannot_work_is_refused_naming_file_and_key(
    columns: dict[str, object], message: str
) -> None:
    with pytest.raises(MappingError) as raised:
        parse_mapping({"orders": {"columns": columns}}, "map.yaml")
    assert str(raised.value).startswith(f"map.yaml: {message}")


def test_a_list_for_a_locations_number_is_refused_from_the_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("locations:\n  columns:\n    daily_capacity: [A, B]\n", encoding="utf-8")
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    assert str(raised.value).startswith(
        f"{path}: locations.columns.daily_capacity: a list joins columns into text"
    )
