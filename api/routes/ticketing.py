"""A helpdesk's own webhook: what becomes of the tickets Ordo opened comes back here.

`POST /v1/ticketing/{connector}/events` takes what the ticketing connector (ORDO_TICKETING)
defines: for Zendesk, the body of a trigger's webhook action (docs/events.md#ticket-updates),
signed by the webhook (`X-Zendesk-Webhook-Signature`). The signature is the only way in: no
API key posts here (403), and an unsigned delivery, a wrong signature, one signed more than
five minutes off Ordo's clock, or a connector that is not configured is 401, logged on
`ordo.auth` as refused sign-ins are. The engine keeps the update
(`engine.service_layer.tickets.record_ticket_update`).

The helpdesk counts every answer that is not 2xx as a failure and retries it, so everything
Ordo ignores on purpose is 200: a ticket Ordo did not open (`unknown`), and an update older
than the one kept (`stale`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from api.deps import (
    ApiKey,
    ApiServices,
    BearerCredentials,
    Services,
    refused_sign_in,
)
from api.schemas.common import problem_responses
from api.schemas.tickets import TicketEventOut, TicketOut
from api.signed_webhooks import read_signed, refuse_ordo_credentials
from connectors.base import TicketUpdate
from connectors.ticketing.zendesk import SIGNATURE_HEADER, TIMESTAMP_HEADER, TRIGGER_BODY
from engine.service_layer.tickets import record_ticket_update

router = APIRouter(prefix="/v1/ticketing", tags=["ticketing"])

ConnectorName = Annotated[
    str,
    Path(
        description="The ticketing connector's name: ORDO_TICKETING's value.",
        examples=["zendesk"],
    ),
]
# A connector name as it may be written into the log; any other is "unreadable" there.
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


async def signed_update(
    request: Request, api_key: ApiKey = None, bearer: BearerCredentials = None
) -> TicketUpdate:
    """The update a delivery carries, once it is known to be the helpdesk's: its connector
    checks the signature before it reads the body (401, logged), then reads it (422 naming
    the field). A caller with an Ordo credential is known, and refused: 403."""
    await refuse_ordo_credentials(
        request,
        api_key,
        bearer,
        "ticket updates are the helpdesk's, signed",
        "post ticket updates: they come from the helpdesk's webhook only, signed with its "
        "secret, never with an API key",
    )
    services: ApiServices = request.app.state.ordo
    name = str(request.path_params.get("connector", ""))
    shown = f"connector:{name}" if _NAME.fullmatch(name) else "unreadable"
    connector = services.container.ticketing
    if connector is None or connector.slug != name:
        configured = connector.slug if connector is not None else "unset"
        raise refused_sign_in(
            request,
            f"no ticketing connector '{name[:64]}' is configured (ORDO_TICKETING is "
            f"{configured}), so the delivery's signature cannot be checked",
            shown,
        )
    return await read_signed(request, connector.ticket_update, shown)


SignedUpdate = Annotated[TicketUpdate, Depends(signed_update)]

_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "title": "TicketingEvent",
                    "description": "What the connector's helpdesk posts. For Zendesk, a "
                    "trigger's webhook body (docs/events.md#ticket-updates); fields it adds "
                    "are ignored. `status` is one of Zendesk's six in any case (`Solved`, "
                    "`On-hold`), or a label ORDO_ZENDESK_STATUS_LABELS names (`Gelöst`): "
                    "what a Zendesk in another language, or with custom statuses, renders.",
                    "type": "object",
                    "required": ["ticket_id", "status", "updated_at"],
                    "properties": {key: {"type": "string"} for key in TRIGGER_BODY},
                    "examples": [
                        {
                            "ticket_id": "35436",
                            "external_id": "ordo:order:ord_2c9f0e1a7b3d4e5f:tkt_4f9a2b7c1d3e5f60",
                            "status": "Pending",
                            "updated_at": "2026-11-27T10:15:00Z",
                            "comment_author": "Dana (Support)",
                            "comment": "We have sent a replacement pair.",
                        }
                    ],
                }
            }
        },
    },
    "parameters": [
        {
            "name": SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Zendesk's signature: the base64 HMAC-SHA256, under the webhook's "
            "signing secret (ORDO_ZENDESK_WEBHOOK_SECRET), of the timestamp followed by the "
            "raw body.",
        },
        {
            "name": TIMESTAMP_HEADER,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "When Zendesk signed the delivery (ISO 8601); more than five "
            "minutes from Ordo's clock is refused.",
        },
    ],
}


@router.post(
    "/{connector}/events",
    response_model=TicketEventOut,
    responses=problem_responses(),
    summary="Take a ticket update from the helpdesk's own webhook (Zendesk)",
    openapi_extra=_OPENAPI,
)
def receive_ticket_event(
    connector: ConnectorName, update: SignedUpdate, services: Services
) -> TicketEventOut:
    """The helpdesk reports a ticket's status, its time of it and the latest public comment;
    Ordo keeps them on its ticket (shown with the order's tickets), raises `ticket.updated`
    and audits `ticket.status`. An alert whose ticket becomes solved or closed is
    acknowledged by `connector:<name>` if it is still open. A ticket Ordo did not open, and
    an update older than the one kept, are 200 and change nothing (`outcome` says which).
    Signed by the helpdesk only: see docs/events.md#ticket-updates."""
    reported = record_ticket_update(services.container.uow_factory, connector, update)
    ticket = TicketOut.of(reported.ticket) if reported.ticket is not None else None
    return TicketEventOut(outcome=reported.outcome, ticket=ticket)
