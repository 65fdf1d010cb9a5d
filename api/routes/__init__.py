"""The API's routers, in the order the OpenAPI page lists them."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    access,
    box_stock,
    carriers,
    catalog,
    channels,
    edi,
    edi_interchanges,
    events,
    inventory,
    operations,
    orders,
    privacy,
    reports,
    returns,
    rulesets,
    simulations,
    ticketing,
    tickets,
)

ROUTERS: tuple[APIRouter, ...] = (
    # Before the orders router: `/v1/orders/x12` is matched before any `/v1/orders/{order_id}`
    # route could take `x12` for an order id.
    edi.router,
    edi_interchanges.router,
    orders.router,
    tickets.router,
    channels.router,
    ticketing.router,
    carriers.router,
    inventory.router,
    box_stock.router,
    catalog.router,
    privacy.router,
    operations.shipments,
    returns.router,
    operations.alerts,
    rulesets.router,
    simulations.router,
    reports.router,
    operations.audit_log,
    events.router,
    access.router,
    access.health,
)
