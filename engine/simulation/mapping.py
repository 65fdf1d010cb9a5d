"""A YAML mapping from a foreign export's columns and codes to Ordo's import fields.

A user brings any system's export unedited and writes a small file like this::

    orders:
      columns: {order_id: OrderNo, created_at: Placed, sku: Item, quantity: Qty}
      codes:
        channel: {WEB: web, APP: mobile, "*": marketplace}
      defaults: {country: US}
      datetime_format: "%d/%m/%Y %H:%M"
      timezone: Europe/Berlin

Fields the mapping does not name are read from a column of the same name, so a file already in
Ordo's vocabulary needs no mapping at all. A column may be a dotted path (`ship_to.zip`) into
nested JSON records, and `lines: items` expands a record holding a list of lines into one row
per line. A code map rejects codes it does not list unless it has a `"*"` entry. Every mistake
in the mapping itself is a `MappingError` naming the file and the key, raised before any row is
read.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.simulation.errors import SimulationError
from engine.simulation.fields import FIELDS, KINDS, BadValue, Field, Formats, convert, is_blank

_SECTION_KEYS = (
    "file",
    "format",
    "columns",
    "codes",
    "defaults",
    "datetime_format",
    "date_format",
    "timezone",
    "list_separator",
    "lines",
    "delimiter",
    "encoding",
    "decimal_separator",
)


class MappingError(SimulationError):
    """The mapping file is wrong; the message names the file and the offending key."""


@dataclass(frozen=True)
class FileMapping:
    """How one file kind's source columns and codes become Ordo fields."""

    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    formats: Formats = field(default_factory=Formats)
    lines: str | None = None
    file: str | None = None
    format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"

    def rows(self, record: MappingABC[str, Any]) -> list[dict[str, Any]]:
        """One source record as typed Ordo rows (several when `lines` expands nested lines)."""
        if self.lines is None:
            return [self._row(record, None)]
        items = _lookup(record, self.lines)
        if not isinstance(items, list) or not items:
            raise BadValue(f"{self.lines}: expected a non-empty list of lines")
        for item in items:
            if not isinstance(item, dict):
                raise BadValue(f"{self.lines}: every line must be an object, got {item!r}")
        return [self._row(record, item) for item in items]

    def field_text(self, record: MappingABC[str, Any], name: str) -> str:
        """A field's value as the row's good fields get it, though another field is bad (to
        name the order a bad row belongs to): a JSON or Parquet order id of 1.0 must name
        order "1", as its good lines do, or they would replay without it."""
        value = _lookup(record, self.columns.get(name, name))
        if is_blank(value):
            return ""
        try:
            return str(self._value(FIELDS[self.kind][name], value))
        except BadValue:
            return str(value).strip()

    def has(self, record: MappingABC[str, Any], column: str) -> bool:
        """Whether a record, or with `lines` one of its lines, has `column` (blank or not)."""
        if _present(record, column):
            return True
        items = _lookup(record, self.lines) if self.lines is not None else None
        return isinstance(items, list) and any(
            isinstance(item, MappingABC) and _present(item, column) for item in items
        )

    def _row(
        self, record: MappingABC[str, Any], item: MappingABC[str, Any] | None
    ) -> dict[str, Any]:
        row: dict[str, Any] = {}
        missing: list[str] = []
        for spec in FIELDS[self.kind].values():
            source = self.columns.get(spec.name, spec.name)
            raw = _lookup(item, source) if item is not None else None
            if is_blank(raw):
                raw = _lookup(record, source)
            if is_blank(raw):
                if spec.name in self.defaults:
                    # Defaults are written in Ordo's vocabulary: no code translation.
                    row[spec.name] = convert(spec, self.defaults[spec.name], self.formats)
                elif spec.required:
                    missing.append(f"{spec.name} ({_column_problem(record, item, source)})")
                else:
                    row[spec.name] = spec.default
                continue
            row[spec.name] = self._value(spec, raw)
        if missing:
            raise BadValue(f"missing {', '.join(missing)}")
        return row

    def _value(self, spec: Field, raw: Any) -> Any:
        table = self.codes.get(spec.name)
        # A list or object is no code (a "*" entry would take its repr): `convert` refuses it.
        if table is not None and not isinstance(raw, dict | list | tuple):
            key = str(raw).strip()
            if key in table:
                raw = table[key]
            elif "*" in table:
                raw = table["*"]
            else:
                known = ", ".join(sorted(k for k in table if k != "*"))
                raise BadValue(
                    f"{spec.name}: code {key!r} is not in the mapping's codes (known: {known})"
                )
        return convert(spec, raw, self.formats)


@dataclass(frozen=True)
class Mapping:
    """The whole mapping file: one `FileMapping` per kind, identity for kinds it leaves out."""

    sections: dict[str, FileMapping] = field(default_factory=dict)
    path: Path | None = None

    def for_kind(self, kind: str) -> FileMapping:
        return self.sections.get(kind) or FileMapping(kind=kind)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file, or raise MappingError naming the file and the problem."""
    from dsl.tooling import read_yaml  # the one reader of hand-edited YAML (see its module)

    where = Path(path)
    return parse_mapping(read_yaml(where, MappingError) or {}, where)


def parse_mapping(data: Any, where: Path | str = "<mapping>") -> Mapping:
    """Check an already-parsed mapping document (see the module docstring for its shape)."""
    if not isinstance(data, dict):
        raise MappingError(f"{where}: expected sections such as 'orders:' at the top level")
    sections: dict[str, FileMapping] = {}
    for kind, body in data.items():
        if kind not in KINDS:
            raise MappingError(f"{where}: unknown section {kind!r}{did_you_mean(str(kind), KINDS)}")
        # `orders:` alone is an empty section; `orders: []` or `orders: 0` is a mistake.
        sections[kind] = _section(kind, {} if body is None else body, f"{where}: {kind}")
    return Mapping(sections=sections, path=Path(where))


def _section(kind: str, body: Any, where: str) -> FileMapping:
    if not isinstance(body, dict):
        raise MappingError(f"{where}: expected a mapping of settings")
    for key in body:
        if key not in _SECTION_KEYS:
            raise MappingError(
                f"{where}: unknown key {key!r}{did_you_mean(str(key), _SECTION_KEYS)}"
            )
    known = FIELDS[kind]
    columns = _str_dict(body.get("columns", {}), f"{where}.columns", known)
    codes_raw = body.get("codes", {})
    if not isinstance(codes_raw, dict):
        raise MappingError(f"{where}.codes: expected field: {{foreign code: ordo code}}")
    codes = {
        name: _str_dict(table, f"{where}.codes.{name}", None)
        for name, table in _checked_names(codes_raw, f"{where}.codes", known).items()
    }
    defaults = dict(_checked_names(body.get("defaults", {}), f"{where}.defaults", known))
    formats = Formats(
        datetime_format=_strptime_format(body, "datetime_format", where),
        date_format=_strptime_format(body, "date_format", where),
        timezone=_zone(body.get("timezone"), where),
        list_separator=_optional_str(body, "list_separator", where) or "|",
        decimal_separator=_decimal_separator(body, where),
    )
    for name, value in defaults.items():
        try:
            convert(known[name], value, formats)
        except BadValue as error:
            raise MappingError(f"{where}.defaults: {error}") from None
    fmt = _optional_str(body, "format", where)
    if fmt is not None and fmt not in ("csv", "jsonl", "parquet"):
        raise MappingError(f"{where}.format: must be csv, jsonl or parquet, got {fmt!r}")
    delimiter = _optional_str(body, "delimiter", where) or ","
    if len(delimiter) != 1:
        raise MappingError(f"{where}.delimiter: must be one character, got {delimiter!r}")
    encoding = _optional_str(body, "encoding", where) or "utf-8"
    try:
        # Encoding, not `codecs.lookup`: rot13 and hex are codecs too, but not for text.
        "".encode(encoding)
    except LookupError:
        raise MappingError(
            f"{where}.encoding: {encoding!r} is not a text encoding (such as utf-8, latin-1 "
            "or cp1252)"
        ) from None
    return FileMapping(
        kind=kind,
        delimiter=delimiter,
        encoding=encoding,
        columns=columns,
        codes=codes,
        defaults=defaults,
        formats=formats,
        lines=_optional_str(body, "lines", where),
        file=_optional_str(body, "file", where),
        format=fmt,
    )


def _checked_names(value: Any, where: str, known: dict[str, Field]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where}: expected a mapping keyed by Ordo field names")
    for name in value:
        if name not in known:
            raise MappingError(
                f"{where}: {name!r} is not an Ordo field{did_you_mean(str(name), known)}"
            )
    return {str(name): item for name, item in value.items()}


def _str_dict(value: Any, where: str, known: dict[str, Field] | None) -> dict[str, str]:
    if known is not None:
        value = _checked_names(value, where, known)
    if not isinstance(value, dict):
        raise MappingError(f"{where}: expected a mapping of text to text")
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(key, bool) or isinstance(item, bool):
            # YAML 1.1 reads an unquoted NO, yes, on or off as a boolean: a Norwegian country
            # code or a service code 'ON' would silently become 'False' or 'True'.
            raise MappingError(
                f"{where}: {key!r}: {item!r}: YAML reads unquoted yes/no/on/off/true/false as "
                "true or false; put the codes in quotes, e.g. 'NO': 'next_day'"
            )
        if item is None or isinstance(item, dict | list):
            raise MappingError(f"{where}.{key}: expected a single value, got {item!r}")
        out[str(key)] = str(item)
    return out


def _optional_str(body: dict[str, Any], key: str, where: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise MappingError(f"{where}.{key}: expected text, got {value!r}")
    return value


_SAMPLE_MOMENT = datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=UTC)


def _strptime_format(body: dict[str, Any], key: str, where: str) -> str | None:
    """A strptime format, checked now: a mistake in it would otherwise fail every row, each
    blamed on its value."""
    fmt = _optional_str(body, key, where)
    if fmt is None:
        return None
    try:
        datetime.strptime(_SAMPLE_MOMENT.strftime(fmt), fmt)
    except ValueError as error:
        raise MappingError(
            f"{where}.{key}: {fmt!r} is not a format dates can be read with ({error})"
        ) from None
    return fmt


def _decimal_separator(body: dict[str, Any], where: str) -> str:
    value = _optional_str(body, "decimal_separator", where) or "."
    if value not in (".", ","):
        raise MappingError(f"{where}.decimal_separator: must be '.' or ',', got {value!r}")
    return value


def _zone(name: Any, where: str) -> Any:
    if name is None:
        return Formats().timezone
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(f"{where}.timezone: unknown time zone {name!r}") from None


_ABSENT = object()


def _lookup(record: MappingABC[str, Any] | None, path: str, missing: Any = None) -> Any:
    """The value at `path` (a column, or a dotted path into nested JSON), or `missing`.
    One call per field of every row imported: kept to one function."""
    if record is None:
        return missing
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, MappingABC) or part not in value:
            return missing
        value = value[part]
    return value


def _present(record: MappingABC[str, Any] | None, path: str) -> bool:
    return _lookup(record, path, _ABSENT) is not _ABSENT


def _column_problem(
    record: MappingABC[str, Any], item: MappingABC[str, Any] | None, path: str
) -> str:
    """Why a required field found nothing: its column is blank here, or the file has no such
    column at all (then the nearest one it has, since a wrong name fails every row)."""
    if _present(item, path) or _present(record, path):
        return f"column {path!r}"
    close = difflib.get_close_matches(path, [str(key) for key in record], n=1)
    return f"no column {path!r}" + (f"; did you mean {close[0]!r}?" if close else "")


def did_you_mean(name: str, choices: Any) -> str:
    """' (did you mean ...?)' naming the nearest of `choices`, or nothing when none is near."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
