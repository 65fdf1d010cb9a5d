"""Streaming readers for history exports: CSV, JSON Lines and Parquet, one record at a time.

Readers never load a whole file: CSV and JSON Lines are read line by line, Parquet batch by
batch. Each record comes with its position as a person would find it: the line number in a
text file (the CSV header is line 1; a CSV row spanning lines is at its first), the 1-based
row number in a Parquet file. A record that cannot even be parsed (broken JSON) is yielded as
a `RowError`, with what could be read of it, so the importer can report it and go on; a file
that cannot be read past some point (not text in its encoding, an unclosed CSV quote, a
damaged Parquet row group) or whose columns are ambiguous raises `HistoryFileError`, since
going on would lose rows unseen.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.simulation.errors import SimulationError

FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}
_PARQUET_BATCH = 8192
# A quoted CSV cell (a note, an address) may run over a few lines; one still open this many
# lines on is an unclosed quote swallowing rows, even if a stray quote closes it later.
_MAX_ROW_LINES = 100


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad record: which file, where in it, and why."""

    file: str
    row: int
    reason: str
    unit: str = "line"  # "line" for text files, "row" for Parquet
    # What could still be read of a record the reader refused (cells by header position, or
    # the JSON read leniently), to tell which order it belongs to; None when nothing could.
    record: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file} {self.unit} {self.row}: {self.reason}"


class HistoryFileError(SimulationError):
    """A whole file is unusable (missing, unreadable, unknown format); names the file."""


def detect_format(path: Path, declared: str | None = None) -> str:
    if declared:
        return declared
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise HistoryFileError(
            f"{path}: cannot tell the format from the extension {path.suffix!r}; "
            "use .csv, .jsonl or .parquet, or set 'format' in the mapping"
        )
    return fmt


def check_file(path: Path) -> None:
    """Refuse a path that is not a readable file, before its extension is looked at."""
    if path.is_dir():
        raise HistoryFileError(f"{path}: is a directory, not a file")
    if not path.is_file():
        raise HistoryFileError(f"{path}: no such file")


Columns = Callable[[list[str]], None]


def read_records(
    path: Path,
    fmt: str,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    columns: Columns | None = None,
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(position, record) pairs; a record is a dict of column -> raw value, or a RowError.

    `delimiter` and `encoding` come from the mapping: many European exports use `;` and a
    Windows code page, and a user should not have to convert the file first. `columns` is
    called before the first record with the columns a CSV header or Parquet schema names
    (dotted paths into structs, and the fields of a list of structs a `lines` mapping
    expands); JSON Lines records name their own keys, so it is not called for them.
    """
    check_file(path)
    told = columns or (lambda names: None)
    if fmt == "csv":
        return _csv(path, delimiter, encoding, told)
    if fmt == "jsonl":
        return _jsonl(path, encoding)
    if fmt == "parquet":
        return _parquet(path, told)
    raise HistoryFileError(f"{path}: unknown format {fmt!r} (csv, jsonl or parquet)")


def position_unit(fmt: str) -> str:
    return "row" if fmt == "parquet" else "line"


def _csv(
    path: Path, delimiter: str, encoding: str, columns: Columns
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    text_encoding = _bom_tolerant(encoding)
    with path.open(newline="", encoding=text_encoding) as handle:
        rows = _csv_rows(path, handle, delimiter, text_encoding)
        _, names = next(rows, (0, None))
        if names is None:
            return
        if isinstance(names, _Refused):
            raise HistoryFileError(f"{path} line 1: cannot read the header ({names.error})")
        header = [name.strip() for name in names]
        if len(header) == 1:
            # Every row would then miss every column but one: say why once, at the header.
            other = next((mark for mark in ";\t|" if mark in header[0]), None)
            if other is not None:
                raise HistoryFileError(
                    f"{path} line 1: the header is one column, {header[0][:60]!r}; if the "
                    f"file is separated by {other!r}, name it as 'delimiter' in the mapping"
                )
        _refuse_duplicate_columns(path, header, " line 1: the header")
        columns(header)
        for number, cells in rows:
            if isinstance(cells, _Refused):
                partial = dict(zip(header, _split_line(cells.text, delimiter), strict=False))
                reason = f"not valid CSV ({cells.error})"
                yield number, RowError(path.name, number, reason, record=partial)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                reason = f"has {len(cells)} cells but the header has {len(header)} columns"
                partial = dict(zip(header, cells, strict=False))
                yield number, RowError(path.name, number, reason, record=partial)
                continue
            yield number, dict(zip(header, cells, strict=True))


class _Lines:
    """The file's lines as the csv module pulls them, noting whether it pulled past the end:
    it only does so inside a quoted cell, the one sign of a quote that never closes."""

    def __init__(self, handle: Iterator[str]) -> None:
        self.handle = handle
        self.ended = False
        self.last = ""

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            self.last = next(self.handle)
            return self.last
        except StopIteration:
            self.ended = True
            raise


@dataclass(frozen=True, slots=True)
class _Refused:
    """A one-line record the csv module refused (a cell over its size limit), with its text."""

    error: csv.Error
    text: str


def _csv_rows(
    path: Path, handle: Iterator[str], delimiter: str, encoding: str
) -> Iterator[tuple[int, list[str] | _Refused]]:
    """(first line, cells) per CSV record, or the csv module's error for a record it refused.

    An unclosed quote makes the rest of the file one cell: that is refused for the whole file,
    naming the line it opens on, rather than reported as one bad row with the rows it ate."""
    lines = _Lines(handle)
    reader = csv.reader(lines, delimiter=delimiter)
    last = 0
    while True:
        first = last + 1
        try:
            cells: list[str] | _Refused = next(reader)
        except StopIteration:
            return
        except UnicodeError as error:
            raise _not_text(path, encoding, error) from None
        except csv.Error as error:
            cells = _Refused(error, lines.last)
        last = reader.line_num
        refused = isinstance(cells, _Refused) and last > first  # e.g. a cell over the size limit
        if lines.ended or refused or last - first >= _MAX_ROW_LINES:
            to = "the end of the file" if lines.ended else f"line {last}"
            why = f" ({cells.error})" if isinstance(cells, _Refused) else ""
            raise HistoryFileError(
                f"{path} line {first}: unterminated quote: a quoted cell opens on this line "
                f"and runs on to {to}{why}, so the rows after it cannot be read; close it, "
                'or double a quote that is part of the text ("")'
            )
        yield first, cells


def _split_line(text: str, delimiter: str) -> list[str]:
    """The cells of one CSV line as far as they can be told without the csv module (which
    refused it): plain cells and quoted ones with doubled quotes; it stops at the first cell
    of another shape, so a cell it returns is one the csv module would have read alike."""
    text = text.rstrip("\r\n")
    cells: list[str] = []
    pos = 0
    while True:
        if text.startswith('"', pos):
            end = pos + 1
            while True:
                end = text.find('"', end)
                if end < 0:
                    return cells
                if not text.startswith('""', end):
                    break
                end += 2
            cells.append(text[pos + 1 : end].replace('""', '"'))
            pos = end + 1
            if pos < len(text) and text[pos] != delimiter:
                return cells
        else:
            end = text.find(delimiter, pos)
            end = len(text) if end < 0 else end
            if '"' in text[pos:end]:
                return cells
            cells.append(text[pos:end])
            pos = end
        if pos >= len(text):
            return cells
        pos += 1


def _refuse_duplicate_columns(path: Path, names: list[str], where: str) -> None:
    """Two columns of one name would leave a row's value to whichever is read last."""
    # Unnamed columns (trailing separators) are left out: no mapping can name them anyway.
    twice = sorted(name for name, count in Counter(names).items() if name and count > 1)
    if twice:
        listed = ", ".join(repr(name) for name in twice)
        raise HistoryFileError(
            f"{path}{where} names {'a column' if len(twice) == 1 else 'columns'} more than "
            f"once: {listed}; rename or remove the extra ones"
        )


def _bom_tolerant(encoding: str) -> str:
    # utf-8-sig: spreadsheet and Windows exports often start with a byte-order mark.
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def _jsonl(path: Path, encoding: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    encoding = _bom_tolerant(encoding)
    with path.open(encoding=encoding) as handle:
        number = 0
        while True:
            try:
                text = handle.readline()
            except UnicodeError as error:
                raise _not_text(path, encoding, error) from None
            if not text:
                return
            number += 1
            if not text.strip():
                continue
            try:
                record = _decode(text)
            except json.JSONDecodeError as error:
                yield number, RowError(path.name, number, f"not valid JSON ({error.msg})")
                continue
            except _DuplicateKey as error:
                yield number, RowError(path.name, number, str(error), record=_lenient(text))
                continue
            except RecursionError:  # the decoder recurses once per nested array or object
                yield number, RowError(path.name, number, "not valid JSON (nested too deeply)")
                continue
            if not isinstance(record, dict):
                yield number, RowError(path.name, number, "expected a JSON object")
                continue
            yield number, record


class _DuplicateKey(ValueError):
    """A JSON object naming one key twice; the message names the key."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # `json` keeps the last of two equal keys: a record saying quantity twice is ambiguous.
    record = dict(pairs)
    if len(record) != len(pairs):
        twice = [key for key, count in Counter(key for key, _ in pairs).items() if count > 1]
        raise _DuplicateKey(f"key {twice[0]!r} appears twice in one object")
    return record


# One decoder: `json.loads` with a hook would build a decoder for every line.
_DECODER = json.JSONDecoder(object_pairs_hook=_object)
_BIG_NUMBERS = json.JSONDecoder(object_pairs_hook=_object, parse_int=Decimal)


def _decode(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except (json.JSONDecodeError, _DuplicateKey):
        raise
    except ValueError:
        # `int()` refuses a number of over 4,300 digits; read as a Decimal, it is the cell's
        # row error (a quantity over its bound), and the row still names its order.
        return _BIG_NUMBERS.decode(text)


def _lenient(text: str) -> dict[str, Any] | None:
    """A record refused for a key named twice, read the way `json` would (the last one wins):
    only to tell which order it belongs to."""
    try:
        record = json.loads(text, parse_int=Decimal)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _not_text(path: Path, encoding: str, error: UnicodeError) -> HistoryFileError:
    """The whole file is refused, not the row: text is decoded a block at a time, so once a
    block fails nothing after it can be read, and skipping on would lose rows unseen. The
    line is found by decoding the file again, line by line, as far as the first bad byte."""
    name = encoding.removesuffix("-sig")
    if not isinstance(error, UnicodeDecodeError):
        # Not a bad byte but the stream as a whole, such as UTF-16 without a byte-order mark.
        return HistoryFileError(
            f"{path}: cannot be read as {name} text ({error}); name the export's encoding as "
            "'encoding' in the mapping (utf-16-le or utf-16-be for UTF-16 without a "
            "byte-order mark)"
        )
    decoder = codecs.getincrementaldecoder(encoding)()
    where = number = 0
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                decoder.decode(line)
            except UnicodeError:
                where = number
                break
    where = where or number  # no line failed alone: the file ends inside a character
    byte = error.object[error.start : error.start + 1].hex()
    return HistoryFileError(
        f"{path} line {where}: not {name} text (byte 0x{byte}); "
        "if the export uses another encoding, name it as 'encoding' in the mapping "
        "(e.g. latin-1, cp1252)"
    )


def _parquet(path: Path, columns: Columns) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    import pyarrow as pa  # imported lazily: pyarrow is heavy and only Parquet needs it
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise HistoryFileError(f"{path}: not a readable Parquet file ({error})") from None
    with source:
        _refuse_duplicate_columns(path, source.schema_arrow.names, ": the schema")
        columns(_schema_paths(source.schema_arrow))
        number = 0
        for group in range(source.num_row_groups):
            before = number
            # The footer read, a data page can still be damaged; the group says where.
            try:
                batches = source.iter_batches(batch_size=_PARQUET_BATCH, row_groups=[group])
                for batch in batches:
                    for record in batch.to_pylist():
                        number += 1
                        yield number, record
            except (OSError, pa.ArrowException) as error:
                rows = source.metadata.row_group(group).num_rows
                raise HistoryFileError(
                    f"{path} row group {group + 1} (rows {before + 1}-{before + rows}): "
                    f"not readable ({' '.join(str(error).split())})"
                ) from None


def _schema_paths(schema: Any) -> list[str]:
    """Every path a mapping may name in a Parquet schema: columns, `a.b` into structs, and
    the fields of a list of structs (the lines a `lines` mapping expands) by their own name."""
    import pyarrow as pa

    paths: list[str] = []

    def walk(fields: list[Any], prefix: str) -> None:
        for item in fields:
            paths.append(prefix + item.name)
            kind = item.type
            if pa.types.is_struct(kind):
                walk([kind.field(i) for i in range(kind.num_fields)], f"{prefix}{item.name}.")
            elif pa.types.is_list(kind) or pa.types.is_large_list(kind):
                inner = kind.value_type
                if pa.types.is_struct(inner):
                    walk([inner.field(i) for i in range(inner.num_fields)], "")

    walk(list(schema), "")
    return paths
