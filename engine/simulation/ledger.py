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

from engine.domain.errors import InsufficientStock
from engine.domain.inventory import InboundSupply, Stock


class StockLedger:
    """A mutable in-memory stock book for one replay; never shared with live data."""

    def __init__(self, rows: Iterable[Stock] = (), receipts: Iterable[InboundSupply] = ()) -> None:
        self._rows: dict[tuple[str, str], Stock] = {}
        self._by_sku: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            self._add(row)
        ordered = sorted(receipts, key=lambda r: (r.expected_on, r.id))
        # Receipts by date, so landing a day's is one look-up rather than a test per receipt,
        # and pending ones per SKU as queues: a receipt lands first in its SKU's queue.
        self._landing: dict[date, list[InboundSupply]] = {}
        self._pending: dict[str, deque[InboundSupply]] = defaultdict(deque)
        for receipt in ordered:
            self._landing.setdefault(receipt.expected_on, []).append(receipt)
            self._pending[receipt.sku].append(receipt)
        self._dates = list(self._landing)  # ascending: `ordered` is by date
        self._next = 0  # index in `_dates` of the first day not landed yet
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
        dates = self._dates
        while self._next < len(dates) and dates[self._next] <= day:
            landed += self._land(self._landing.pop(dates[self._next]))
            self._next += 1
        return landed

    def _land(self, receipts: list[InboundSupply]) -> int:
        rows, pending = self._rows, self._pending
        units = 0
        for receipt in receipts:
            row = rows.get((receipt.sku, receipt.location_code))
            if row is None:
                row = self._add(Stock(receipt.sku, receipt.location_code))
            row.adjust(receipt.quantity)
            pending[receipt.sku].popleft()
            units += receipt.quantity
        self.received_units += units
        return len(receipts)

    def pending(self, skus: Iterable[str]) -> Sequence[InboundSupply]:
        """Receipts not yet landed for these SKUs: the inbound a backorder can be promised on."""
        found: list[InboundSupply] = []
        for sku in set(skus):
            found.extend(self._pending.get(sku, ()))
        return found

    def reserve(self, sku: str, location_code: str, quantity: int, channel: str | None) -> bool:
        """Hold units for a sourced order; False (and counted) if the view had promised more."""
        row = self._rows.get((sku, location_code))
        if row is None:
            self.failed_reservations += 1
            return False
        try:
            # `Stock.reserve` checks availability itself: asking first would compute it twice
            # for every allocation of a replay, to catch the rare promise the view over-made.
            row.reserve(quantity, channel)
        except InsufficientStock:
            self.failed_reservations += 1
            return False
        return True

    def row(self, sku: str, location_code: str) -> Stock | None:
        return self._rows.get((sku, location_code))

    def _add(self, row: Stock) -> Stock:
        key = (row.sku, row.location_code)
        if key not in self._rows:
            self._by_sku[row.sku].append(row.location_code)
        self._rows[key] = row
        return row
