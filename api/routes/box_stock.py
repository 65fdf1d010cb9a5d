"""Boxes in stock: a location's levels of the catalogue's boxes, counted and received
(docs/packaging.md#boxes-in-stock). The roles are the goods' counts' and receipts': a
warehouse key sees and moves only its own locations' boxes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.commands import dispatch
from api.deps import CanReadInventory, CanWriteInventory, Services
from api.routes.inventory import _may_move
from api.schemas.box_stock import BoxCountIn, BoxReceiptIn, BoxStockOut
from api.schemas.common import problem_responses
from api.schemas.patterns import CODE
from engine.domain import commands
from engine.domain.access import Role
from engine.domain.errors import NotFound
from engine.service_layer import box_stock
from engine.service_layer.counts import CountRefused

router = APIRouter(prefix="/v1/inventory/boxes", tags=["inventory"])


@router.get("", response_model=list[BoxStockOut], responses=problem_responses(404))
def box_levels(
    who: CanReadInventory,
    services: Services,
    location: Annotated[str | None, Query(pattern=CODE)] = None,
) -> list[BoxStockOut]:
    """Each box's level at a location (every location's without `location`; a warehouse
    key: its own), by location and box. With `location`, every box the catalogue stocks
    there is listed: one never counted, received or shipped from there has `tracked` false
    and `on_hand` null. Without `location`, only boxes with a level."""
    if location is not None:
        _may_move(who, location)
    catalog = services.container.packaging
    with services.container.uow_factory() as uow:
        if location is not None and uow.locations.get(location) is None:
            raise NotFound("location", location)
        levels = box_stock.box_levels(uow, catalog, location)
    if who.role is Role.WAREHOUSE:
        levels = [level for level in levels if level.location_code in who.locations]
    return [BoxStockOut.listed(level, catalog) for level in levels]


@router.post(
    "/counts",
    response_model=list[BoxStockOut],
    responses=problem_responses(404, 409),
    summary="Set a location's boxes to what its people counted",
)
def count_boxes(body: BoxCountIn, who: CanWriteInventory, services: Services) -> list[BoxStockOut]:
    """Each counted box's on hand at the location becomes its count, in one transaction; the
    levels after, in the order sent. A box the catalogue does not know, one it does not stock
    at the location (its `locations`) or one counted twice is 422 naming each bad line
    (`$.counts[i].box`), and nothing is applied. 409 without a box catalogue."""
    _may_move(who, body.location_code)
    try:
        levels = dispatch(services, body.to_command(who.actor))
    except CountRefused as refused:
        raise RequestValidationError(
            [
                {"loc": ("body", *bad.loc), "type": bad.code, "msg": bad.reason, "input": None}
                for bad in refused.problems
            ]
        ) from None
    return [BoxStockOut.of(level, services.container.packaging) for level in levels]


@router.post("/receipts", response_model=BoxStockOut, responses=problem_responses(404, 409))
def receive_boxes(body: BoxReceiptIn, who: CanWriteInventory, services: Services) -> BoxStockOut:
    """Add boxes delivered to a location; the level after. A box the catalogue does not know
    or does not stock there is 422 naming `$.box`."""
    _may_move(who, body.location_code)
    command = commands.ReceiveBoxes(
        body.location_code, body.box, body.quantity, body.reference, who.actor
    )
    return BoxStockOut.of(dispatch(services, command), services.container.packaging)
