"""Stock as it was during the replayed period: a snapshot, receipts on their dates, reservations.

The ledger implements the pipeline's `StockView` protocol, so the Decider reads it exactly as
it reads live stock. Its rows are the domain's `Stock` objects and reserving goes through
`Stock.reserve`, the arithmetic the database's conditional update uses, so availability in a
simulation means what it means in production. Inbound receipts wait in date order and land
(`Stock.adjust`) when the replay clock reaches their date; the ones still pending are what the
Decider sees as inbound supply when it promises a backorder.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from datetime import date

from engine.domain.inventory import InboundSupply, Stock


class StockLedger:
    """A mutable in-memory stock book for one replay; never shared with live data."""

    def __init__(self, rows: Iterable[Stock] = (), receipts: Iterable[InboundSupply] = ()) -> None:
        self._rows: dict[tuple[str, str], Stock] = {}
        self._by_sku: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            self._add(row)
        ordered = sorted(receipts, key=lambda r: (r.expected_on, r.id))
        self._queue: deque[InboundSupply] = deque(ordered)
        self._pending: dict[str, list[InboundSupply]] = defaultdict(list)
        for receipt in ordered:
            self._pending[receipt.sku].append(receipt)
        self.received_units = 0
        self.failed_reservations = 0

    # --- StockView ------------------------------------------------------------------------

    def available(self, sku: str, location_code: str, channel: str | None) -> int:
        row = self._rows.get((sku, location_code))
        return 0 if row is None else row.available_for(channel)

    def locations(self, sku: str) -> Iterable[str]:
        return self._by_sku.get(sku, ())

    # --- what the replay does to it -------------------------------------------------------

    def receive_until(self, day: date) -> int:
        """Land every receipt expected on or before `day`; returns how many landed."""
        landed = 0
        while self._queue and self._queue[0].expected_on <= day:
            receipt = self._queue.popleft()
            row = self._rows.get((receipt.sku, receipt.location_code))
            if row is None:
                row = self._add(Stock(receipt.sku, receipt.location_code))
            row.adjust(receipt.quantity)
            # Receipts land in date order, so the one landing is first in its SKU's list.
            self._pending[receipt.sku].pop(0)
            self.received_units += receipt.quantity
            landed += 1
        return landed

    def pending(self, skus: Iterable[str]) -> Sequence[InboundSupply]:
        """Receipts not yet landed for these SKUs: the inbound a backorder can be promised on."""
        found: list[InboundSupply] = []
        for sku in set(skus):
            found.extend(self._pending.get(sku, ()))
        return found

    def reserve(self, sku: str, location_code: str, quantity: int, channel: str | None) -> bool:
        """Hold units for a sourced order; False (and counted) if the view had promised more."""
        row = self._rows.get((sku, location_code))
        if row is None or quantity > row.available_for(channel):
            self.failed_reservations += 1
            return False
        row.reserve(quantity, channel)
        return True

    def row(self, sku: str, location_code: str) -> Stock | None:
        return self._rows.get((sku, location_code))

    def _add(self, row: Stock) -> Stock:
        key = (row.sku, row.location_code)
        if key not in self._rows:
            self._by_sku[row.sku].append(row.location_code)
        self._rows[key] = row
        return row
