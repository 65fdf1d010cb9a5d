"""The trading partners' mailbox: the X12 documents Ordo writes for them (855 purchase order
acknowledgements, 856 advance ship notices), kept until their gateway collects them.

Ordo speaks neither AS2 nor a VAN's protocol, so the partner's gateway (or the VAN's
connector) polls: `GET /v1/edi/outbound?channel=...` lists what waits, `GET .../{id}` hands
out one document as `application/edi-x12`, and `POST .../{id}/ack` says it was taken, so it
no longer waits. A document is never lost between the two: until it is acknowledged it is
listed again. One the partner's 997 rejected is written again, once its cause is fixed, by
`POST .../{id}/resend` (engine.service_layer.edi_resends). The channel's own key and admins
may use it. See docs/edi.md.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from api.deps import CanIngestOrders, Services
from api.routes.catalog import Limit, Offset
from api.routes.orders import channel_for
from api.schemas.common import problem_responses
from api.schemas.edi import EXAMPLE_DOCUMENT_ID, MAILBOX, OutboundDocumentOut
from api.schemas.patterns import ID
from engine.domain.access import Principal, Role
from engine.domain.errors import DomainError
from engine.service_layer import edi, edi_resends

router = APIRouter(prefix=MAILBOX, tags=["edi"])

MEDIA_TYPE = "application/edi-x12"
# An 856 as the partner's gateway receives it (docs/edi.md explains each segment).
EXAMPLE_856 = (
    "ISA*00*          *00*          *ZZ*ORDO           *ZZ*BUYERCO        *261124*1530*U*00401"
    "*000000002*0*T*>~GS*SH*ORDO*BUYERCO*20261124*1530*2*X*004010~ST*856*0001~"
    "BSN*00*ful_1c9e2b7a40d3f865*20261124*1528*0004~HL*1**S~TD1*CTN25*1~"
    "TD5*B*2*SWX**Swift Express~REF*CN*1Z999AA10123456784~DTM*011*20261124*1528*UT~"
    "N1*SF*Dallas DC*91*DAL-01~N3*2400 Logistics Way~N4*Dallas*TX*75201*US~"
    "N1*ST*Ada Lovelace*92*STORE-7~N3*350 5th Ave~N4*New York*NY*10001*US~HL*2*1*O~"
    "PRF*PO-1001***20261121~HL*3*2*I~LIN*1*VP*SHOE-42*UP*012345678905~SN1*1*2*EA~"
    "CTT*3*2~SE*20*0001~GE*1*2~IEA*1*000000002~"
)

ChannelQuery = Annotated[
    str | None,
    Query(
        pattern=ID,
        description="The channel (the trading partner). Channel keys may omit it (their "
        "own channel is used); admins must send it.",
        examples=["b2b-acme"],
    ),
]
DocumentPath = Annotated[
    str, Path(pattern=ID, description="The document's id.", examples=[EXAMPLE_DOCUMENT_ID])
]


class Waiting(StrEnum):
    PENDING = "pending"  # not acknowledged yet: what a gateway polls for
    ACKNOWLEDGED = "acknowledged"
    ALL = "all"


_PENDING: dict[Waiting, bool | None] = {
    Waiting.PENDING: True,
    Waiting.ACKNOWLEDGED: False,
    Waiting.ALL: None,
}


def channel_named(who: Principal, requested: str | None) -> str:
    """The one channel a request is about: a channel key's own (naming another is 403); an
    admin names it (`?channel=`), else 422."""
    if who.role is not Role.CHANNEL and not requested:
        raise DomainError(
            "query parameter 'channel': is required when the key is not a channel key: name "
            "the trading partner's channel"
        )
    return channel_for(who, requested)


def _scope(who: Principal) -> str | None:
    """A channel key sees its own channel's documents; an admin every channel's."""
    return who.channel if who.role is Role.CHANNEL else None


@router.get(
    "",
    response_model=list[OutboundDocumentOut],
    responses=problem_responses(),
    summary="List a trading partner's outbound EDI documents (its mailbox)",
)
def list_outbound(
    who: CanIngestOrders,
    services: Services,
    channel: ChannelQuery = None,
    status: Annotated[
        Waiting,
        Query(description="`pending` (the default): not acknowledged yet; `acknowledged`; `all`."),
    ] = Waiting.PENDING,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[OutboundDocumentOut]:
    """The channel's documents, oldest first: by default those its gateway has not
    acknowledged yet. A gateway fetches each (`content_url`), delivers it, and acknowledges
    it; what it has not acknowledged is listed again on its next poll."""
    named = channel_named(who, channel)
    found = edi.outbound(
        services.container.uow_factory, named, pending=_PENDING[status], limit=limit, offset=offset
    )
    return [OutboundDocumentOut.of(document) for document in found]


_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The X12 interchange, as Ordo sends it to the trading partner.",
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}, "example": EXAMPLE_856}},
    },
    **problem_responses(404),
}


@router.get(
    "/{document_id}",
    response_class=Response,
    responses=_DOCUMENT,
    summary="Fetch one outbound EDI document (an X12 interchange)",
)
def get_outbound(document_id: DocumentPath, who: CanIngestOrders, services: Services) -> Response:
    """The document's text, as `application/edi-x12`, in the trading partner's delimiters.
    Fetching it does not acknowledge it. Another channel's document is 404 for a channel key."""
    document = edi.outbound_document(services.container.uow_factory, document_id, _scope(who))
    return Response(
        document.content,
        media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{document.id}.edi"'},
    )


@router.post(
    "/{document_id}/ack",
    response_model=OutboundDocumentOut,
    responses=problem_responses(404),
    summary="Acknowledge an outbound EDI document: the gateway has it",
)
def acknowledge_outbound(
    document_id: DocumentPath, who: CanIngestOrders, services: Services
) -> OutboundDocumentOut:
    """The gateway has the document (delivered, or queued for delivery): it no longer waits.
    Acknowledged again, it is answered as it stands (the first acknowledgement's time and
    key); audited as `edi.acknowledge`. No body."""
    document = edi.acknowledge(services.container.uow_factory, document_id, _scope(who), who.actor)
    return OutboundDocumentOut.of(document)


@router.post(
    "/{document_id}/resend",
    status_code=201,
    response_model=OutboundDocumentOut,
    responses={
        201: {"description": "The document written again, waiting for the gateway."},
        200: {
            "description": "The document was written again before: that replacement, as it "
            "stands; nothing is written.",
            "model": OutboundDocumentOut,
        },
        **problem_responses(404, 409),
    },
    summary="Write again an outbound EDI document the partner rejected",
)
def resend_outbound(
    document_id: DocumentPath, who: CanIngestOrders, services: Services
) -> JSONResponse:
    """Once the cause of a rejection is fixed (the partner's set-up, a product's code, the
    order's ship-to), write a new document of the same kind for the same order (an 855) or
    shipment (an 856), from Ordo's data as it stands now, or an 865 restating what Ordo
    answered to its 860 (the change is not applied again), under new control numbers: it waits
    in the mailbox for the gateway as any other, with `replaces` naming the rejected one,
    which stays, `replaced_by` the new one. Raises `edi.document_resent`, audited as
    `edi.resend`, and closes the rejection's alert. 201 with the new document; 200 with the
    one written before when asked again. A document the partner's 997 did not reject
    (accepted, accepted with errors noted, or not named by a 997 yet) is 409. No body."""
    container = services.container
    resent = edi_resends.resend(
        container.uow_factory, document_id, _scope(who), who.actor, container.carrier_names
    )
    body = OutboundDocumentOut.of(resent.document).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if resent.created else 200)
