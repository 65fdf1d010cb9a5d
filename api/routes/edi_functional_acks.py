"""The partner's 997s for what Ordo sent them: `POST /v1/edi/outbound/997` takes an X12
interchange of 997 functional acknowledgements, as the partner's translator sent it back for
the 855s and 856s of its mailbox, and marks each document it names accepted or rejected.

The connector (`connectors.channels.x12_functional_acks`) reads it; the service layer
(`engine.service_layer.functional_acks`) finds the documents by the control numbers Ordo
sent them under, for the pair the 997 came from, records what it said, and raises an alert
for each one rejected. A 997 that cannot be read is a 422 naming each segment and element at
fault, as an 850's interchange is; one naming documents Ordo never sent this partner is a
422 naming each, and nothing of it is recorded. See docs/edi.md.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from api.deps import CanIngestOrders, Services
from api.errors import problem
from api.routes.channels import RawBody
from api.routes.edi_outbound import ChannelQuery, channel_named
from api.routes.x12_bodies import (
    UNSUPPORTED_MEDIA,
    interchange_text,
    openapi_body,
    refused_media,
)
from api.schemas.common import Out, problem_responses
from api.schemas.edi import MAILBOX, OutboundDocumentOut
from connectors.channels import x12, x12_functional_acks
from engine.service_layer import functional_acks

router = APIRouter(prefix=MAILBOX, tags=["edi"])

PATH = f"{MAILBOX}/997"
# The partner's 997 rejecting the 856 of docs/edi.md's example (control number 2): its
# carrier's SCAC (TD503) was refused.
EXAMPLE = (
    "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261124*1600*U*00401"
    "*000000077*0*T*>~\n"
    "GS*FA*BUYERCO*ORDO*20261124*1600*77*X*004010~\n"
    "ST*997*0001~\n"
    "AK1*SH*2~\n"
    "AK2*856*0001~\n"
    "AK3*TD5*5**8~\n"
    "AK4*3**7*SWX~\n"
    "AK5*R*5~\n"
    "AK9*R*1*1*0~\n"
    "SE*8*0001~\n"
    "GE*1*77~\n"
    "IEA*1*000000077~\n"
)
_OPENAPI = openapi_body("997 functional acknowledgements", EXAMPLE)


class FunctionalAcksOut(Out):
    interchange: str = Field(description="The 997's interchange control number (ISA13).")
    documents: list[OutboundDocumentOut] = Field(
        description="Each document the 997 named, as it now stands (`functional_ack`)."
    )


@router.post(
    "/997",
    response_model=FunctionalAcksOut,
    responses={415: UNSUPPORTED_MEDIA, **problem_responses()},
    summary="Take the partner's 997 for the 855s and 856s Ordo sent: accepted or rejected",
    openapi_extra=_OPENAPI,
)
def receive_997(
    request: Request,
    who: CanIngestOrders,
    services: Services,
    body: RawBody,
    channel: ChannelQuery = None,
) -> JSONResponse:
    """Each transaction set the 997 names (AK1: the group Ordo sent, PR for an 855 or SH for
    an 856, by its control number; AK2: the set) is the channel's document sent under that
    control number to the partner the 997 comes from. It is marked `accepted` (AK501 `A`),
    `accepted_with_errors` (`E`) or `rejected` (`R`, `M`, `W`, `X`), with the partner's error
    codes; a group acknowledged without AK2 takes AK901 for its set. A document rejected
    raises `edi.document_rejected` and a high alert `edi/document rejected`. Audited as
    `edi.functional_ack`; posted again, the latest 997 stands.

    422 when the 997 cannot be read (each segment and element at fault in `errors`), or when
    it names a document Ordo never sent this partner on this channel (each AK1 or AK2 in
    `errors`): then nothing of it is recorded. See docs/edi.md."""
    refused = refused_media(request, PATH)
    if refused is not None:
        return refused
    filed_under = channel_named(who, channel)
    try:
        read = x12_functional_acks.read(interchange_text(body))
    except x12.X12Error as error:
        return _refused([(str(error.place), error.message)], "unreadable_interchange")
    except x12_functional_acks.FunctionalAckError as error:
        listed = [(str(e.place), e.message) for e in error.errors]
        return _refused(listed, "invalid_functional_ack")
    try:
        documents = functional_acks.receive(
            services.container.uow_factory,
            filed_under,
            read.interchange.envelope.pair,
            read.sets,
            who.actor,
        )
    except functional_acks.UnknownDocuments as unknown:
        errors = [{"path": w, "message": m, "type": "unknown_document"} for w, m in unknown.unknown]
        return problem(422, unknown.message, code=unknown.code, instance=PATH, errors=errors)
    answer = FunctionalAcksOut(
        interchange=read.interchange.control_number,
        documents=[OutboundDocumentOut.of(document) for document in documents],
    )
    return JSONResponse(answer.model_dump(mode="json"))


def _refused(errors: list[tuple[str, str]], kind: str) -> JSONResponse:
    summary = "; ".join(f"{where}: {message}" for where, message in errors[:3])
    if len(errors) > 3:
        summary += f"; and {len(errors) - 3} more (see errors)"
    return problem(
        422,
        f"the 997 cannot be read: {summary}",
        code=kind,
        instance=PATH,
        errors=[{"path": where, "message": message, "type": kind} for where, message in errors],
    )
