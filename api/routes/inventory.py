"""Inventory: stock by SKU and by location, ATP across locations, and stock movements.

Warehouse keys see and move only their own locations' stock.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.commands import dispatch
from api.deps import CanReadInventory, CanWriteInventory, Services, Uow
from api.schemas.catalog import CODE, SKU
from api.schemas.common import problem_responses
from api.schemas.inventory import AdjustIn, AtpLocation, AtpOut, ReceiveIn, StockOut, TransferIn
from engine.domain import commands
from engine.domain.access import Principal, Role
from engine.domain.errors import NotFound
from engine.domain.inventory import Stock
from engine.service_layer import audit
from engine.service_layer.auth import Forbidden, can_work_location

router = APIRouter(prefix="/v1/inventory", tags=["inventory"])

SkuPath = Annotated[str, Path(pattern=SKU)]
CodePath = Annotated[str, Path(pattern=CODE)]


def _visible(who: Principal, rows: list[Stock]) -> list[Stock]:
    if who.role is Role.WAREHOUSE:
        return [row for row in rows if row.location_code in who.locations]
    return rows


def _may_move(who: Principal, *locations: str) -> None:
    for code in locations:
        if not can_work_location(who, code):
            raise Forbidden(f"this key works only locations {', '.join(who.locations)}, not {code}")


@router.get("/skus/{sku}", response_model=list[StockOut], responses=problem_responses())
def stock_for_sku(sku: SkuPath, who: CanReadInventory, uow: Uow) -> list[StockOut]:
    """Stock of one SKU at every location (a warehouse key: its own locations)."""
    with uow:
        return [StockOut.of(s) for s in _visible(who, list(uow.stock.for_sku(sku)))]


@router.get("/locations/{code}", response_model=list[StockOut], responses=problem_responses())
def stock_at_location(code: CodePath, who: CanReadInventory, uow: Uow) -> list[StockOut]:
    """Every SKU's stock at one location."""
    _may_move(who, code)
    with uow:
        return [StockOut.of(s) for s in uow.stock.for_location(code)]


@router.get("/atp/{sku}", response_model=AtpOut, responses=problem_responses())
def available_to_promise(
    sku: SkuPath,
    who: CanReadInventory,
    uow: Uow,
    channel: Annotated[
        str | None, Query(pattern=CODE, description="Promise for this channel.")
    ] = None,
) -> AtpOut:
    """Available to promise across locations, net of other channels' allocations."""
    with uow:
        rows = _visible(who, list(uow.stock.for_sku(sku)))
        locations = [
            AtpLocation(location_code=s.location_code, available=s.available_for(channel))
            for s in rows
        ]
    return AtpOut(
        sku=sku, channel=channel, total=sum(loc.available for loc in locations), locations=locations
    )


@router.post(
    "/adjustments",
    response_model=StockOut,
    status_code=200,
    responses=problem_responses(404, 409),
)
def adjust(body: AdjustIn, who: CanWriteInventory, services: Services) -> StockOut:
    """Correct on-hand stock (a count, damage, shrinkage) by a signed delta."""
    _may_move(who, body.location_code)
    dispatch(
        services,
        commands.AdjustStock(body.sku, body.location_code, body.delta, body.reason, who.actor),
    )
    return _after(services, who, "stock.adjust", body.sku, body.location_code, body.model_dump())


@router.post("/receipts", response_model=StockOut, responses=problem_responses(404, 409))
def receive(body: ReceiveIn, who: CanWriteInventory, services: Services) -> StockOut:
    """Book units received at a location (a purchase order, a returned transfer)."""
    _may_move(who, body.location_code)
    dispatch(
        services,
        commands.ReceiveStock(
            body.sku, body.location_code, body.quantity, body.reference, who.actor
        ),
    )
    return _after(services, who, "stock.receive", body.sku, body.location_code, body.model_dump())


@router.post("/transfers", response_model=StockOut, responses=problem_responses(404, 409))
def transfer(body: TransferIn, who: CanWriteInventory, services: Services) -> StockOut:
    """Move units between locations; they arrive as inbound supply on `expected_on`."""
    _may_move(who, body.from_location)
    dispatch(
        services,
        commands.TransferStock(
            body.sku,
            body.from_location,
            body.to_location,
            body.quantity,
            body.expected_on,
            who.actor,
        ),
    )
    return _after(
        services, who, "stock.transfer", body.sku, body.from_location, body.model_dump(mode="json")
    )


def _after(
    services: Services, who: Principal, action: str, sku: str, code: str, summary: dict[str, object]
) -> StockOut:
    with services.container.uow_factory() as uow:
        stock = uow.stock.get((sku, code))
        if stock is None:
            raise NotFound("stock", f"{sku}@{code}")
        audit.record(
            uow,
            who.actor,
            action,
            "stock",
            f"{sku}@{code}",
            {},
            {**summary, "on_hand": stock.on_hand},
        )
        out = StockOut.of(stock)
        uow.commit()
    return out
