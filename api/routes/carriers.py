"""A carrier's own tracking webhook: the scans of the parcels Ordo labelled come back here.

`POST /v1/carriers/{code}/tracking` takes what the connector of carrier `code` (the
container's carrier lookup, `ORDO_CARRIER_APIS`) defines, signed as that carrier signs. The
signature is the only way in: no API key posts here (403), and an unsigned delivery, a wrong
signature, a carrier code without a connector, or a connector whose carrier pushes nothing
(the rate cards) is 401, logged on `ordo.auth` as refused sign-ins are. A signed body the
connector cannot read is 422 naming the field. The scans are put on their shipments by
`engine.service_layer.carrier_tracking`, each as a posted scan would be; a scan of a stock
transfer the carrier carries, on that transfer.

The carrier counts every answer that is not 2xx as a failure and retries it, so everything
Ordo ignores on purpose is 200 and counted: a number it does not know, a shipment no carrier
has, a scan it has already.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from api.commands import dispatch
from api.deps import (
    ApiKey,
    ApiServices,
    BearerCredentials,
    Services,
    refused_sign_in,
)
from api.schemas.carriers import CarrierTrackingOut
from api.schemas.common import problem_responses
from api.signed_webhooks import read_signed, refuse_ordo_credentials
from connectors.base import TrackingUpdate
from engine.service_layer.carrier_tracking import record_updates

router = APIRouter(prefix="/v1/carriers", tags=["carriers"])

CarrierCode = Annotated[
    str,
    Path(
        description="The carrier's code, as its rate card and its shipments' `carrier` have it.",
        examples=["usps"],
    ),
]
# A carrier code as it may be written into the log; any other is "unreadable" there.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


async def signed_updates(
    request: Request, api_key: ApiKey = None, bearer: BearerCredentials = None
) -> list[TrackingUpdate]:
    """The scans a delivery carries, once it is known to be the carrier's: its connector
    checks the signature before it reads the body (401, logged), then reads it (422 naming
    the field). A caller with an Ordo credential is known, and refused: 403."""
    await refuse_ordo_credentials(
        request,
        api_key,
        bearer,
        "tracking webhooks are the carrier's, signed",
        "post a carrier's tracking webhook: it comes from the carrier only, signed with its "
        "secret, never with an API key (post a scan to POST /v1/shipments/{id}/tracking "
        "instead)",
    )
    services: ApiServices = request.app.state.ordo
    code = str(request.path_params.get("code", ""))
    shown = f"carrier:{code}" if _CODE.fullmatch(code) else "unreadable"
    carrier = services.container.carriers(code) if _CODE.fullmatch(code) else None
    if carrier is None:
        raise refused_sign_in(
            request,
            f"no carrier '{code[:64]}' has a connector, so the delivery's signature cannot be "
            "checked",
            shown,
        )
    return await read_signed(request, carrier.tracking_updates, shown)


SignedUpdates = Annotated[list[TrackingUpdate], Depends(signed_updates)]

# EasyPost's tracker event, as an example of what a carrier API pushes: each connector reads
# its own carrier's body.
_EXAMPLE = {
    "object": "Event",
    "description": "tracker.updated",
    "result": {
        "object": "Tracker",
        "tracking_code": "9400100000000000000001",
        "status": "delivered",
        "carrier": "USPS",
        "est_delivery_date": "2026-11-24T00:00:00Z",
        "tracking_details": [
            {
                "object": "TrackingDetail",
                "status": "delivered",
                "message": "Delivered, In/At Mailbox",
                "datetime": "2026-11-24T14:05:00Z",
                "tracking_location": {"city": "NEW YORK", "state": "NY", "zip": "10001"},
            }
        ],
    },
}

_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "title": "CarrierTrackingEvent",
                    "description": "What the carrier's API posts, in its own format, signed "
                    "in its own header (the carrier's connector, configured by "
                    "ORDO_CARRIER_APIS, reads it): for EasyPost, a tracker event "
                    "(docs/api.md#tracking-pushed-by-a-carrier).",
                    "type": "object",
                    "examples": [_EXAMPLE],
                }
            }
        },
    },
}


@router.post(
    "/{code}/tracking",
    response_model=CarrierTrackingOut,
    responses=problem_responses(),
    summary="Take scans from a carrier's own tracking webhook",
    openapi_extra=_OPENAPI,
)
def receive_tracking(
    code: CarrierCode, updates: SignedUpdates, services: Services
) -> CarrierTrackingOut:
    """The carrier reports scans of parcels it carries. Each is put on the shipment of this
    carrier whose tracking number, or one of whose parcels' numbers, it names, as a scan
    posted to POST /v1/shipments/{id}/tracking is (`shipment.tracked`, audited as
    `shipment.tracking` by `carrier:<code>`; a `delivered` one delivers the shipment or its
    parcel, and the customer is told). A scan of a stock transfer this carrier carries (its
    number as reported shipped) goes on the transfer instead: its estimate revises the
    transfer's `expected_on` (`transfer.arrival_revised`), a `delivered` one records its
    delivery at the store (`transfer.delivered`), never a receipt. Scans of a number Ordo
    does not know, of a shipment pending or cancelled or a transfer received or cancelled,
    and scans already recorded are 200 too, and counted. Signed by the carrier only: see
    docs/api.md#tracking-pushed-by-a-carrier."""
    tally = record_updates(
        code,
        updates,
        services.container.uow_factory,
        lambda command: dispatch(services, command),
    )
    return CarrierTrackingOut.of(tally)
