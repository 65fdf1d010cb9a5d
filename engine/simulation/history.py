"""Streaming readers for history exports: CSV, JSON Lines and Parquet, one record at a time.

Readers never load a whole file: CSV and JSON Lines are read line by line, Parquet batch by
batch. Each record comes with its position as a person would find it: the line number in a
text file (the CSV header is line 1), the 1-based row number in a Parquet file. A record that
cannot even be parsed (broken JSON) is yielded as a `RowError` so the importer can report it
and go on; a file that cannot be opened at all, or is not text in its encoding, raises
`HistoryFileError`.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad record: which file, where in it, and why."""

    file: str
    row: int
    reason: str
    unit: str = "line"  # "line" for text files, "row" for Parquet

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


def read_records(
    path: Path, fmt: str, *, delimiter: str = ",", encoding: str = "utf-8"
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(position, record) pairs; a record is a dict of column -> raw value, or a RowError.

    `delimiter` and `encoding` come from the mapping: many European exports use `;` and a
    Windows code page, and a user should not have to convert the file first.
    """
    if not path.is_file():
        raise HistoryFileError(f"{path}: no such file")
    if fmt == "csv":
        return _csv(path, delimiter, encoding)
    if fmt == "jsonl":
        return _jsonl(path, encoding)
    if fmt == "parquet":
        return _parquet(path)
    raise HistoryFileError(f"{path}: unknown format {fmt!r} (csv, jsonl or parquet)")


def position_unit(fmt: str) -> str:
    return "row" if fmt == "parquet" else "line"


def _csv(
    path: Path, delimiter: str, encoding: str
) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    # utf-8-sig: spreadsheet exports often start with a byte-order mark.
    text_encoding = (
        "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    )
    with path.open(newline="", encoding=text_encoding) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as error:
            raise _not_text(path, text_encoding, error) from None
        except csv.Error as error:
            raise HistoryFileError(f"{path} line 1: cannot read the header ({error})") from None
        header = [name.strip() for name in header]
        if len(header) == 1:
            # Every row would then miss every column but one: say why once, at the header.
            other = next((mark for mark in ";\t|" if mark in header[0]), None)
            if other is not None:
                raise HistoryFileError(
                    f"{path} line 1: the header is one column, {header[0][:60]!r}; if the "
                    f"file is separated by {other!r}, name it as 'delimiter' in the mapping"
                )
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                raise _not_text(path, text_encoding, error) from None
            except csv.Error as error:
                yield (
                    reader.line_num,
                    RowError(path.name, reader.line_num, f"not valid CSV ({error})"),
                )
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                yield (
                    reader.line_num,
                    RowError(
                        path.name,
                        reader.line_num,
                        f"has {len(cells)} cells but the header has {len(header)} columns",
                    ),
                )
                continue
            yield reader.line_num, dict(zip(header, cells, strict=True))


def _jsonl(path: Path, encoding: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    with path.open(encoding=encoding) as handle:
        number = 0
        while True:
            try:
                text = handle.readline()
            except UnicodeDecodeError as error:
                raise _not_text(path, encoding, error) from None
            if not text:
                return
            number += 1
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as error:
                yield number, RowError(path.name, number, f"not valid JSON ({error.msg})")
                continue
            except RecursionError:  # the decoder recurses once per nested array or object
                yield number, RowError(path.name, number, "not valid JSON (nested too deeply)")
                continue
            if not isinstance(record, dict):
                yield number, RowError(path.name, number, "expected a JSON object")
                continue
            yield number, record


def _not_text(path: Path, encoding: str, error: UnicodeDecodeError) -> HistoryFileError:
    """The whole file is refused, not the row: text is decoded a block at a time, so once a
    block fails nothing after it can be read, and skipping on would lose rows unseen. The
    line is found by decoding the file again, line by line, as far as the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    where = number = 0
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                where = number
                break
    where = where or number  # no line failed alone: the file ends inside a character
    byte = error.object[error.start : error.start + 1].hex()
    return HistoryFileError(
        f"{path} line {where}: not {encoding.removesuffix('-sig')} text (byte 0x{byte}); "
        "if the export uses another encoding, name it as 'encoding' in the mapping "
        "(e.g. latin-1, cp1252)"
    )


def _parquet(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    import pyarrow as pa  # imported lazily: pyarrow is heavy and only Parquet needs it
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise HistoryFileError(f"{path}: not a readable Parquet file ({error})") from None
    number = 0
    with source:
        for batch in source.iter_batches(batch_size=_PARQUET_BATCH):
            for record in batch.to_pylist():
                number += 1
                yield number, record
