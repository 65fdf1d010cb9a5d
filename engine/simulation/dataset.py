"""The simulation data set: a normalised, time-ordered copy of a history, written atomically.

Layout of a data set directory (every data file is JSON Lines, one record per line)::

    manifest.json     format version, counts, date range, sources, sha256 of every file
    orders.jsonl      one order per line with its lines, sorted by (created_at, order id)
    locations.jsonl   stock.jsonl   receipts.jsonl (sorted by date)   products.jsonl
    customers.jsonl   errors.csv (rows the import skipped, when it was told to continue)

`DatasetWriter` builds all of it in a hidden sibling directory and renames it into place only
when everything was written, so a failed or interrupted import leaves nothing behind that
looks like a data set. Readers stream: opening a data set reads only the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.errors import DomainError
from engine.domain.inventory import InboundKind, InboundSupply
from engine.domain.orders import Order, OrderLine
from engine.domain.values import Address
from engine.simulation.errors import SimulationError

FORMAT_VERSION = 1
# A data set's name: its directory under `datasets/`, and a path segment and field in the API,
# which declares the same pattern.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$"
FILES = ("orders", "locations", "stock", "receipts", "products", "customers")
T = TypeVar("T")


class DatasetError(SimulationError):
    """A data set is missing, incomplete or of an unknown format; names the directory."""


def _sweep_abandoned(parent: Path) -> None:
    """Remove scratch directories of imports whose process is gone: a killed import (SIGTERM,
    SIGKILL, a power cut) cannot clean up after itself, and its sorted runs can be large."""
    for scratch in parent.glob(".*.importing-*-*"):
        pid = scratch.name.rsplit(".importing-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(scratch, ignore_errors=True)


def _alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # Windows' os.kill ends the process whatever the signal: never ask it
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except (ProcessLookupError, OverflowError):
        return False  # no process has this number
    except OSError:
        return True  # someone else's process: it exists
    return True


class DatasetWriter:
    """Write a data set into a temporary directory and publish it with one rename."""

    def __init__(self, dest: Path, *, replace: bool = False) -> None:
        self.dest = dest
        self.replace = replace
        if dest.exists() and not replace:
            raise DatasetError(f"{dest}: a data set with this name already exists (use --replace)")
        # The process id in the name lets a later import tell an abandoned one from a live one.
        self.tmp = dest.parent / f".{dest.name}.importing-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._handles: dict[str, IO[str]] = {}
        self.counts: dict[str, int] = dict.fromkeys(FILES, 0)

    def __enter__(self) -> DatasetWriter:
        self.tmp.mkdir(parents=True)
        _sweep_abandoned(self.tmp.parent)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()
        # Still here means commit() did not run: nothing half-written may survive.
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def workdir(self) -> Path:
        """Scratch space inside the temporary directory (sort runs), removed with it."""
        path = self.tmp / "work"
        path.mkdir(exist_ok=True)
        return path

    def write(self, kind: str, record: dict[str, Any]) -> None:
        handle = self._handles.get(kind)
        if handle is None:
            handle = self._handles[kind] = (self.tmp / f"{kind}.jsonl").open("w", encoding="utf-8")
        handle.write(dumps(record))
        handle.write("\n")
        self.counts[kind] += 1

    def attach(self, name: str, source: Path) -> None:
        """Move an auxiliary file (the error report) into the data set."""
        shutil.move(str(source), self.tmp / name)

    def commit(self, manifest: dict[str, Any]) -> Path:
        self._close()
        for kind in FILES:
            (self.tmp / f"{kind}.jsonl").touch()
        shutil.rmtree(self.tmp / "work", ignore_errors=True)
        files = sorted(path.name for path in self.tmp.iterdir() if path.is_file())
        manifest = {
            "format": FORMAT_VERSION,
            **manifest,
            "counts": {kind: self.counts[kind] for kind in FILES},
            "sha256": {name: _sha256(self.tmp / name) for name in files},
        }
        (self.tmp / "manifest.json").write_text(dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if self.dest.exists() and self.replace:
            trash = self.dest.parent / f".{self.dest.name}.replaced-{uuid.uuid4().hex[:8]}"
            os.replace(self.dest, trash)
            os.replace(self.tmp, self.dest)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(self.tmp, self.dest)
        return self.dest

    def _close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


class Dataset:
    """A data set on disk, read lazily."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        manifest_path = self.path / "manifest.json"
        if not manifest_path.is_file():
            raise DatasetError(f"{self.path}: not a data set (no manifest.json); run 'ordo import'")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:  # ValueError: not JSON, or not UTF-8
            raise DatasetError(f"{manifest_path}: unreadable manifest ({error})") from None
        if not isinstance(manifest, dict):
            raise DatasetError(f"{manifest_path}: unreadable manifest (not a JSON object)")
        self.manifest: dict[str, Any] = manifest
        if manifest.get("format") != FORMAT_VERSION:
            raise DatasetError(
                f"{self.path}: data set format {manifest.get('format')!r} is not "
                f"{FORMAT_VERSION}; re-import it with this version of Ordo"
            )
        counts, sums = manifest.get("counts"), manifest.get("sha256")
        if not (isinstance(counts, dict) and type(counts.get("orders")) is int):
            raise DatasetError(f"{manifest_path}: no order count under 'counts'; {_REIMPORT}")
        if not isinstance(sums, dict):
            raise DatasetError(f"{manifest_path}: no checksums under 'sha256'; {_REIMPORT}")

    @property
    def order_count(self) -> int:
        return int(self.manifest["counts"]["orders"])

    def records(self, kind: str) -> Iterator[dict[str, Any]]:
        """The records of `kind` as dicts (see `read` for the errors)."""
        return self.read(kind, _object)

    def read(self, kind: str, convert: Callable[[dict[str, Any]], T]) -> Iterator[T]:
        """Each record of `kind`, converted; a line that is not a JSON object, or that lacks
        what `convert` needs, is a DatasetError naming the file and the line."""
        path = self.path / f"{kind}.jsonl"
        try:
            # Bytes, decoded per line: text that is not UTF-8 is then an error of its line.
            handle = path.open("rb")
        except FileNotFoundError:
            raise DatasetError(f"{self.path}: {kind}.jsonl is missing; {_REIMPORT}") from None
        except OSError as error:
            raise DatasetError(f"{path}: cannot read it ({error.strerror or error})") from None
        number = 0
        with handle:
            for number, line in enumerate(handle, start=1):
                try:
                    item = convert(json.loads(line.decode("utf-8")))
                except _RECORD_ERRORS as error:
                    raise DatasetError(
                        f"{path} line {number}: {_problem(error)}; {_REIMPORT}"
                    ) from None
                yield item
        expected = self.manifest["counts"].get(kind)
        if type(expected) is int and number != expected:
            # Cut short at a line's end (or lines added): every line read, yet not the history.
            raise DatasetError(
                f"{path} holds {number:,} records but manifest.json counts {expected:,}: the "
                f"file was cut short or edited after the import; {_REIMPORT}"
            )

    def verify(self) -> None:
        """Check every file the manifest lists still has the contents it was imported with.

        Reads them all (about a second per 500 MB): a file cut short or edited by hand would
        otherwise replay as a different history, or fail at the first bad line midway."""
        sums: dict[str, Any] = self.manifest["sha256"]
        for name, expected in sorted(sums.items()):
            path = self.path / name
            if "/" in name or name.startswith(".") or not path.is_file():
                raise DatasetError(f"{path} is missing; {_REIMPORT}")
            try:
                found = _sha256(path)
            except OSError as error:
                raise DatasetError(f"{path}: cannot read it ({error.strerror or error})") from None
            if found != expected:
                raise DatasetError(
                    f"{path} has changed since the data set was imported (its sha256 is not "
                    f"the one in manifest.json); {_REIMPORT}"
                )

    def fingerprint(self) -> str:
        """Identifies the exact contents, so results say which history they came from."""
        return hashlib.sha256(dumps(self.manifest.get("sha256", {})).encode()).hexdigest()[:16]


_REIMPORT = "re-import the data set ('ordo import NAME ... --replace')"


def _object(record: Any) -> dict[str, Any]:
    if type(record) is not dict:
        raise ValueError(f"not a JSON object but {type(record).__name__}")
    return record


# What a record that is not as the import writes it raises on its way to an entity.
_RECORD_ERRORS = (ValueError, KeyError, TypeError, AttributeError, ArithmeticError, DomainError)


def _problem(error: Exception) -> str:
    """What is wrong with one record, in words (the caller names the file and line)."""
    if isinstance(error, json.JSONDecodeError):
        return f"not a JSON record ({error.msg} at column {error.colno})"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start + 1})"
    if isinstance(error, KeyError):
        return f"the record has no {error.args[0]!r}"
    if isinstance(error, TypeError | AttributeError):
        return f"a field has the wrong type ({error})"
    if isinstance(error, InvalidOperation):
        return "a price or amount is not a decimal number"
    if isinstance(error, DomainError):
        return error.message
    return str(error)


def dumps(value: Any, indent: int | None = None) -> str:
    """Deterministic JSON: sorted keys, no spaces, dates and decimals as text."""
    if indent is None:
        # One encoder for every record: `json.dumps` with options builds a new one per call,
        # and a replay writes a line per order.
        return _COMPACT.encode(value)
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(value, sort_keys=True, separators=separators, indent=indent, default=_plain)


def plain(value: Any) -> Any:
    """JSON's `default`: dates, times and decimals as text, sets sorted, tuples as lists."""
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, frozenset | set | tuple):
        return sorted(value) if isinstance(value, frozenset | set) else list(value)
    raise TypeError(f"cannot write {type(value).__name__} to a data set")


_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_plain)


def iso_utc(moment: datetime) -> str:
    """One text form for instants so that sorting the text sorts the time."""
    # Not strftime: its %Y writes year 999 as '999', which sorts after '2025' and which
    # fromisoformat cannot read back; isoformat always writes four digits.
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def parse_utc(text: str) -> datetime:
    # fromisoformat (C, accepts "Z" since 3.11) is several times faster than strptime, and
    # the replay parses one timestamp per order.
    return datetime.fromisoformat(text)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- records to domain entities -------------------------------------------------------------


def to_order(record: dict[str, Any]) -> Order:
    return Order(
        id=record["id"],
        channel=record["channel"],
        channel_order_id=record["id"],
        customer_id=record["customer_id"],
        ship_to=Address(
            postal_code=record["postal_code"],
            country=record["country"],
            lat=record.get("lat"),
            lon=record.get("lon"),
        ),
        lines=[
            OrderLine(
                id=line["id"],
                sku=line["sku"],
                quantity=line["quantity"],
                price=_price(line["price"]),
            )
            for line in record["lines"]
        ],
        created_at=parse_utc(record["created_at"]),
        email=record.get("email", ""),
        currency=record.get("currency", "USD"),
        service_level=record.get("service_level", "standard"),
        requested_date=date.fromisoformat(record["requested_date"])
        if record.get("requested_date")
        else None,
        priority=record.get("priority", 0),
    )


# Decimal(text) costs more than the rest of an order line, and a history repeats a few
# thousand prices over millions of lines; Decimals are immutable, so lines can share them.
_PRICES: dict[str, Decimal] = {}
_PRICES_KEPT = 100_000


def _price(value: Any) -> Decimal:
    found = _PRICES.get(value) if type(value) is str else None
    if found is None:
        found = Decimal(value)
        if type(value) is str:
            if len(_PRICES) >= _PRICES_KEPT:
                _PRICES.clear()
            _PRICES[value] = found
    return found


def to_location(record: dict[str, Any]) -> Location:
    return Location(
        code=record["code"],
        name=record["name"] or record["code"],
        type=LocationType(record["type"]),
        address=Address(
            postal_code=record["postal_code"],
            country=record["country"],
            lat=record["lat"],
            lon=record["lon"],
        ),
        daily_capacity=record["daily_capacity"],
        cutoff=time.fromisoformat(record["cutoff"]),
        tags=frozenset(record["tags"]),
        services=frozenset(Service(name) for name in record["services"]),
        enabled=record["enabled"],
    )


def to_product(record: dict[str, Any]) -> Product:
    return Product(
        sku=record["sku"],
        name=record["name"] or record["sku"],
        price=Decimal(record["price"]),
        weight_kg=record["weight_kg"],
        hazmat=record["hazmat"],
        category=record["category"],
        tags=frozenset(record["tags"]),
        dropship_vendor=record.get("dropship_vendor"),
        preorder_release=(
            date.fromisoformat(record["preorder_release"])
            if record.get("preorder_release")
            else None
        ),
    )


def to_customer(record: dict[str, Any]) -> Customer:
    return Customer(
        id=record["customer_id"],
        email=record["email"],
        tier=record["tier"],
        group=record["group"],
        default_address=Address(postal_code=record["postal_code"], country=record["country"]),
    )


# Calling an enum by value goes through `EnumType.__call__`; a data set has a receipt per
# SKU and week, and each is made when a replay starts.
_KINDS = {kind.value: kind for kind in InboundKind}


def _kind(value: Any) -> InboundKind:
    found = _KINDS.get(value) if type(value) is str else None
    return found if found is not None else InboundKind(value)  # an unknown one raises here


def to_receipt(record: dict[str, Any], number: int) -> InboundSupply:
    return InboundSupply(
        id=f"R{number}",
        sku=record["sku"],
        location_code=record["location_code"],
        quantity=record["quantity"],
        expected_on=date.fromisoformat(record["expected_on"]),
        kind=_kind(record["kind"]),
        reference=record["reference"],
    )
