"""B2B orders over EDI: the 850 purchase orders of an ANSI X12 interchange, each made an order
and answered with what became of it, for `POST /v1/orders/x12` (and its 860s' door, which
takes 850s beside them: api.routes.edi_interchanges).

The connector (`connectors.channels.x12`) reads the envelope and maps each 850 to the body
`POST /v1/orders` takes. The body is validated by the same model (`OrderIn`); an error names
the EDI element its value came from (`segment 13 (N4), element 03`), not the JSON field. Each
order then takes the batch route's path (`batch_item`): it is created, decided and audited
like any order, or refused, on its own. A purchase order that cannot be mapped does not stop
the others. What the 856 for its shipments will need of an 850 (the partner's envelope, PO101
and product ids) is kept first (`engine.service_layer.edi`), and the 997 takes the next
control number of the partner's sender/receiver pair. See docs/edi.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from api.deps import ApiServices
from api.errors import describe_validation_error, json_path, problem, problem_body
from api.routes.edi_functional_acks import router as functional_acks_router
from api.routes.edi_outbound import router as outbound_router
from api.routes.orders import batch_item
from api.routes.x12_bodies import interchange_text
from api.schemas.common import FieldError, Out, Problem
from api.schemas.orders import OrderIn, OrderOut
from connectors.channels import x12, x12_outbound
from engine.domain.access import Principal
from engine.domain.values import utcnow
from engine.service_layer import edi

# The partners' mailbox of what Ordo writes back (api/routes/edi_outbound), and the 997s they
# send for it (api/routes/edi_functional_acks); the doors the 850s come in by are
# api/routes/edi_interchanges.
router = APIRouter()
router.include_router(functional_acks_router)
router.include_router(outbound_router)

PATH = "/v1/orders/x12"
# As many as one batch takes (`BatchIn.orders`): one request decides at most this many orders.
MOST_SETS = 500
# AK403 for a value the order model refuses, by pydantic's error type; any other: 7, an
# invalid code value.
_ELEMENT_CODES = {
    "missing": "1",
    "string_too_short": "4",
    "string_too_long": "5",
    "string_pattern_mismatch": "6",
}

EXAMPLE = (
    "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261121*1741*U*00401"
    "*000000905*0*T*>~\n"
    "GS*PO*BUYERCO*ORDO*20261121*1741*905*X*004010~\n"
    "ST*850*0001~\n"
    "BEG*00*SA*PO-1001**20261121~\n"
    "PER*BD*Ada Buyer*EM*ada@example.com~\n"
    "N1*BY*Buyer Company*92*C-1001~\n"
    "N1*ST*Ada Lovelace~\n"
    "N3*350 5th Ave~\n"
    "N4*New York*NY*10001*US~\n"
    "PO1*1*2*EA*59.90**VP*SHOE-42~\n"
    "CTT*1~\n"
    "SE*10*0001~\n"
    "GE*1*905~\n"
    "IEA*1*000000905~\n"
)
_ACK_EXAMPLE = (
    "ISA*00*          *00*          *ZZ*ORDO           *ZZ*BUYERCO        *261121*1742*U*00401"
    "*000000001*0*T*>~GS*FA*ORDO*BUYERCO*20261121*1742*1*X*004010~ST*997*0001~"
    "AK1*PO*905~AK2*850*0001~AK5*A~AK9*A*1*1*1~SE*6*0001~GE*1*1~IEA*1*000000001~"
)
# The answer to EXAMPLE, as Ordo gave it (POST /v1/orders/x12?channel=b2b-acme).
ANSWER_EXAMPLE: dict[str, Any] = {
    "interchange": "000000905",
    "created": 1,
    "failed": 0,
    "results": [
        {
            "group": "905",
            "control_number": "0001",
            "po_number": "PO-1001",
            "status": 201,
            "order": {
                "id": "ord_8df7a03322d17a63",
                "channel": "b2b-acme",
                "channel_order_id": "PO-1001",
                "customer_id": "C-1001",
                "email": "ada@example.com",
                "status": "released",
                "currency": "USD",
                "total": "119.80",
                "total_cancelled": "0.00",
                "service_level": "standard",
                "priority": 0,
                "created_at": "2026-11-21T17:42:12.819750Z",
                "requested_date": None,
                "promised_date": "2026-11-30",
                "ship_to": {
                    "postal_code": "10001",
                    "country": "US",
                    "line1": "350 5th Ave",
                    "city": "New York",
                    "state": "NY",
                    "name": "Ada Lovelace",
                    "lat": 40.7484,
                    "lon": -73.9967,
                },
                "lines": [
                    {
                        "id": "1",
                        "sku": "SHOE-42",
                        "quantity": 2,
                        "price": "59.90",
                        "status": "allocated",
                        "quantity_shipped": 0,
                        "quantity_cancelled": 0,
                    }
                ],
                "holds": [],
            },
            "problem": None,
            "notes": [],
        }
    ],
    "acknowledgement": _ACK_EXAMPLE,
    "changes": None,
}


class TransactionSetOut(Out):
    """One 850 of the interchange and what became of it: the order, or why not."""

    group: str = Field(description="Its functional group's control number (GS06).")
    control_number: str = Field(description="ST02.", examples=["0001"])
    po_number: str = Field(description="BEG03; empty when it was not sent.", examples=["PO-1001"])
    status: int = Field(
        description="201: the order was created. 409: the channel sent this purchase order "
        "before, and the order Ordo has stands (the 997 still accepts it). 422: it is not "
        "taken; `problem.errors` names each element at fault.",
        examples=[201],
    )
    order: OrderOut | None = None
    problem: Problem | None = None
    notes: list[FieldError] = Field(
        default_factory=list,
        description="Elements read with a reservation (a service level Ordo has no name "
        "for): the order was taken, and the 997 says E, accepted with errors noted.",
    )


class PurchaseOrdersPart(Out):
    """The 850s of an interchange and what became of each, as `POST /v1/orders/x12` answers
    them."""

    created: int
    failed: int
    results: list[TransactionSetOut]


def take_purchase_orders(
    services: ApiServices,
    who: Principal,
    channel: str,
    interchange: x12.Interchange,
    groups: Sequence[x12.Group],
) -> tuple[PurchaseOrdersPart, list[x12_outbound.Outcome]]:
    """Each transaction set of `groups` as an order, on its own, with its outcome for the
    997; a group refused whole (not `PO`, a trailer that disagrees) refuses each of its
    sets."""
    results: list[TransactionSetOut] = []
    outcomes: list[x12_outbound.Outcome] = []
    for group in groups:
        for tset in group.transaction_sets:
            result, outcome = _purchase_order(
                services, who, channel, interchange, group, tset, len(results)
            )
            results.append(result)
            outcomes.append(outcome)
    created = sum(1 for result in results if result.status == 201)
    answered = PurchaseOrdersPart(created=created, failed=len(results) - created, results=results)
    return answered, outcomes


def _unreadable(place: x12.Place, message: str, instance: str = PATH) -> JSONResponse:
    return problem(
        422,
        f"the interchange cannot be read: {place}: {message}",
        code="unreadable_interchange",
        instance=instance,
        errors=[{"path": str(place), "message": message, "type": "unreadable_interchange"}],
    )


def read_interchange(
    body: bytes, reads: x12.Reads | Sequence[x12.Reads], instance: str
) -> x12.Interchange | JSONResponse:
    """The interchange in `body`, or the 422 saying why it cannot be read at all (or holds
    more transaction sets than one request takes)."""
    try:
        interchange = x12.parse(interchange_text(body), reads)
    except x12.X12Error as error:
        return _unreadable(error.place, error.message, instance)
    count = sum(len(group.transaction_sets) for group in interchange.groups)
    if count > MOST_SETS:
        said = f"the interchange holds {count} transaction sets; send at most {MOST_SETS} at once"
        return _unreadable(interchange.groups[0].header.at(), said, instance)
    return interchange


def _purchase_order(
    services: ApiServices,
    who: Principal,
    channel: str,
    interchange: x12.Interchange,
    group: x12.Group,
    tset: x12.TransactionSet,
    index: int,
) -> tuple[TransactionSetOut, x12_outbound.Outcome]:
    """One transaction set as an order, through the batch route's path."""
    said: dict[str, Any] = {
        "group": group.control_number,
        "control_number": tset.control_number,
        "po_number": next((s.get(3) for s in tset.segments if s.tag == "BEG"), ""),
    }
    instance = f"{PATH}#{group.control_number}/{tset.control_number}"
    envelope = [*group.errors, *tset.errors]
    if envelope:
        return _refused(said, tset, [(e, f"invalid_{e.scope}") for e in envelope], instance)
    try:
        mapped = x12.purchase_order(interchange, tset)
    except x12.PurchaseOrderError as unmapped:
        errors = [(e, f"invalid_{e.scope}") for e in unmapped.errors]
        # What did map is checked too; a segment already refused is named once, and the
        # fields the mapping left out are not "missing" twice.
        refused = {e.place.segment for e, _ in errors}
        errors += [
            (error, kind)
            for error, kind in _validated(unmapped.partial, channel, tset)[1]
            if kind != "missing" and error.place.segment not in refused
        ]
        return _refused(said, tset, errors, instance)
    order_in, invalid = _validated(mapped, channel, tset)
    if order_in is None:
        return _refused(said, tset, invalid, instance)
    # What the 856 will need and the order does not keep, kept before the order is made.
    edi.keep_purchase_order(
        services.container.uow_factory, x12.kept(interchange, mapped, channel, utcnow())
    )
    item = batch_item(services, who, index, order_in, instance)
    notes = [FieldError(path=str(n.place), message=n.message, type="noted") for n in mapped.notes]
    result = TransactionSetOut(
        **said, status=item.status, order=item.order, problem=item.problem, notes=notes
    )
    if item.status == 201 or (item.status == 409 and _filed(services, channel, order_in)):
        return result, x12_outbound.Outcome(tset, True, mapped.notes)
    reason = item.problem.detail if item.problem is not None else f"status {item.status}"
    refusal = x12.EdiError(tset.segments[0].at(), reason, "set", "5")
    return result, x12_outbound.Outcome(tset, False, (refusal,))


def _filed(services: ApiServices, channel: str, order: OrderIn) -> bool:
    """Whether the channel sent this purchase order before: its order stands, so the 997
    accepts the repeat, as a trading partner's resend is no error of syntax."""
    with services.container.uow_factory() as uow:
        return uow.orders.get_by_channel_id(channel, order.channel_order_id) is not None


def _validated(
    mapped: x12.PurchaseOrder, channel: str, tset: x12.TransactionSet
) -> tuple[OrderIn | None, list[tuple[x12.EdiError, str]]]:
    """The mapped body as the order model takes it, or the model's errors, each at the
    element its value came from, with pydantic's type."""
    try:
        return OrderIn.model_validate({**mapped.body, "channel": channel}), []
    except ValidationError as invalid:
        return None, [_at_element(mapped, tset, error) for error in invalid.errors()]


def _at_element(
    mapped: x12.PurchaseOrder, tset: x12.TransactionSet, error: ErrorDetails
) -> tuple[x12.EdiError, str]:
    loc = ("body", *error["loc"])
    described = describe_validation_error({**error, "loc": loc}, OrderIn)
    message = f"{described['message']} (Ordo's {json_path(loc)})"
    place = mapped.source_of(error["loc"]) or tset.segments[0].at()
    if place.element is None:
        return x12.EdiError(place, message, "segment", "8"), error["type"]
    value = error.get("input")
    copy = str(value) if isinstance(value, str | int) else ""
    code = _ELEMENT_CODES.get(error["type"], "7")
    return x12.EdiError(place, message, "element", code, copy), error["type"]


def _refused(
    said: dict[str, Any],
    tset: x12.TransactionSet,
    errors: Sequence[tuple[x12.EdiError, str]],
    instance: str,
) -> tuple[TransactionSetOut, x12_outbound.Outcome]:
    refused, outcome = refusal(tset, said["po_number"], errors, instance, "invalid_purchase_order")
    return TransactionSetOut(**said, status=422, problem=refused), outcome


def refusal(
    tset: x12.TransactionSet,
    po_number: str,
    errors: Sequence[tuple[x12.EdiError, str]],
    instance: str,
    code: str,
) -> tuple[Problem, x12_outbound.Outcome]:
    """The 422 problem of a transaction set not taken, naming each element at fault (with
    its type), and its outcome for the 997: rejected, with those errors."""
    listed = [{"path": str(e.place), "message": e.message, "type": kind} for e, kind in errors]
    summary = "; ".join(f"{e['path']}: {e['message']}" for e in listed[:3])
    if len(listed) > 3:
        summary += f"; and {len(listed) - 3} more (see errors)"
    po = f" (purchase order {po_number})" if po_number else ""
    body = problem_body(
        422,
        f"transaction set {tset.control_number}{po} is not taken: {summary}",
        code=code,
        instance=instance,
        errors=listed,
    )
    return Problem.model_validate(body), x12_outbound.Outcome(
        tset, False, tuple(e for e, _ in errors)
    )
