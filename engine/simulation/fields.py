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

KINDS = ("orders", "locations", "stock", "receipts", "products", "customers")


class BadValue(ValueError):
    """A cell cannot be converted; the message names the field and the offending value."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    # str | int | decimal | float | bool | date | datetime | time | list, or a code the rules
    # compare as written: country (ISO 3166-1 alpha-2), currency (ISO 4217), service_level
    type: str
    required: bool = False
    default: Any = None


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
        Field("priority", "int", default=0),
        Field("customer_tier", "str", default=""),
        Field("currency", "currency", default="USD"),
        Field("email", "str", default=""),
        Field("line_id", "str", default=""),
        Field("sku", "str", required=True),
        Field("quantity", "int", required=True),
        Field("price", "decimal", default=Decimal("0")),
    ),
    "locations": _fields(
        Field("code", "str", required=True),
        Field("name", "str", default=""),
        Field("type", "str", default="warehouse"),
        Field("postal_code", "str", default=""),
        Field("country", "country", default="US"),
        Field("lat", "float"),
        Field("lon", "float"),
        Field("daily_capacity", "int", default=1000),
        Field("cutoff", "time", default=time(15, 0)),
        Field("tags", "list", default=()),
        Field("services", "list", default=("ship",)),
        Field("enabled", "bool", default=True),
    ),
    "stock": _fields(
        Field("sku", "str", required=True),
        Field("location_code", "str", required=True),
        Field("on_hand", "int", required=True),
        Field("safety_stock", "int", default=0),
    ),
    "receipts": _fields(
        Field("sku", "str", required=True),
        Field("location_code", "str", required=True),
        Field("quantity", "int", required=True),
        Field("expected_on", "date", required=True),
        Field("kind", "str", default="purchase_order"),
        Field("reference", "str", default=""),
    ),
    "products": _fields(
        Field("sku", "str", required=True),
        Field("name", "str", default=""),
        Field("price", "decimal", default=Decimal("0")),
        Field("weight_kg", "float", default=0.0),
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
    """One cell to its typed value; blank cells were already replaced by defaults upstream."""
    try:
        return _CONVERTERS[field.type](value, formats)
    except BadValue as error:
        raise BadValue(f"{field.name}: {error}") from None
    except (ValueError, TypeError, InvalidOperation, OverflowError):
        raise BadValue(f"{field.name}: {value!r} is not a valid {_NOUNS[field.type]}") from None


def _to_str(value: Any, _: Formats) -> str:
    if isinstance(value, bytes):
        # A Parquet binary column written where a string column was meant.
        try:
            return value.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise BadValue(f"{value[:40]!r} is binary data, not text") from None
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets and Parquet turn codes like 02134 into numbers; keep them readable.
        return str(int(value))
    return str(value).strip()


# Thousands separators only where they group thousands: with '.' for decimals, '1,5' is a
# comma typed for a decimal point (or the wrong decimal_separator), not fifteen.
_GROUPED = {
    ".": re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?"),
    ",": re.compile(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?"),
}


def _number_text(value: Any, formats: Formats) -> str:
    text = str(value).strip()
    thousands = "." if formats.decimal_separator == "," else ","
    if thousands in text and not _GROUPED[formats.decimal_separator].fullmatch(text):
        raise BadValue(
            f"{value!r} is not a number: {thousands!r} must group thousands "
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
    number = Decimal(_number_text(value, formats))
    if number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def _to_decimal(value: Any, formats: Formats) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        return Decimal(str(value))
    number = Decimal(_number_text(value, formats))
    if not number.is_finite():
        raise ValueError(value)
    return number


def _to_float(value: Any, formats: Formats) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    number = value if isinstance(value, int | float) else float(_number_text(value, formats))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return number


def _to_bool(value: Any, _: Formats) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(f"{value!r} is not yes/no (use true/false, yes/no or 1/0)")


def _to_datetime(value: Any, formats: Formats) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif formats.datetime_format:
        moment = datetime.strptime(str(value).strip(), formats.datetime_format)
    else:
        moment = datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=formats.timezone)
    return moment.astimezone(UTC)


def _to_date(value: Any, formats: Formats) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if formats.date_format:
        return _strptime_date(text, formats.date_format)
    return (
        date.fromisoformat(text[:10])
        if len(text) > 10 and text[10] in "T "
        else date.fromisoformat(text)
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
        return tuple(str(item).strip() for item in value if not is_blank(item))
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
                f"{text!r} is not {words} (translate the export's own codes under `codes` in "
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
