"""What the Decider may know about stock: a read-only view, and an in-memory ledger.

The Decider never touches a repository. Handlers build a `SnapshotStockView` from the rows
they loaded; the simulation keeps a `StockLedger` it reserves against as it replays orders.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from engine.domain.inventory import Stock


class StockView(Protocol):
    def available(self, sku: str, location_code: str, channel: str | None) -> int:
        """Units of `sku` at a location that an order of `channel` may still promise."""
        ...

    def locations(self, sku: str) -> Iterable[str]:
        """Codes of the locations that hold a stock row for `sku` (any quantity)."""
        ...


class SnapshotStockView:
    """A view over Stock rows (copies are fine: the Decider only reads)."""

    def __init__(self, rows: Iterable[Stock]) -> None:
        self._rows: dict[tuple[str, str], Stock] = {}
        self._by_sku: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            self._rows[(row.sku, row.location_code)] = row
            self._by_sku[row.sku].append(row.location_code)

    def available(self, sku: str, location_code: str, channel: str | None) -> int:
        row = self._rows.get((sku, location_code))
        return 0 if row is None else row.available_for(channel)

    def locations(self, sku: str) -> Iterable[str]:
        return self._by_sku.get(sku, ())

    def row(self, sku: str, location_code: str) -> Stock | None:
        return self._rows.get((sku, location_code))


class StockLedger(SnapshotStockView):
    """A mutable in-memory stock book (simulation, benchmarks, property tests).

    Reserving goes through `Stock.reserve`, the same arithmetic the database uses.
    """

    def add(self, row: Stock) -> None:
        if (row.sku, row.location_code) not in self._rows:
            self._by_sku[row.sku].append(row.location_code)
        self._rows[(row.sku, row.location_code)] = row

    def try_reserve(self, sku: str, location_code: str, quantity: int, channel: str | None) -> bool:
        row = self._rows.get((sku, location_code))
        if row is None or quantity > row.available_for(channel):
            return False
        row.reserve(quantity, channel)
        return True

    def release(self, sku: str, location_code: str, quantity: int) -> None:
        self._rows[(sku, location_code)].release(quantity)
