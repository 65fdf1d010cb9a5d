"""Import a history (orders, locations, stock, receipts, products, customers) into a data set.

Bad rows are reported with file, line (or Parquet row) and reason. With `keep_going=False` the
first bad row stops the import; with `keep_going=True` bad rows are skipped (an order with one
bad line is skipped whole, because half an order would replay differently from the real one)
and listed in the data set's `errors.csv`. Either way the data set appears atomically or not at
all (see `dataset.DatasetWriter`). Memory is bounded by the sort chunk, not the history size,
except for the customers table, which orders without a postal code look up.
"""

from __future__ import annotations

import csv
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
from engine.simulation.history import HistoryFileError, RowError, detect_format, read_records
from engine.simulation.mapping import FileMapping, Mapping
from engine.simulation.orders_import import assemble_orders
from engine.simulation.postal import PostalLookup

Progress = Callable[[str, int], None]
_INBOUND_KINDS = frozenset(kind.value for kind in InboundKind)
_LOCATION_TYPES = frozenset(kind.value for kind in LocationType)
_SERVICES = frozenset(service.value for service in Service)
_KEPT_ERRORS = 50
_PROGRESS_EVERY = 10_000


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
    """Counts bad rows, keeps the first few for the report and writes every one to a CSV."""

    def __init__(self, keep_going: bool, path: Path) -> None:
        self.keep_going = keep_going
        self.count = 0
        self.first: list[RowError] = []
        self.path = path
        self._handle = path.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._handle)
        self._csv.writerow(["file", "position", "number", "reason"])

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.first) < _KEPT_ERRORS:
            self.first.append(error)
        self._csv.writerow([error.file, error.unit, error.row, error.reason])
        if not self.keep_going:
            self.close()
            raise ImportFailed([error])

    def close(self) -> None:
        self._handle.close()


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
            raise HistoryFileError(f"a simulation needs a {kind} file; none was given")
    formats = {
        kind: detect_format(path, mapping.for_kind(kind).format) for kind, path in sources.items()
    }
    tick = progress or (lambda kind, done: None)
    with DatasetWriter(dest, replace=replace) as writer:
        errors = _Errors(keep_going, writer.workdir / "errors.csv")
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
        for kind in ("orders", "locations"):
            if not writer.counts[kind]:
                # A data set with nothing to replay, or nowhere to ship from, answers nothing.
                skipped = (
                    f" (every row was skipped; the first: {errors.first[0]})"
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

    def rows(self, kind: str) -> Iterator[tuple[RowError, dict[str, Any]]]:
        """Typed rows of one kind; each comes with the error to raise if a later check fails."""
        if kind not in self.sources:
            return
        path, fmt = self.sources[kind], self.formats[kind]
        section: FileMapping = self.mapping.for_kind(kind)
        unit = "row" if fmt == "parquet" else "line"
        done = 0
        records = read_records(path, fmt, delimiter=section.delimiter, encoding=section.encoding)
        for number, record in records:
            done += 1
            if done % _PROGRESS_EVERY == 0:
                self.tick(kind, done)
            if isinstance(record, RowError):
                self.errors.add(record)
                continue
            where = RowError(path.name, number, "", unit)
            try:
                typed = section.rows(record)
            except BadValue as error:
                if kind == "orders":
                    # The order's other lines must not replay without this one.
                    self.poisoned.add(section.field_text(record, "order_id"))
                self.errors.add(_at(where, str(error)))
                continue
            for row in typed:
                yield where, row
        self.tick(kind, done)

    def locations(self) -> set[str]:
        codes: set[str] = set()
        for where, row in self.rows("locations"):
            problem = _location_problem(row, codes, self.postal)
            if problem:
                self.errors.add(_at(where, problem))
                continue
            codes.add(row["code"])
            self.writer.write("locations", row)
        return codes

    def products(self) -> None:
        seen: set[str] = set()
        for where, row in self.rows("products"):
            if row["sku"] in seen:
                self.errors.add(_at(where, f"SKU {row['sku']!r} appears twice"))
                continue
            seen.add(row["sku"])
            self.writer.write("products", row)

    def customers(self) -> dict[str, tuple[str, str, str]]:
        known: dict[str, tuple[str, str, str]] = {}
        for where, row in self.rows("customers"):
            if row["customer_id"] in known:
                self.errors.add(_at(where, f"customer {row['customer_id']!r} appears twice"))
                continue
            known[row["customer_id"]] = (row["postal_code"], row["country"], row["tier"])
            self.writer.write("customers", row)
        return known

    def stock(self, codes: set[str]) -> None:
        seen: set[tuple[str, str]] = set()
        for where, row in self.rows("stock"):
            key = (row["sku"], row["location_code"])
            if row["location_code"] not in codes:
                problem = f"location {row['location_code']!r} is not in the locations file"
            elif row["on_hand"] < 0 or row["safety_stock"] < 0:
                problem = "on_hand and safety_stock cannot be negative"
            elif key in seen:
                problem = f"SKU {key[0]!r} at {key[1]!r} appears twice in the snapshot"
            else:
                seen.add(key)
                self.writer.write("stock", row)
                continue
            self.errors.add(_at(where, problem))

    def receipts(self, codes: set[str]) -> None:
        def valid() -> Iterator[dict[str, Any]]:
            for where, row in self.rows("receipts"):
                if row["location_code"] not in codes:
                    problem = f"location {row['location_code']!r} is not in the locations file"
                elif row["quantity"] <= 0:
                    problem = f"quantity must be positive, got {row['quantity']}"
                elif row["kind"] not in _INBOUND_KINDS:
                    problem = f"kind {row['kind']!r} is not purchase_order or transfer"
                else:
                    yield {**row, "expected_on": row["expected_on"].isoformat(), "_n": where.row}
                    continue
                self.errors.add(_at(where, problem))

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


def _location_problem(row: dict[str, Any], seen: set[str], postal: PostalLookup) -> str | None:
    if row["code"] in seen:
        return f"location {row['code']!r} appears twice"
    if row["type"] not in _LOCATION_TYPES:
        return f"type {row['type']!r} is not one of {', '.join(k.value for k in LocationType)}"
    bad = [name for name in row["services"] if name not in _SERVICES]
    if bad:
        return f"service {bad[0]!r} is not one of {', '.join(s.value for s in Service)}"
    if row["daily_capacity"] < 0:
        return f"daily_capacity cannot be negative, got {row['daily_capacity']}"
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
