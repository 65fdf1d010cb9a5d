"""The two doors a trading partner's X12 interchanges come in by: `POST /v1/orders/x12` for
850 purchase orders and `POST /v1/orders/x12/changes` for 860 changes. Partners' gateways
route by document type, so both doors stay; either takes an interchange whole, its `PO` and
its `PC` functional groups alike.

The 850s are taken first (api.routes.edi), so an 860 changing a purchase order sent in the
same interchange finds its order, then the 860s (api.routes.edi_po_changes); then one 997
answers every group, one 997 set per group as X12 asks, under the next control number of the
partner's sender/receiver pair. Each door answers in its own shape, with the other kind's
results beside them (`changes` at the 850s' door, `orders` at the 860s'; null when the
interchange has none), and a group of neither kind is refused in the door's own shape (the
997's `AK9*R`, note 1). See docs/edi.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from api.deps import ApiServices, CanIngestOrders, Services
from api.routes import edi as orders_door
from api.routes import edi_po_changes as changes_door
from api.routes.channels import RawBody
from api.routes.edi import PurchaseOrdersPart, TransactionSetOut, take_purchase_orders
from api.routes.edi_outbound import ChannelQuery, channel_named
from api.routes.edi_po_changes import PoChangeSetOut, PoChangesPart, take_po_changes
from api.routes.x12_bodies import UNSUPPORTED_MEDIA, openapi_body, refused_media
from api.schemas.common import Out, problem_responses
from connectors.channels import x12, x12_outbound
from connectors.channels.x12_po_changes import ORDERS_AND_CHANGES, PO_CHANGES
from engine.domain.access import Principal
from engine.domain.values import utcnow
from engine.service_layer import edi

router = APIRouter()


class X12Out(Out):
    interchange: str = Field(description="The interchange's control number (ISA13).")
    created: int
    failed: int
    results: list[TransactionSetOut]
    acknowledgement: str = Field(
        description="The 997 functional acknowledgement for the interchange, in its delimiters."
    )
    changes: PoChangesPart | None = Field(
        default=None,
        description="The interchange's 860 purchase order changes (its PC groups), answered "
        "as POST /v1/orders/x12/changes answers them, applied after its 850s; null when it "
        "has none.",
    )

    model_config = {"json_schema_extra": {"examples": [orders_door.ANSWER_EXAMPLE]}}


class PoChangesOut(Out):
    interchange: str = Field(description="The interchange's control number (ISA13).")
    applied: int
    failed: int
    results: list[PoChangeSetOut]
    acknowledgement: str = Field(description="The 997 for the interchange, in its delimiters.")
    orders: PurchaseOrdersPart | None = Field(
        default=None,
        description="The interchange's 850 purchase orders (its PO groups), answered as POST "
        "/v1/orders/x12 answers them, taken before its 860s; null when it has none.",
    )


@dataclass(frozen=True, slots=True)
class _Taken:
    """A whole interchange taken: its 850s' answer and its 860s' (each None when it has no
    group of that kind), and the 997."""

    interchange: x12.Interchange
    orders: PurchaseOrdersPart | None
    changes: PoChangesPart | None
    acknowledgement: str


@router.post(
    orders_door.PATH,
    tags=["orders"],
    response_model=X12Out,
    responses={
        200: {"description": "What became of each purchase order, and the 997."},
        415: UNSUPPORTED_MEDIA,
        **problem_responses(),
    },
    summary="Ingest B2B purchase orders: an X12 interchange of 850s, answered with a 997",
    openapi_extra=openapi_body(
        "850 purchase orders (860 changes may come beside them)", orders_door.EXAMPLE
    ),
)
def receive_x12(
    request: Request,
    who: CanIngestOrders,
    services: Services,
    body: RawBody,
    channel: ChannelQuery = None,
) -> JSONResponse:
    """Each 850 purchase order of the interchange becomes one order, created, decided and
    audited as `POST /v1/orders/batch` would: on its own, so one that cannot be taken does
    not stop the others. 200 lists, per transaction set, its control number, its purchase
    order number and the order (201), the order the channel sent before (409), or the
    problem (422) naming each EDI element at fault (`segment 14 (PO1), element 02`). The
    answer carries the 997 functional acknowledgement, to send back to the trading partner.

    860 changes (`PC` groups) in the same interchange are applied after its 850s, as
    `POST /v1/orders/x12/changes` applies them, and answered under `changes`.

    An interchange whose envelope cannot be read at all (no ISA, an IEA that does not match
    it) is a 422 naming the segment; a functional group or a transaction set whose trailer
    does not match its header is rejected in the 997. At most 500 transaction sets, and a
    body within the server's limit (`ORDO_MAX_REQUEST_BYTES`, else 413). See docs/edi.md."""
    taken = _take(request, who, services, body, channel, x12.PURCHASE_ORDERS, orders_door.PATH)
    if isinstance(taken, JSONResponse):
        return taken
    orders = taken.orders or PurchaseOrdersPart(created=0, failed=0, results=[])
    answer = X12Out(
        interchange=taken.interchange.control_number,
        created=orders.created,
        failed=orders.failed,
        results=orders.results,
        acknowledgement=taken.acknowledgement,
        changes=taken.changes,
    )
    return JSONResponse(answer.model_dump(mode="json"))


@router.post(
    changes_door.PATH,
    tags=["orders"],
    response_model=PoChangesOut,
    responses={
        200: {"description": "What became of each purchase order change, and the 997."},
        415: UNSUPPORTED_MEDIA,
        **problem_responses(),
    },
    summary="Take B2B purchase order changes: an X12 interchange of 860s, answered by 865s",
    openapi_extra=openapi_body(
        "860 purchase order changes (850 purchase orders may come beside them)",
        changes_door.EXAMPLE,
    ),
)
def receive_po_changes(
    request: Request,
    who: CanIngestOrders,
    services: Services,
    body: RawBody,
    channel: ChannelQuery = None,
) -> JSONResponse:
    """Each 860 of the interchange is applied to the order the channel made from its 850
    (BCH03): a cancellation (BCH01 01) cancels the order as `POST /v1/orders/{id}/cancel`
    does; a delete (DI) or quantity decrease (QD) cancels units of the PO1's line; an increase
    (QI), an added item (AI) and the quantity of a change to a line item (CA) modify the
    order as `POST /v1/orders/{id}/modify` does; a price change (PC) is rejected. 200 lists
    each 860 and each POC's answer (ACK01), with the 997; for a channel that gets 855s, an
    865 goes into its mailbox. The same 860 sent again (its
    BCH05, or its control numbers) changes nothing and is 409.

    850 purchase orders (`PO` groups) in the same interchange are taken first, as
    `POST /v1/orders/x12` takes them, and answered under `orders`. See docs/edi.md."""
    taken = _take(request, who, services, body, channel, PO_CHANGES, changes_door.PATH)
    if isinstance(taken, JSONResponse):
        return taken
    changes = taken.changes or PoChangesPart(applied=0, failed=0, results=[])
    answer = PoChangesOut(
        interchange=taken.interchange.control_number,
        applied=changes.applied,
        failed=changes.failed,
        results=changes.results,
        acknowledgement=taken.acknowledgement,
        orders=taken.orders,
    )
    return JSONResponse(answer.model_dump(mode="json"))


def _take(
    request: Request,
    who: Principal,
    services: ApiServices,
    body: bytes,
    channel: str | None,
    door: x12.Reads,
    path: str,
) -> _Taken | JSONResponse:
    """The interchange posted to the door reading `door`, taken whole, or the 415 or 422
    refusing it before anything is taken."""
    refused = refused_media(request, path)
    if refused is not None:
        return refused
    filed_under = channel_named(who, channel)
    interchange = orders_door.read_interchange(body, ORDERS_AND_CHANGES, path)
    if isinstance(interchange, JSONResponse):
        return interchange
    groups = x12.by_kind(interchange, ORDERS_AND_CHANGES, door)
    purchase_orders, po_changes = groups[x12.PURCHASE_ORDERS], groups[PO_CHANGES]
    # In this order: an 860 may change a purchase order sent in the same interchange.
    orders, outcomes = take_purchase_orders(
        services, who, filed_under, interchange, purchase_orders
    )
    changes, changed = take_po_changes(services, who, filed_under, interchange, po_changes)
    # The pair's next number, taken once every set is in: a request that fails before uses
    # none up.
    number = edi.take_control_number(services.container.uow_factory, interchange.envelope.pair)
    acknowledgement = x12_outbound.acknowledgement(
        interchange, [*outcomes, *changed], control_number=number, at=utcnow()
    )
    return _Taken(
        interchange,
        orders if purchase_orders else None,
        changes if po_changes else None,
        acknowledgement,
    )
