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
per line. A text field may join several columns (`order_id: [StoreNo, OrderNo]` reads store 12's
order 1001 as "12-1001"), for exports that reuse ids per store or per year. A code map rejects
codes it does not list unless it has a `"*"` entry. Every mistake in the mapping itself is a
`MappingError` naming the file and the key, raised before any row is read.
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
# What a joined field's parts are joined with: readable ("12-1001"), one token in a URL, a
# file name or a spreadsheet, and neither a CSV delimiter nor the list separator. Not a
# setting: the joined text only has to tell orders apart and be recognisable in the reports.
JOINED_BY = "-"
# Fields a list of columns may fill: text, and the codes the rules compare, whose joined text
# (which holds a "-" no such code has) the mapping's `codes` must translate.
_JOINABLE = ("str", "country", "currency", "service_level")
_NOT_TEXT = {
    "int": "a whole number",
    "decimal": "a number",
    "float": "a number",
    "bool": "yes or no",
    "date": "a date",
    "datetime": "a date and time",
    "time": "a time of day",
    "list": "a list",
}


class MappingError(SimulationError):
    """The mapping file is wrong; the message names the file and the offending key."""


@dataclass(frozen=True, slots=True)
class _Join:
    """A field whose text is several columns' values joined by `JOINED_BY`."""

    spec: Field
    # Each column, and the text field its value is read as (whatever the joined field's type):
    # a JSON or Parquet store number 12.0 must join as "12", as it would name order "12".
    parts: tuple[tuple[str, Field], ...]

    def text(
        self,
        record: MappingABC[str, Any],
        item: MappingABC[str, Any] | None,
        formats: Formats,
        *,
        lenient: bool = False,
    ) -> str | None:
        """The joined text, or None when a part is blank: never a shorter text, which could be
        another order's id. `lenient` takes a part that is no text as written."""
        texts: list[str] = []
        for column, reader in self.parts:
            raw = _part(record, item, column)
            if is_blank(raw):
                return None
            try:
                texts.append(convert(reader, raw, formats))
            except BadValue:
                if not lenient:
                    raise
                texts.append(str(raw).strip())
        return JOINED_BY.join(texts)

    def blank(self, record: MappingABC[str, Any], item: MappingABC[str, Any] | None) -> str:
        """Which parts left the field blank: blank cells, or columns the record lacks."""
        problems = [
            f"{column!r} is blank"
            if _present(item, column) or _present(record, column)
            else _absent(record, column)
            for column, _ in self.parts
            if is_blank(_part(record, item, column))
        ]
        return f"{self.described()}: {', '.join(problems)}"

    def explain(self, error: BadValue) -> BadValue:
        """`error` about the field, or about one of its parts, naming the columns joined."""
        reason = str(error)
        if reason.startswith(f"{self.spec.name}:"):
            reason = reason.removeprefix(f"{self.spec.name}:").lstrip()
        return BadValue(f"{self.spec.name} ({self.described()}): {reason}")

    def described(self) -> str:
        names = [repr(column) for column, _ in self.parts]
        return f"joined from {', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class FileMapping:
    """How one file kind's source columns and codes become Ordo fields."""

    kind: str
    # A field's column, or the columns whose values are joined into its text.
    columns: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    formats: Formats = field(default_factory=Formats)
    lines: str | None = None
    file: str | None = None
    format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8"
    # Worked out once from `columns`: `_row` runs for every row of a history of millions, and
    # a mapping that joins no columns must not pay for the ones that do.
    _single: tuple[tuple[Field, str], ...] = field(init=False, repr=False, compare=False)
    _joined: dict[str, _Join] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        single: list[tuple[Field, str]] = []
        joined: dict[str, _Join] = {}
        for spec in FIELDS[self.kind].values():
            source = self.columns.get(spec.name, spec.name)
            if isinstance(source, str):
                single.append((spec, source))
            else:
                parts = tuple((column, Field(repr(column), "str")) for column in source)
                joined[spec.name] = _Join(spec, parts)
        object.__setattr__(self, "_single", tuple(single))
        object.__setattr__(self, "_joined", joined)

    def named_columns(self) -> list[tuple[str, str]]:
        """(field, column) for every column the mapping names, each of a joined field's on its
        own: a file must have them all."""
        return [
            (name, column)
            for name, source in self.columns.items()
            for column in ((source,) if isinstance(source, str) else source)
        ]

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
        source = self.columns.get(name, name)
        if isinstance(source, str):
            value = _lookup(record, source)
        else:
            value = self._joined[name].text(record, None, self.formats, lenient=True)
        if is_blank(value):
            return ""
        try:
            return str(self._value(FIELDS[self.kind][name], value))
        except BadValue:
            return str(value).strip()

    def has(self, record: MappingABC[str, Any], column: str) -> bool:
        """Whether a record, or with `lines` one of its lines, has `column` (blank or not); a
        joined field's columns are asked about one by one (see `named_columns`)."""
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
        for spec, source in self._single:
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
        if self._joined:
            self._join_into(row, missing, record, item)
        if missing:
            raise BadValue(f"missing {', '.join(missing)}")
        return row

    def _join_into(
        self,
        row: dict[str, Any],
        missing: list[str],
        record: MappingABC[str, Any],
        item: MappingABC[str, Any] | None,
    ) -> None:
        """The joined fields of a row, as `_row` does the others: a field with a blank part is
        blank, so its default applies, or it is missing if required."""
        for join in self._joined.values():
            spec = join.spec
            try:
                text = join.text(record, item, self.formats)
                if text is None:
                    if spec.name in self.defaults:
                        row[spec.name] = convert(spec, self.defaults[spec.name], self.formats)
                    elif spec.required:
                        missing.append(f"{spec.name} ({join.blank(record, item)})")
                    else:
                        row[spec.name] = spec.default
                    continue
                row[spec.name] = self._value(spec, text)
            except BadValue as error:
                raise join.explain(error) from None

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
    columns = _columns(body.get("columns", {}), f"{where}.columns", known)
    codes_raw = body.get("codes", {})
    if not isinstance(codes_raw, dict):
        raise MappingError(f"{where}.codes: expected field: {{foreign code: ordo code}}")
    codes = {
        name: _str_dict(table, f"{where}.codes.{name}", None)
        for name, table in _checked_names(codes_raw, f"{where}.codes", known).items()
    }
    for name, source in columns.items():
        if not isinstance(source, str) and known[name].type != "str" and name not in codes:
            raise MappingError(
                f"{where}.columns.{name}: joined columns give text such as 'A{JOINED_BY}1', "
                f"which is no {name}; translate it under codes.{name}"
            )
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


def _columns(value: Any, where: str, known: dict[str, Field]) -> dict[str, str | tuple[str, ...]]:
    """`columns:`, where a field names its column, or lists the columns joined into its text."""
    names = _checked_names(value, where, known)
    single = _str_dict({k: v for k, v in names.items() if not isinstance(v, list)}, where, None)
    return {
        name: _joined_columns(item, f"{where}.{name}", known[name])
        if isinstance(item, list)
        else single[name]
        for name, item in names.items()
    }


def _joined_columns(items: list[Any], where: str, spec: Field) -> tuple[str, ...]:
    if spec.type not in _JOINABLE:
        raise MappingError(
            f"{where}: a list joins columns into text, and {spec.name} is "
            f"{_NOT_TEXT.get(spec.type, spec.type)}; name one column"
        )
    if len(items) < 2:
        raise MappingError(
            f"{where}: a list joins two or more columns, got {items!r}; name a single column "
            "without brackets"
        )
    for item in items:
        if isinstance(item, bool | dict | list) or is_blank(item):
            raise MappingError(f"{where}: expected column names to join, got {item!r}")
    return tuple(str(item) for item in items)


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


def _part(record: MappingABC[str, Any], item: MappingABC[str, Any] | None, path: str) -> Any:
    """A column's value for a row: the line's, or when the line leaves it blank the record's,
    as `FileMapping._row` reads a single column."""
    raw = _lookup(item, path) if item is not None else None
    return _lookup(record, path) if is_blank(raw) else raw


def _column_problem(
    record: MappingABC[str, Any], item: MappingABC[str, Any] | None, path: str
) -> str:
    """Why a required field found nothing: its column is blank here, or the file has no such
    column at all (then the nearest one it has, since a wrong name fails every row)."""
    if _present(item, path) or _present(record, path):
        return f"column {path!r}"
    return _absent(record, path)


def _absent(record: MappingABC[str, Any], path: str) -> str:
    close = difflib.get_close_matches(path, [str(key) for key in record], n=1)
    return f"no column {path!r}" + (f"; did you mean {close[0]!r}?" if close else "")


def did_you_mean(name: str, choices: Any) -> str:
    """' (did you mean ...?)' naming the nearest of `choices`, or nothing when none is near."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
