"""Import a history (orders, locations, stock, receipts, products, customers) into a data set.

Bad rows are reported with file, line (or Parquet row) and reason. With `keep_going=False` the
first bad row stops the import; with `keep_going=True` bad rows are skipped (an order with one
bad line is skipped whole, because half an order would replay differently from the real one)
and listed in the data set's `errors.csv`, in file and row order. A bad order-line row whose
order cannot be told (no order id can be read from it) stops the import even then: skipping it
alone could import the rest of its order. Either way the data set appears atomically or not at
all (see `dataset.DatasetWriter`). Memory is bounded by the sort chunk, not the history size,
except for the customers table, which orders without a postal code look up.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.domain.catalog import LocationType, Service
from engine.domain.inventory import InboundKind
from engine.simulation.dataset import DatasetWriter
from engine.simulation.errors import SimulationError
from engine.simulation.extsort import external_sort
from engine.simulation.fields import KINDS, BadValue
from engine.simulation.history import (
    HistoryFileError,
    RowError,
    check_file,
    detect_format,
    read_records,
)
from engine.simulation.mapping import FileMapping, Mapping, MappingError, did_you_mean
from engine.simulation.orders_import import assemble_orders
from engine.simulation.postal import PostalLookup

Progress = Callable[[str, int], None]
_INBOUND_KINDS = frozenset(kind.value for kind in InboundKind)
_LOCATION_TYPES = frozenset(kind.value for kind in LocationType)
_SERVICES = frozenset(service.value for service in Service)
_KEPT_ERRORS = 50
_PROGRESS_EVERY = 10_000
# The fields that name a row of reference data: a second row naming the same is a duplicate,
# whether the first was good or was skipped for its own error.
_KEYS = {
    "locations": ("code",),
    "products": ("sku",),
    "customers": ("customer_id",),
    "stock": ("sku", "location_code"),
}


class ImportFailed(SimulationError):
    """The import stopped; nothing was written. `errors` holds the bad rows found."""

    def __init__(self, errors: list[RowError], total: int | None = None) -> None:
        self.errors = errors
        count = total if total is not None else len(errors)
        first = str(errors[0]) if errors else "no details"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"{first}{more}; nothing was imported")


@dataclass
class ImportReport:
    path: Path
    counts: dict[str, int]
    error_count: int
    errors: list[RowError] = field(default_factory=list)


class _Errors:
    """Counts bad rows and writes every one to errors.csv, in file then row order: an order's
    own problems (lines that disagree) are only found after its lines were gathered."""

    def __init__(self, keep_going: bool, workdir: Path, chunk: int) -> None:
        self.keep_going = keep_going
        self.count = 0
        self.first: list[RowError] = []
        self.workdir = workdir
        self.chunk = chunk
        self.path = workdir / "errors.csv"
        self._scratch = workdir / "errors.unsorted.jsonl"
        self._handle = self._scratch.open("w", encoding="utf-8")
        self._files: dict[str, int] = {}  # file -> when it was first read from

    def add(self, error: RowError) -> None:
        if not self.keep_going:
            self.close()
            raise ImportFailed([error])
        self.count += 1
        rank = self._files.setdefault(error.file, len(self._files))
        entry = {"k": (rank, error.row, self.count), "e": [error.file, error.unit, error.row]}
        self._handle.write(json.dumps({**entry, "r": error.reason}) + "\n")

    def close(self) -> None:
        self._handle.close()

    def write_sorted(self) -> None:
        """errors.csv from what `add` spilled, and the first few for the report."""
        self.close()

        def spilled() -> Iterator[dict[str, Any]]:
            with self._scratch.open(encoding="utf-8") as handle:
                for text in handle:
                    yield json.loads(text)

        ordered = external_sort(spilled(), lambda e: e["k"], self.workdir, self.chunk)
        with self.path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(["file", "position", "number", "reason"])
            for entry in ordered:
                name, unit, row = entry["e"]
                out.writerow([name, unit, row, entry["r"]])
                if len(self.first) < _KEPT_ERRORS:
                    self.first.append(RowError(name, row, entry["r"], unit))
        self._scratch.unlink()


def import_history(
    sources: dict[str, Path],
    dest: Path,
    mapping: Mapping | None = None,
    *,
    keep_going: bool = False,
    replace: bool = False,
    chunk: int = 200_000,
    progress: Progress | None = None,
) -> ImportReport:
    """Read every source file (kind -> path) through `mapping` into a data set at `dest`."""
    mapping = mapping or Mapping()
    unknown = sorted(set(sources) - set(KINDS))
    if unknown:
        raise HistoryFileError(f"unknown history file kind {unknown[0]!r} (use {', '.join(KINDS)})")
    for kind in ("orders", "locations"):
        if kind not in sources:
            raise HistoryFileError(
                f"a simulation needs {'an' if kind == 'orders' else 'a'} {kind} file; give it "
                f"with --{kind} FILE, or as 'file:' in the mapping's {kind} section"
            )
    for path in sources.values():
        check_file(path)  # before its extension is judged: a directory has none
    formats = {
        kind: detect_format(path, mapping.for_kind(kind).format) for kind, path in sources.items()
    }
    tick = progress or (lambda kind, done: None)
    with DatasetWriter(dest, replace=replace) as writer:
        errors = _Errors(keep_going, writer.workdir, chunk)
        try:
            ctx = _Context(writer, errors, mapping, sources, formats, tick, chunk)
            codes = ctx.locations()
            ctx.products()
            customers = ctx.customers()
            ctx.stock(codes)
            ctx.receipts(codes)
            first, last = ctx.orders(customers)
        finally:
            errors.close()
        errors.write_sorted()
        for kind in ("orders", "locations"):
            if not writer.counts[kind]:
                # A data set with nothing to replay, or nowhere to ship from, answers nothing.
                own = [error for error in errors.first if error.file == sources[kind].name]
                skipped = (
                    f" (every row was skipped; the first: {(own or errors.first)[0]})"
                    if errors.first
                    else ""
                )
                raise HistoryFileError(
                    f"{sources[kind]}: no {kind} in it{skipped}; nothing was imported"
                )
        if errors.count:
            writer.attach("errors.csv", errors.path)
        writer.commit(
            {
                "name": dest.name,
                "sources": {kind: path.name for kind, path in sorted(sources.items())},
                "mapping": mapping.path.name if mapping.path else None,
                "first_order_at": first,
                "last_order_at": last,
                "skipped_rows": errors.count,
            }
        )
        return ImportReport(dest, dict(writer.counts), errors.count, errors.first)


@dataclass
class _Context:
    writer: DatasetWriter
    errors: _Errors
    mapping: Mapping
    sources: dict[str, Path]
    formats: dict[str, str]
    tick: Progress
    chunk: int
    poisoned: set[str] = field(default_factory=set)
    postal: PostalLookup = field(default_factory=PostalLookup)
    # kind -> key of a row skipped for its own error -> where that row is
    skipped: dict[str, dict[tuple[str, ...], RowError]] = field(default_factory=dict)

    def rows(self, kind: str) -> Iterator[tuple[RowError, dict[str, Any]]]:
        """Typed rows of one kind; each comes with the error to raise if a later check fails.
        Order rows carry `_h`, their source record's fingerprint (see `assemble_orders`)."""
        if kind not in self.sources:
            return
        path, fmt = self.sources[kind], self.formats[kind]
        section: FileMapping = self.mapping.for_kind(kind)
        unit = "row" if fmt == "parquet" else "line"
        done = 0
        # JSON Lines records may leave out a key they have no value for, so a mapped column is
        # only known missing once no record of the file had it.
        unseen = dict.fromkeys(section.named_columns()) if fmt == "jsonl" else {}
        records = read_records(
            path,
            fmt,
            delimiter=section.delimiter,
            encoding=section.encoding,
            columns=lambda names: self._check_columns(kind, path, section, names),
        )
        for number, record in records:
            done += 1
            if done % _PROGRESS_EVERY == 0:
                self.tick(kind, done)
            if isinstance(record, RowError):
                self._skip(kind, section, record.record, record)
                continue
            if unseen:
                for pair in [pair for pair in unseen if section.has(record, pair[1])]:
                    del unseen[pair]
            where = RowError(path.name, number, "", unit)
            try:
                typed = section.rows(record)
            except BadValue as error:
                self._skip(kind, section, record, _at(where, str(error)))
                continue
            if kind == "orders":
                try:
                    mark = hash(tuple(record.items()))
                except TypeError:  # nested JSON or Parquet values: lists and dicts
                    mark = hash(repr(record))
                for index, row in enumerate(typed):
                    row["_h"] = hash((mark, index))
            for row in typed:
                yield where, row
        if unseen:
            name, column = next(iter(unseen))
            raise MappingError(
                f"{self._mapping_name()}: {kind}.columns.{name}: no record in {path.name} has "
                f"{column!r}; nothing was imported"
            )
        self.tick(kind, done)

    def _check_columns(self, kind: str, path: Path, section: FileMapping, names: list[str]) -> None:
        """Every column the mapping names explicitly is in the file's header or schema: an
        optional field's would otherwise be read as blank on every row, without a word."""
        for name, column in section.named_columns():
            if column not in names:
                raise MappingError(
                    f"{self._mapping_name()}: {kind}.columns.{name}: {path.name} has no column "
                    f"{column!r}{did_you_mean(column, names)}; nothing was imported"
                )

    def _mapping_name(self) -> str:
        return str(self.mapping.path) if self.mapping.path else "the mapping"

    def _skip(
        self, kind: str, section: FileMapping, record: dict[str, Any] | None, error: RowError
    ) -> None:
        """Report a row that could not be read or typed, and remember what it named: the
        order its other lines must not replay without, the key a later duplicate repeats."""
        if kind == "orders":
            order_id = section.field_text(record, "order_id") if record is not None else ""
            if not order_id and self.errors.keep_going:
                self.errors.close()
                raise ImportFailed(
                    [
                        _at(
                            error,
                            f"{error.reason}; the order this {error.unit} belongs to cannot be "
                            "told, and skipping the row alone could import the rest of that "
                            "order without it, so the import stops even when told to keep going",
                        )
                    ]
                )
            # The order's other lines must not replay without this one.
            self.poisoned.add(order_id)
        elif kind in _KEYS and record is not None:
            key = tuple(section.field_text(record, name) for name in _KEYS[kind])
            if all(key):
                self.skipped.setdefault(kind, {}).setdefault(key, error)
        self.errors.add(error)

    def _twice(self, kind: str, key: tuple[str, ...], what: str, taken: bool) -> str | None:
        """Why a row naming `key` is a duplicate (`taken`: a good row named it already), or
        None when it is the first to name it."""
        if taken:
            return f"{what} appears twice"
        earlier = self.skipped.get(kind, {}).get(key)
        if earlier is not None:
            return (
                f"{what} appears twice (also on {earlier.unit} {earlier.row}, skipped for its "
                "own error)"
            )
        return None

    def _unknown_location(self, code: str, codes: set[str]) -> str | None:
        if code in codes:
            return None
        skipped = self.skipped.get("locations", {}).get((code,))
        if skipped is not None:
            return (
                f"location {code!r} was skipped for its own error ({skipped.file} "
                f"{skipped.unit} {skipped.row})"
            )
        return f"location {code!r} is not in the locations file"

    def locations(self) -> set[str]:
        codes: set[str] = set()
        for where, row in self.rows("locations"):
            code = row["code"]
            problem = self._twice("locations", (code,), f"location {code!r}", code in codes)
            problem = problem or _location_problem(row, self.postal)
            if problem:
                self.skipped.setdefault("locations", {}).setdefault((row["code"],), where)
                self.errors.add(_at(where, problem))
                continue
            codes.add(row["code"])
            self.writer.write("locations", row)
        return codes

    def products(self) -> None:
        seen: set[tuple[str, ...]] = set()
        for where, row in self.rows("products"):
            key = (row["sku"],)
            problem = self._twice("products", key, f"SKU {row['sku']!r}", key in seen)
            if problem:
                self.errors.add(_at(where, problem))
                continue
            seen.add(key)
            self.writer.write("products", row)

    def customers(self) -> dict[str, tuple[str, str, str]]:
        known: dict[str, tuple[str, str, str]] = {}
        for where, row in self.rows("customers"):
            key = (row["customer_id"],)
            what = f"customer {row['customer_id']!r}"
            problem = self._twice("customers", key, what, key[0] in known)
            if problem:
                self.errors.add(_at(where, problem))
                continue
            known[row["customer_id"]] = (row["postal_code"], row["country"], row["tier"])
            self.writer.write("customers", row)
        return known

    def stock(self, codes: set[str]) -> None:
        seen: set[tuple[str, ...]] = set()
        for where, row in self.rows("stock"):
            key = (row["sku"], row["location_code"])
            problem = self._unknown_location(row["location_code"], codes) or self._twice(
                "stock", key, f"SKU {key[0]!r} at {key[1]!r} in the snapshot", key in seen
            )
            if problem:
                self.errors.add(_at(where, problem))
                continue
            seen.add(key)
            self.writer.write("stock", row)

    def receipts(self, codes: set[str]) -> None:
        def valid() -> Iterator[dict[str, Any]]:
            for where, row in self.rows("receipts"):
                problem = self._unknown_location(row["location_code"], codes)
                if problem is None and row["kind"] not in _INBOUND_KINDS:
                    problem = f"kind {row['kind']!r} is not purchase_order or transfer"
                if problem:
                    self.errors.add(_at(where, problem))
                    continue
                yield {**row, "expected_on": row["expected_on"].isoformat(), "_n": where.row}

        ordered = external_sort(
            valid(),
            lambda r: (r["expected_on"], r["_n"]),
            self.writer.workdir,
            self.chunk,
        )
        for row in ordered:
            row.pop("_n")
            self.writer.write("receipts", row)

    def orders(self, customers: dict[str, tuple[str, str, str]]) -> tuple[str | None, str | None]:
        orders = assemble_orders(
            self.rows("orders"),
            customers,
            self.errors.add,
            self.writer.workdir,
            self.chunk,
            self.poisoned,
            self.postal,
        )
        first = last = None
        for order in orders:
            first = first or order["created_at"]
            last = order["created_at"]
            self.writer.write("orders", order)
        return first, last


def _location_problem(row: dict[str, Any], postal: PostalLookup) -> str | None:
    if row["type"] not in _LOCATION_TYPES:
        return f"type {row['type']!r} is not one of {', '.join(k.value for k in LocationType)}"
    bad = [name for name in row["services"] if name not in _SERVICES]
    if bad:
        return f"service {bad[0]!r} is not one of {', '.join(s.value for s in Service)}"
    for name, most in (("lat", 90), ("lon", 180)):
        if row[name] is not None and not -most <= row[name] <= most:
            return f"{name} must be from -{most} to {most}, got {row[name]}"
    if row["lat"] is None or row["lon"] is None:
        point = postal(row["postal_code"], row["country"])
        if point is None:
            return f"postal code {row['postal_code']!r} is unknown and no lat/lon columns are given"
        row["lat"], row["lon"] = point
    row["cutoff"] = row["cutoff"].isoformat(timespec="minutes")
    return None


def _at(where: RowError, reason: str) -> RowError:
    return RowError(where.file, where.row, reason, where.unit)
