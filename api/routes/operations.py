"""Shipments (status, short picks, tracking, labels), alerts (list, acknowledge, close), the
audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from api.commands import dispatch
from api.deps import (
    Caller,
    CanAckAlerts,
    CanReadAlerts,
    CanReadAudit,
    CanReadShipments,
    CanUpdateShipments,
    Services,
    Uow,
    require_logged,
)
from api.schemas.common import problem_responses
from api.schemas.labels import LabelIn, label_download, label_responses
from api.schemas.operations import (
    AlertCloseIn,
    AlertOut,
    AuditOut,
    ShipmentStatusIn,
    ShortPickIn,
    ShortPickOut,
    TrackingIn,
)
from api.schemas.orders import ShipmentOut
from api.schemas.patterns import CODE, ID, TRACKING_NUMBER
from engine.domain import commands
from engine.domain.access import Principal, Role
from engine.domain.errors import NotFound
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.domain.operations import AlertStatus
from engine.service_layer import audit, auth
from engine.service_layer.alerts import record_acknowledgement, record_close
from engine.service_layer.auth import Forbidden, can_see_order, can_work_location
from engine.service_layer.labels import NoLabel
from engine.service_layer.shortages import ShortPick
from engine.service_layer.unit_of_work import UnitOfWork

shipments = APIRouter(prefix="/v1/shipments", tags=["shipments"])
alerts = APIRouter(prefix="/v1/alerts", tags=["alerts"])
audit_log = APIRouter(prefix="/v1/audit", tags=["audit"])

ShipmentPath = Annotated[str, Path(pattern=ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def _shipment(uow: UnitOfWork, who: Principal, shipment_id: str) -> FulfillmentOrder:
    """The shipment if this caller may see it; 404 otherwise, so ids do not leak."""
    shipment = uow.shipments.get(shipment_id)
    if shipment is None:
        raise NotFound("shipment", shipment_id)
    if who.role is Role.CUSTOMER:
        order = uow.orders.get(shipment.order_id)
        if order is None or not can_see_order(who, order.channel, order.customer_id):
            raise NotFound("shipment", shipment_id)
    elif not can_work_location(who, shipment.location_code):
        raise NotFound("shipment", shipment_id)
    return shipment


@shipments.get("", response_model=list[ShipmentOut], responses=problem_responses())
def list_shipments(
    who: CanReadShipments,
    uow: Uow,
    location: Annotated[str | None, Query(pattern=CODE)] = None,
    status: ShipmentStatus | None = None,
    tracking_number: Annotated[
        str | None,
        Query(
            pattern=TRACKING_NUMBER,
            max_length=128,
            description="The shipment whose own tracking number, or one of whose parcels' "
            "numbers, this is: exactly, case and all (spaces around it are ignored).",
            examples=["PCL000123456789"],
        ),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ShipmentOut]:
    """What is released to a location (warehouse keys: their own), or every shipment; oldest
    first. With `tracking_number`, the shipment a label or a parcel's number belongs to,
    among those the caller may see."""
    locations, customer_id = _scope(who, location)
    with uow:
        found = uow.shipments.search(
            status=status,
            locations=locations,
            customer_id=customer_id,
            tracking_number=tracking_number,
            limit=limit,
            offset=offset,
        )
        return [ShipmentOut.of(s) for s in found]


def _scope(who: Principal, location: str | None) -> tuple[list[str] | None, str | None]:
    """The locations (None: every one) and the customer (None: any) whose shipments `who` may
    list, narrowed to `location`: what `_shipment` lets it see, as filters of the query, so
    that paging counts only those."""
    wanted = None if location is None else [location]
    if who.role is Role.CUSTOMER:
        return wanted, who.customer_id
    if who.role is Role.WAREHOUSE:
        return [code for code in who.locations if wanted is None or code in wanted], None
    return wanted, None  # admin and support work every location


@shipments.get("/{shipment_id}", response_model=ShipmentOut, responses=problem_responses(404))
def get_shipment(shipment_id: ShipmentPath, who: CanReadShipments, uow: Uow) -> ShipmentOut:
    """One shipment with its lines and tracking events."""
    with uow:
        return ShipmentOut.of(_shipment(uow, who, shipment_id))


@shipments.post(
    "/{shipment_id}/status", response_model=ShipmentOut, responses=problem_responses(404, 409)
)
def update_status(
    shipment_id: ShipmentPath, body: ShipmentStatusIn, who: CanUpdateShipments, services: Services
) -> ShipmentOut:
    """Move a shipment along picked -> packed -> shipped -> delivered; a shipment is cancelled
    with its order (cancel, or modify before release), not here."""
    with services.container.uow_factory() as uow:
        before = str(_shipment(uow, who, shipment_id).status)

    def audited(uow: UnitOfWork) -> None:  # in the move's own commit (`dispatch`)
        after = body.model_dump(mode="json")
        audit.record(
            uow, who.actor, "shipment.status", "shipment", shipment_id, {"status": before}, after
        )

    dispatch(
        services,
        commands.UpdateShipment(shipment_id, str(body.status), body.tracking_number, who.actor),
        audited,
    )
    with services.container.uow_factory() as uow:
        return ShipmentOut.of(_shipment(uow, who, shipment_id))


async def _may_report_short(request: Request, who: Caller) -> Principal:
    """Who works shipments (warehouses, for their own locations; admins), and support, who
    takes a store's call about units it cannot find and has them sourced again."""
    if who.role is not Role.SUPPORT:
        require_logged(request, who, auth.SHIPMENTS_UPDATE)
    return who


CanReportShort = Annotated[Principal, Depends(_may_report_short)]


@shipments.post(
    "/{shipment_id}/short",
    response_model=ShortPickOut,
    responses=problem_responses(404, 409),
    summary="Report units a location cannot find",
)
def report_short(
    shipment_id: ShipmentPath, body: ShortPickIn, who: CanReportShort, services: Services
) -> ShortPickOut:
    """A released or picked shipment's location could not find some of its units (damaged,
    mis-slotted, stolen). In one transaction the shipment's lines lose them (a shipment left
    with none is `cancelled`), the location's stock loses them from on-hand and reserved
    (`stock.adjusted`, reason `short pick: <reason>`), the order's lines get them back as
    backordered, and they are sourced again at once: other locations with the stock get new
    shipments, released as the order's others were; what no location has waits for stock
    like any backordered remainder. The short location is not asked again for those SKUs in
    that re-sourcing. The answer is the shipment as it now stands, the new shipments, and
    what of the order waits for stock.

    Each line is named by `order_line_id`, or by `sku` when the shipment carries that SKU on
    one line only. A line the shipment does not carry, one named twice, or more units than
    it carries is 422 at `$.lines[i]`: report at most the whole line. A pending shipment
    (its order is not released), or one packed or later, is 409 saying why. Audited as
    `shipment.short_pick` (the lines before and after, the missing units, the new shipments)
    and `stock.short_pick` per stock row; raises `shipment.short_picked`."""
    with services.container.uow_factory() as uow:
        _shipment(uow, who, shipment_id)  # 404 before anything is written for a hidden one
    command = commands.ReportShortPick(
        shipment_id, tuple(line.to_command() for line in body.lines), body.reason, who.actor
    )
    done: ShortPick = dispatch(services, command)
    with services.container.uow_factory() as uow:
        new = uow.shipments.get_many(done.new_shipments).values()
        return ShortPickOut(
            shipment=ShipmentOut.of(_shipment(uow, who, shipment_id)),
            new_shipments=[
                ShipmentOut.of(s) for s in new if can_work_location(who, s.location_code)
            ],
            resourced=dict(done.resourced),
            backordered=dict(done.backordered),
        )


@shipments.post(
    "/{shipment_id}/tracking", response_model=ShipmentOut, responses=problem_responses(404, 409)
)
def add_tracking(
    shipment_id: ShipmentPath, body: TrackingIn, who: CanUpdateShipments, services: Services
) -> ShipmentOut:
    """Add a carrier tracking event (scanned, in transit, out for delivery...) in its place in
    time. An event the shipment already has (a carrier's retry, even one racing the first
    post) is not added again: the answer is the shipment as it is, and nothing is audited.
    A shipment no carrier has (pending, cancelled) takes no tracking events: 409.

    What the scan means (`milestone`, given or read from `code`) acts on the shipment when it
    is the timeline's latest: `delivered` delivers a shipped shipment (and its order once all
    its shipments are), `attempted` and `exception` raise `shipment.delivery_exception`.
    A scan's `estimated_delivery` becomes the shipment's when no later scan gave one; one
    that goes past the promised date raises `shipment.delivery_estimate_slipped`.

    A shipment packed into several parcels is tracked parcel by parcel: a scan naming one
    (`tracking_number`) counts for that parcel, and the shipment is delivered once each of
    its parcels is; a number that is none of its parcels' is a 422 at `$.tracking_number`."""
    with services.container.uow_factory() as uow:
        _shipment(uow, who, shipment_id)  # 404 before anything is written for a hidden one
    dispatch(
        services,
        commands.TrackShipment(
            shipment_id,
            body.at,
            body.code,
            body.description,
            body.location,
            who.actor,
            body.milestone,
            body.estimated_delivery,
            body.tracking_number,
        ),
    )
    with services.container.uow_factory() as uow:
        return ShipmentOut.of(_shipment(uow, who, shipment_id))


@shipments.post(
    "/{shipment_id}/label",
    response_model=ShipmentOut,
    responses=problem_responses(404, 409),
    summary="Make a shipment's label",
)
def make_label(
    shipment_id: ShipmentPath, body: LabelIn, who: CanUpdateShipments, services: Services
) -> ShipmentOut:
    """Print the shipment's label through its carrier (the carrier and service chosen for
    it), from its location to the order's ship-to address, and keep it: the answer is the
    shipment with its `tracking_number` and `label_format`; the label itself is
    GET /v1/shipments/{id}/label. The tracking number is issued once: asked again in the
    same format, the label made before is kept as it is (nothing is audited); in the other
    format, the same number is printed again. A cancelled shipment, or one without a
    carrier, is 409; so is an address the label needs a field of and lacks, named."""
    with services.container.uow_factory() as uow:
        _shipment(uow, who, shipment_id)  # 404 before anything is written for a hidden one
    dispatch(services, commands.LabelShipment(shipment_id, str(body.format), who.actor))
    with services.container.uow_factory() as uow:
        return ShipmentOut.of(_shipment(uow, who, shipment_id))


@shipments.get(
    "/{shipment_id}/label",
    response_class=Response,
    responses=label_responses(404),
    summary="Download a shipment's label",
)
def get_label(shipment_id: ShipmentPath, who: CanReadShipments, uow: Uow) -> Response:
    """The label made for the shipment, as an attachment: `application/pdf`, or ZPL text
    (`application/x-zpl`). Warehouses (their own locations), support (to send it again) and
    admins; 404 when none was made yet."""
    if who.role is Role.CUSTOMER:
        # A shipping label is the location's to stick on the parcel; the customer follows
        # the shipment by its tracking number.
        raise Forbidden("shipping labels are for staff: follow the shipment's tracking_number")
    with uow:
        shipment = _shipment(uow, who, shipment_id)
        label = uow.labels.get("shipment", shipment.id)
        if label is None:
            raise NoLabel("shipment", shipment_id, "shipments")
        return label_download(label.content, label.format, f"label-{shipment.id}")


@alerts.get("", response_model=list[AlertOut], responses=problem_responses())
def list_alerts(
    _: CanReadAlerts,
    uow: Uow,
    status: AlertStatus | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AlertOut]:
    """Alerts, newest first; filter by status (open, acknowledged, closed)."""
    with uow:
        return [
            AlertOut.of(a) for a in uow.alerts.search(status=status, limit=limit, offset=offset)
        ]


@alerts.post(
    "/{alert_id}/acknowledge", response_model=AlertOut, responses=problem_responses(404, 409)
)
def acknowledge(
    alert_id: Annotated[str, Path(pattern=ID)], who: CanAckAlerts, uow: Uow
) -> AlertOut:
    """Say a person has seen the alert; it stops notifying."""
    with uow:
        # Locked: a repeat counted on it meanwhile is waited for, not refused at commit.
        alert = uow.alerts.get_for_update(alert_id)
        if alert is None:
            raise NotFound("alert", alert_id)
        record_acknowledgement(uow, alert, who.actor)
        out = AlertOut.of(alert)
        uow.commit()
    return out


@alerts.post("/{alert_id}/close", response_model=AlertOut, responses=problem_responses(404, 409))
def close(
    alert_id: Annotated[str, Path(pattern=ID)],
    who: CanAckAlerts,
    uow: Uow,
    body: AlertCloseIn | None = None,
) -> AlertOut:
    """Say the alert is over (acknowledging it too if it is open): the same rule and key
    firing again opens a new alert. The body is optional: a `note` saying why. A closed
    alert is 409."""
    note = body.note.strip() if body is not None else ""
    with uow:
        alert = uow.alerts.get_for_update(alert_id)
        if alert is None:
            raise NotFound("alert", alert_id)
        record_close(uow, alert, who.actor, note=note)
        out = AlertOut.of(alert)
        uow.commit()
    return out


@audit_log.get("", response_model=list[AuditOut], responses=problem_responses())
def list_audit(
    _: CanReadAudit,
    uow: Uow,
    entity: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AuditOut]:
    """Every mutation: who, when, what, before and after. Append-only: no route updates or
    deletes an entry. The one exception is a customer's erasure (`POST
    /v1/customers/{customer_id}/erase`), which redacts their details inside the entries about
    them and records itself as `customer.erase`."""
    return [
        AuditOut.of(e)
        for e in audit.entries(uow, entity=entity, entity_id=entity_id, limit=limit, offset=offset)
    ]
