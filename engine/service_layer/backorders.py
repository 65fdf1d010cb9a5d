"""Backorders: put orders waiting for stock back into the pipeline when stock arrives.

Kept apart from `handlers.py` (the order path) because it grows with the backorder and
pre-order policies (which orders go first, what a partial arrival does), not with the order
path's persistence.
"""

from __future__ import annotations

from engine.domain import events
from engine.domain.orders import Order, OrderStatus
from engine.service_layer.unit_of_work import UnitOfWork


def on_stock_adjusted(event: events.StockAdjusted, uow: UnitOfWork) -> None:
    """Stock arrived: orders wholly backordered on that SKU that can now be filled in full
    go back to `received`, so the status-changed event decides them again (oldest first).
    An order that still could not be filled stays backordered rather than trickling out in
    partial shipments as units arrive."""
    if event.delta <= 0 or event.available <= 0:
        return
    with uow:
        waiting = uow.orders.search(status=OrderStatus.BACKORDERED, sku=event.sku, limit=100)
        for order in sorted(waiting, key=lambda o: (o.created_at, o.id)):
            if _fillable(uow, order):
                order.transition(OrderStatus.RECEIVED, f"{event.sku} arrived")
        uow.commit()


def _fillable(uow: UnitOfWork, order: Order) -> bool:
    wanted: dict[str, int] = {}
    for line in order.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    return all(
        sum(row.available_for(order.channel) for row in uow.stock.for_sku(sku)) >= quantity
        for sku, quantity in wanted.items()
    )
