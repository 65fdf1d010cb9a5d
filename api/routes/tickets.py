"""Helpdesk tickets about orders: support opens one in the ticketing system (ORDO_TICKETING).

Tickets for alerts are opened by the worker (engine/service_layer/tickets.py); an order's
tickets are listed in its detail (`GET /v1/orders/{order_id}`), with the status and latest
reply the helpdesk's webhook reported (api/routes/ticketing.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from api.deps import CanOpenTickets, Services
from api.errors import problem
from api.schemas.common import Problem, problem_responses
from api.schemas.patterns import ID
from api.schemas.tickets import TicketIn, TicketOut
from engine.service_layer.tickets import TicketRefused, open_order_ticket

router = APIRouter(prefix="/v1/orders", tags=["orders"])

OrderPath = Annotated[str, Path(pattern=ID, description="Ordo's order id.")]

_REFUSED: dict[int | str, dict[str, Any]] = {
    502: {
        "model": Problem,
        "description": "The ticketing system refused the ticket or did not answer; `detail` "
        "gives its status and its own words. Nothing was stored.",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}


@router.post(
    "/{order_id}/tickets",
    response_model=TicketOut,
    status_code=201,
    responses={**problem_responses(404, 409), **_REFUSED},
    summary="Open a helpdesk ticket about an order",
)
def open_ticket(
    order_id: OrderPath, body: TicketIn, who: CanOpenTickets, services: Services, request: Request
) -> TicketOut | JSONResponse:
    """Open a ticket in the ticketing system (ORDO_TICKETING, e.g. Zendesk) with the subject
    and body given; Ordo adds a footer naming the order, keeps the ticket (the order's detail
    lists it under `tickets`) and audits it as `order.ticket`. Each request opens a ticket of
    its own: send an `Idempotency-Key` to make a retry safe. No ticketing system configured:
    409. The system refuses or does not answer: 502 with what it said, and nothing is kept."""
    container = services.container
    try:
        ticket = open_order_ticket(
            container.uow_factory, container.ticketing, who, order_id, body.subject, body.body,
            api_url=container.settings.api_url,
        )  # fmt: skip
    except TicketRefused as refused:
        # A gateway's failure, not the request's: 502 (the domain's table has no such status).
        return problem(
            502, refused.message, code=refused.code, title="Bad gateway",
            instance=request.url.path,
        )  # fmt: skip
    return TicketOut.of(ticket)
