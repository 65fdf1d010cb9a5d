"""A stock count applied the way it was before `StockRepository.set_counts`: one atomic
adjustment per counted SKU, in SKU order, each a round trip (two when orders reserved more
since the read). Kept as the reference the batched statements must agree with
(tests/integration/persistence/test_stock_counts_in_batches.py) and as the baseline of
`bench/count_bench.py`; Ordo itself no longer applies counts this way.

`per_row()` puts it in place of every store's `set_counts` for the block.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from unittest import mock

from engine.adapters.memory import MemoryStock
from engine.adapters.stock_repository import SqlStock
from engine.domain.errors import InvalidQuantity
from engine.service_layer.unit_of_work import CountApplied, StockRepository


def set_counts_per_row(
    stock: StockRepository, location_code: str, counts: Mapping[str, int]
) -> dict[str, CountApplied]:
    """`set_counts` through `adjust`, one SKU at a time."""
    skus = sorted(counts)
    # Held by this transaction rather than only read: each adjustment then updates the row
    # in hand instead of reading it back. Numbers are copied out of the live rows.
    seen = {
        row.sku: (row.on_hand, row.reserved, row.available)
        for row in stock.for_skus(skus)
        if row.location_code == location_code
    }
    return {sku: _set(stock, location_code, sku, counts[sku], seen.get(sku)) for sku in skus}


def _set(
    stock: StockRepository,
    code: str,
    sku: str,
    count: int,
    seen: tuple[int, int, int] | None,
) -> CountApplied:
    on_hand, reserved, available = seen or (0, 0, 0)
    target = max(count, reserved)
    if seen is not None and target == on_hand:
        return CountApplied(sku, on_hand, on_hand, reserved, available)
    try:
        row = stock.adjust(sku, code, target - on_hand)
        moved = target - on_hand
    except InvalidQuantity:
        # Orders reserved more since the read than the move would leave on hand: take the
        # row's lock without moving it, and set it from what it holds now (below).
        row = stock.adjust(sku, code, 0)
        moved = 0
    before = row.on_hand - moved
    target = max(count, row.reserved)
    if row.on_hand != target:
        row = stock.adjust(sku, code, target - row.on_hand)
    return CountApplied(sku, before, row.on_hand, row.reserved, row.available)


@contextmanager
def per_row() -> Iterator[None]:
    """Within the block, every store applies counts one adjustment per SKU."""
    with ExitStack() as stack:
        for store in (MemoryStock, SqlStock):
            stack.enter_context(mock.patch.object(store, "set_counts", set_counts_per_row))
        yield
