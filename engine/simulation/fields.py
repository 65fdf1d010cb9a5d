"""Ordo's import fields per kind of history file, and how a raw cell becomes a typed value.

Every file kind (orders, locations, stock, receipts, products, customers) lists the fields Ordo
understands, their type, and whether they are required. A mapping file may only name these
fields, so a typo in a mapping is caught before the first row is read. Conversions raise
`BadValue` with a sentence the row-level error report can show as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from engine.domain.values import FIRST_DAY, LAST_DAY

KINDS = ("orders", "locations", "stock", "receipts", "products", "customers")
# Far above any real order line, stock level, capacity, price or weight, and low enough that an
# order's total of five such lines still fits the 28 digits money is computed to: a typo of
# 1e26 must be a row error here, not an arithmetic error halfway through a replay.
MOST = 1_000_000_000


class BadValue(ValueError):
    """A cell cannot be converted; the message names the field and the offending value."""


# Longer than any id, SKU, name or code an export holds: a cell past it is a column shifted
# into the wrong place (or a file read with the wrong delimiter), refused as such.
LONGEST_TEXT = 1_000
# How much of a bad cell an error message quotes: enough to recognise it, never the whole
# of a megabyte-long cell, which errors.csv and the terminal would otherwise repeat.
QUOTED = 60


def quoted(value: object) -> str:
    """`repr(value)`, cut to about `QUOTED` characters with how long the whole is."""
    shown = repr(value)
    if len(shown) <= QUOTED:
        return shown
    size = f"{len(value):,} characters" if isinstance(value, str | bytes) else "in all"
    return f"{shown[: QUOTED - 3]}... ({size})"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    # str | int | decimal | float | bool | date | datetime | time | list, or a code the rules
    # compare as written: country (ISO 3166-1 alpha-2), currency (ISO 4217), service_level
    type: str
    required: bool = False
    default: Any = None
    # Bounds of a number field, checked by `convert` (None: unbounded).
    least: int | None = None
    most: int | None = None


def _fields(*items: Field) -> dict[str, Field]:
    return {item.name: item for item in items}


FIELDS: dict[str, dict[str, Field]] = {
    "orders": _fields(
        Field("order_id", "str", required=True),
        Field("created_at", "datetime", required=True),
        Field("channel", "str", default="web"),
        Field("customer_id", "str", default=""),
        # Required unless a customers file gives the customer's ship-to postal code.
        Field("postal_code", "str", default=""),
        Field("country", "country", default="US"),
        Field("service_level", "service_level", default="standard"),
        Field("requested_date", "date"),
        Field("priority", "int", default=0, least=-MOST, most=MOST),
        Field("customer_tier", "str", default=""),
        Field("currency", "currency", default="USD"),
        Field("email", "str", default=""),
        Field("line_id", "str", default=""),
        Field("sku", "str", required=True),
        Field("quantity", "int", required=True, least=1, most=MOST),
        Field("price", "decimal", default=Decimal("0"), least=0, most=MOST),
    ),
    "locations": _fields(
        Field("code", "str", required=True),
        Field("name", "str", default=""),
        Field("type", "str", default="warehouse"),
        Field("postal_code", "str", default=""),
        Field("country", "country", default="US"),
        Field("lat", "float"),
        Field("lon", "float"),
        Field("daily_capacity", "int", default=1000, least=0, most=MOST),
        Field("cutoff", "time", default=time(15, 0)),
        Field("tags", "list", default=()),
        Field("services", "list", default=("ship",)),
        Field("enabled", "bool", default=True),
    ),
    "stock": _fields(
        Field("sku", "str", required=True),
        Field("location_code", "str", required=True),
        Field("on_hand", "int", required=True, least=0, most=MOST),
        Field("safety_stock", "int", default=0, least=0, most=MOST),
    ),
    "receipts": _fields(
        Field("sku", "str", required=True),
        Field("location_code", "str", required=True),
        Field("quantity", "int", required=True, least=1, most=MOST),
        Field("expected_on", "date", required=True),
        Field("kind", "str", default="purchase_order"),
        Field("reference", "str", default=""),
    ),
    "products": _fields(
        Field("sku", "str", required=True),
        Field("name", "str", default=""),
        Field("price", "decimal", default=Decimal("0"), least=0, most=MOST),
        Field("weight_kg", "float", default=0.0, least=0, most=MOST),
        Field("hazmat", "bool", default=False),
        Field("category", "str", default=""),
        Field("tags", "list", default=()),
        Field("dropship_vendor", "str"),
        Field("preorder_release", "date"),
    ),
    "customers": _fields(
        Field("customer_id", "str", required=True),
        Field("postal_code", "str", required=True),
        Field("country", "country", default="US"),
        Field("tier", "str", default="standard"),
        Field("group", "str", default=""),
        Field("email", "str", default=""),
    ),
}

_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n", ""}


@dataclass(frozen=True, slots=True)
class Formats:
    """How the source writes dates and lists: from the mapping file, with ISO defaults."""

    datetime_format: str | None = None
    date_format: str | None = None
    timezone: tzinfo = UTC
    list_separator: str = "|"
    # "," for exports that write 9,50: then "." is the thousands separator instead.
    decimal_separator: str = "."


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(field: Field, value: Any, formats: Formats) -> Any:
    """One cell to its typed value within the field's bounds; blank cells were already replaced
    by defaults upstream."""
    try:
        result = _CONVERTERS[field.type](value, formats)
    except _OutOfRange as error:
        raise BadValue(_bound_problem(field, error.number)) from None
    except BadValue as error:
        raise BadValue(f"{field.name}: {error}") from None
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        raise BadValue(
            f"{field.name}: {quoted(value)} is not a valid {_NOUNS[field.type]}"
        ) from None
    if (field.least is not None and result < field.least) or (
        field.most is not None and result > field.most
    ):
        raise BadValue(_bound_problem(field, result))
    return result


def _refuse_nested(value: Any, wanted: str) -> None:
    """A JSON or Parquet list or object where one value belongs: its Python repr would
    otherwise pass for a SKU or an order id."""
    if isinstance(value, dict | list | tuple):
        what = "an object" if isinstance(value, dict) else "a list"
        raise BadValue(f"expected {wanted}, got {what} {quoted(value)}")


class _OutOfRange(Exception):
    """A number too large to build as an int (a billion digits take minutes): it is out of
    every field's bounds, so the bounds are what the row error states."""

    def __init__(self, number: Decimal) -> None:
        super().__init__(str(number))
        self.number = number


def _bound_problem(field: Field, number: int | float | Decimal) -> str:
    shown = _shown(number)
    if field.least is not None and number < field.least:
        if field.least == 1:
            return f"{field.name} must be positive, got {shown}"
        if field.least == 0:
            return f"{field.name} cannot be negative, got {shown}"
        return f"{field.name} {shown} is under {field.least:,}: surely a mistake"
    if field.most is not None:
        return f"{field.name} {shown} is over {field.most:,}: surely a mistake"
    return f"{field.name}: {shown} is too large a number"


def _shown(number: int | float | Decimal) -> str:
    """A number as written, or in short when it runs to more digits than a person reads (or
    than `str` of an int will write)."""
    if isinstance(number, int) and number.bit_length() > 200:
        return f"{Decimal(number):.3E}"
    text = str(number)
    return f"{number:.3E}" if len(text) > 60 else text


def _to_str(value: Any, _: Formats) -> str:
    text = _text(value)
    if len(text) > LONGEST_TEXT:
        raise BadValue(
            f"{quoted(text)} is {len(text):,} characters long, more than {LONGEST_TEXT:,}: "
            "surely a column out of place"
        )
    return text


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bytes):
        # A Parquet binary column written where a string column was meant.
        try:
            return value.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise BadValue(f"{value[:40]!r} is binary data, not text") from None
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets and Parquet turn codes like 02134 into numbers; keep them readable.
        return str(int(value))
    _refuse_nested(value, "one value")
    return str(value).strip()


# Thousands separators only where they group thousands: with '.' for decimals, '1,5' is a
# comma typed for a decimal point (or the wrong decimal_separator), not fifteen.
_GROUPED = {
    ".": re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"),
    ",": re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?"),
}
# Past this many digits an integer is over every field's bound: refused before `int()` builds
# it (int("1e999999999") would take minutes, and over 4,300 digits `int()` refuses anyway).
_MOST_DIGITS = 18


def _number_text(value: Any, formats: Formats) -> str:
    text = str(value).strip()
    if "_" in text:
        # Python reads 1_000 as a thousand; no export means that.
        raise BadValue(f"{quoted(value)} is not a number ('_' is not a digit)")
    thousands = "." if formats.decimal_separator == "," else ","
    if thousands in text and not _GROUPED[formats.decimal_separator].fullmatch(text):
        raise BadValue(
            f"{quoted(value)} is not a number: {thousands!r} must group thousands "
            f"(the mapping's decimal_separator is {formats.decimal_separator!r})"
        )
    if formats.decimal_separator == ",":
        return text.replace(".", "").replace(",", ".")
    return text.replace(",", "")


def _to_int(value: Any, formats: Formats) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    text = str(value).strip()
    if len(text) <= _MOST_DIGITS and text.isascii() and text.isdigit():
        return int(text)  # nearly every cell: plain digits need no Decimal
    text = _number_text(value, formats)
    number = Decimal(text)
    if not number.is_finite():
        raise ValueError(value)
    if number.adjusted() > _MOST_DIGITS:
        raise _OutOfRange(number)
    if "e" in text.lower():
        # A count is never written 1e3 by an export; a spreadsheet's rounded display is.
        raise BadValue(f"{quoted(value)} is not a whole number like 1000 (write it without 'e')")
    if number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def _to_decimal(value: Any, formats: Formats) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)
    # A JSON or Parquet float may be NaN or infinite, like the text 'NaN'.
    number = (
        Decimal(str(value))
        if isinstance(value, int | float)
        else Decimal(_number_text(value, formats))
    )
    if not number.is_finite():
        raise ValueError(value)
    return number


def _to_float(value: Any, formats: Formats) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    number = value if isinstance(value, int | float) else float(_number_text(value, formats))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return float(number)


def _to_bool(value: Any, _: Formats) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(f"{quoted(value)} is not yes/no (use true/false, yes/no or 1/0)")


def _refuse_number(value: Any, fmt: str | None, setting: str) -> None:
    """A JSON or Parquet number where a date belongs, with no format saying how to read it:
    str(20250701) reads as ISO 8601's basic form, a day, yet the same column's 1751328000
    (seconds since 1970) would be refused; neither is a guess to make silently."""
    if fmt is None and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise BadValue(
            f"{quoted(value)} is a number, not a date: write dates as text (ISO 8601, such "
            f"as 2025-07-01), or set {setting} in the mapping (such as '%Y%m%d')"
        )


def _to_datetime(value: Any, formats: Formats) -> datetime:
    _refuse_number(value, formats.datetime_format, "datetime_format")
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif formats.datetime_format:
        moment = datetime.strptime(str(value).strip(), formats.datetime_format)
    else:
        moment = datetime.fromisoformat(str(value).strip())
    # Before the time zone is applied: 9999-12-31T23:00-05:00 falls off the calendar in UTC.
    _on_calendar(moment.date(), value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=formats.timezone)
    return moment.astimezone(UTC)


def _to_date(value: Any, formats: Formats) -> date:
    _refuse_number(value, formats.date_format, "date_format")
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = str(value).strip()
        if formats.date_format:
            day = _strptime_date(text, formats.date_format)
        elif len(text) > 10 and text[10] in "T ":
            day = date.fromisoformat(text[:10])
        else:
            day = date.fromisoformat(text)
    _on_calendar(day, value)
    return day


def _on_calendar(day: date, value: Any) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        shown = value.isoformat() if isinstance(value, date) else str(value).strip()
        raise BadValue(
            f"{quoted(shown)} is not a day from {FIRST_DAY} to {LAST_DAY}: surely a mistake"
        )


@lru_cache(maxsize=8192)
def _strptime_date(text: str, fmt: str) -> date:
    # Dates repeat (every receipt of a week, every line of an order): strptime is slow.
    return datetime.strptime(text, fmt).date()


def _to_time(value: Any, _: Formats) -> time:
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value).strip())


def _to_list(value: Any, formats: Formats) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, dict | list | tuple):
                raise BadValue(f"expected a list of text, but an item is {quoted(item)}")
        return tuple(str(item).strip() for item in value if not is_blank(item))
    _refuse_nested(value, "a list of text")
    parts = str(value).split(formats.list_separator)
    return tuple(part.strip() for part in parts if part.strip())


def _code(pattern: str, case: str, words: str) -> Any:
    """A converter for a code the rules compare as written (`order.ship_to.country == "US"`):
    trimmed and put in the case the API also requires, so an export's 'us' is still US, and
    anything else of the wrong shape a row error rather than an order no rule recognises."""
    shape = re.compile(pattern)

    def to_code(value: Any, formats: Formats) -> str:
        text = _to_str(value, formats)
        code = text.upper() if case == "upper" else text.lower()
        if not shape.fullmatch(code):
            raise BadValue(
                f"{quoted(text)} is not {words} (translate the export's own codes under `codes` in "
                "the mapping file)"
            )
        return code

    return to_code


_CONVERTERS = {
    "country": _code(r"[A-Z]{2}", "upper", "a two-letter ISO 3166-1 country code such as US"),
    "currency": _code(r"[A-Z]{3}", "upper", "a three-letter ISO 4217 currency code such as USD"),
    "service_level": _code(
        r"[a-z0-9][a-z0-9_]{0,31}",
        "lower",
        "a service level of letters, digits and '_' such as standard or two_day",
    ),
    "str": _to_str,
    "int": _to_int,
    "decimal": _to_decimal,
    "float": _to_float,
    "bool": _to_bool,
    "datetime": _to_datetime,
    "date": _to_date,
    "time": _to_time,
    "list": _to_list,
}

_NOUNS = {
    "country": "country code",
    "currency": "currency code",
    "service_level": "service level",
    "str": "text",
    "int": "whole number",
    "decimal": "number",
    "float": "number",
    "bool": "yes/no value",
    "datetime": "date and time (ISO 8601, or set datetime_format in the mapping)",
    "date": "date (YYYY-MM-DD, or set date_format in the mapping)",
    "time": "time of day (HH:MM)",
    "list": "list",
}
