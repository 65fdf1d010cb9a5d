"""The API's routers, in the order the OpenAPI page lists them."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    access,
    catalog,
    channels,
    events,
    inventory,
    operations,
    orders,
    privacy,
    reports,
    returns,
    rulesets,
    simulations,
    tickets,
)

ROUTERS: tuple[APIRouter, ...] = (
    orders.router,
    tickets.router,
    channels.router,
    inventory.router,
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
