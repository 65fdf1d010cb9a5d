"""Returns: a customer (or support) requests one for shipped units; support authorises it
(RMA number), a location receives it (restocking what may be sold again), support refunds
or rejects it.

Customer keys see and request returns of their own orders only; warehouse keys see
authorised returns (to book them in) and those received at their own locations. A return
a caller may not see answers 404, so ids do not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from api.commands import dispatch
from api.deps import (
    ApiServices,
    CanManageReturns,
    CanReadReturns,
    CanReceiveReturns,
    CanRequestReturns,
    Services,
    Uow,
)
from api.schemas.common import problem_responses
from api.schemas.labels import ReturnLabelIn, label_download, label_responses
from api.schemas.patterns import CODE, ID, TRACKING_NUMBER
from api.schemas.returns import (
    AuthoriseReturnIn,
    ReceiveReturnIn,
    RefundIn,
    RejectIn,
    ReturnIn,
    ReturnOut,
)
from engine.domain import commands
from engine.domain.access import Principal, Role
from engine.domain.errors import NotFound
from engine.domain.fulfilment import Return, ReturnStatus
from engine.service_layer import audit
from engine.service_layer.auth import Forbidden, can_see_order, can_work_location
from engine.service_layer.handlers import new_id
from engine.service_layer.labels import NoLabel
from engine.service_layer.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", tags=["returns"])

ReturnPath = Annotated[str, Path(pattern=ID, description="Ordo's return id.")]
OrderPath = Annotated[str, Path(pattern=ID, description="Ordo's order id.")]


def _may_see(uow: UnitOfWork, who: Principal, found: Return) -> bool:
    if who.role is Role.CUSTOMER:
        order = uow.orders.get(found.order_id)
        return order is not None and can_see_order(who, order.channel, order.customer_id)
    if who.role is Role.WAREHOUSE:
        if found.status is ReturnStatus.AUTHORISED:
            return True
        return bool(found.location_code) and can_work_location(who, found.location_code)
    return True


def _visible(uow: UnitOfWork, who: Principal, return_id: str) -> Return:
    found = uow.returns.get(return_id)
    if found is None or not _may_see(uow, who, found):
        raise NotFound("return", return_id)
    return found


def _order_visible(uow: UnitOfWork, who: Principal, order_id: str) -> None:
    order = uow.orders.get(order_id)
    if order is None or not can_see_order(who, order.channel, order.customer_id):
        raise NotFound("order", order_id)


def _refuse_customer_restock(body: ReturnIn) -> None:
    """A customer may not decide whether returned units go back on sale: that is support's
    call when it opens the return. Every line that names `restock` is refused at its path,
    as a validation error, so the answer reads like any other bad field."""
    errors = [
        {
            "loc": ("body", "lines", index, "restock"),
            "type": "not_for_customers",
            "msg": "is decided by support, not by the customer: leave it out",
            "input": line.restock,
        }
        for index, line in enumerate(body.lines)
        if "restock" in line.model_fields_set
    ]
    if errors:
        raise RequestValidationError(errors, body=body.model_dump())


def _change(
    services: ApiServices,
    who: Principal,
    return_id: str,
    command: commands.Command,
    action: str,
    summary: dict[str, Any],
) -> ReturnOut:
    """Run `command` on a return the caller may see, audited with before and after in the
    command's own commit; answers the return as it left it."""
    with services.container.uow_factory() as uow:
        before = str(_visible(uow, who, return_id).status)
    dispatch(services, command, _audit(who, return_id, action, {"status": before}, summary))
    with services.container.uow_factory() as uow:
        return ReturnOut.of(_return_now(uow, return_id))


def _return_now(uow: UnitOfWork, return_id: str) -> Return:
    found = uow.returns.get(return_id)
    if found is None:
        raise NotFound("return", return_id)
    return found


def _audit(
    who: Principal, return_id: str, action: str, before: dict[str, Any], summary: dict[str, Any]
) -> Callable[[UnitOfWork], None]:
    """The audit entry of a step of a return, written in the step's own commit (`dispatch`)."""

    def audited(uow: UnitOfWork) -> None:
        found = _return_now(uow, return_id)
        after = {
            **summary,
            "status": str(found.status),
            "rma": found.rma,
            "refund_amount": str(found.refund_amount),
        }
        audit.record(uow, who.actor, action, "return", return_id, before, after)

    return audited


@router.post(
    "/orders/{order_id}/returns",
    response_model=ReturnOut,
    status_code=201,
    responses=problem_responses(404, 409),
    summary="Request a return",
)
def request_return(
    order_id: OrderPath, body: ReturnIn, who: CanRequestReturns, services: Services
) -> ReturnOut:
    """Ask to send back shipped units of an order. Each line may return at most what shipped
    less what is already on other returns (rejected ones do not count); more is refused with
    422 naming the line. Nothing shipped yet: 409.

    `restock` (whether a line's units go back on hand when the return is received; default
    true) is set by support or an admin. A customer key may not send it: a line that does is
    refused with 422 at `$.lines[i].restock`, and a customer's lines are restocked."""
    with services.container.uow_factory() as uow:
        _order_visible(uow, who, order_id)
    if who.role is Role.CUSTOMER:
        _refuse_customer_restock(body)
    # The id is chosen here so the audit entry can name the return in its own commit.
    return_id = new_id("ret")
    command = commands.RequestReturn(
        order_id, tuple(line.to_command() for line in body.lines), who.actor, return_id
    )
    summary = {"lines": body.model_dump()["lines"]}
    dispatch(services, command, _audit(who, return_id, "return.request", {}, summary))
    with services.container.uow_factory() as uow:
        return ReturnOut.of(_return_now(uow, return_id))


@router.get(
    "/orders/{order_id}/returns",
    response_model=list[ReturnOut],
    responses=problem_responses(404),
    summary="An order's returns",
)
def returns_of_order(order_id: OrderPath, who: CanReadReturns, uow: Uow) -> list[ReturnOut]:
    """Every return of one order, oldest first."""
    with uow:
        if who.role is Role.CUSTOMER:
            _order_visible(uow, who, order_id)
        elif uow.orders.get(order_id) is None:
            raise NotFound("order", order_id)
        rows = [r for r in uow.returns.for_order(order_id) if _may_see(uow, who, r)]
        if who.role is Role.WAREHOUSE and not rows:
            # A warehouse does not read orders: an order with nothing for it is not there.
            raise NotFound("order", order_id)
        return [ReturnOut.of(r) for r in rows]


@router.get(
    "/returns", response_model=list[ReturnOut], responses=problem_responses(), summary="Returns"
)
def list_returns(
    who: CanReadReturns,
    uow: Uow,
    status: ReturnStatus | None = None,
    rma: Annotated[str | None, Query(max_length=64, description="The RMA number.")] = None,
    location: Annotated[
        str | None,
        Query(
            pattern=CODE,
            description="Only the returns of this location: those going back to it (named "
            "when authorised) and those received there. A warehouse key names one of its own "
            "locations (another is 403); a customer key may not send it (422).",
            examples=["DAL-01"],
        ),
    ] = None,
    tracking_number: Annotated[
        str | None,
        Query(
            pattern=TRACKING_NUMBER,
            max_length=128,
            description="The return whose label has this tracking number: exactly, case and "
            "all (spaces around it are ignored).",
            examples=["PCL000123456789"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ReturnOut]:
    """Returns, oldest first; filter by status or location, or look one up by its RMA number
    or its label's tracking number (what a warehouse reads off the parcel).
    `?status=authorised&location=DAL-01` is what is on its way back to DAL-01. A location
    Ordo does not know has no returns (an empty list)."""
    if location is not None:
        _may_ask_for_location(who, location)
    # What `_may_see` lets this caller see, as filters of the query: paging then counts only
    # those, so a warehouse finds its parcel's RMA however many returns came before it.
    with uow:
        found = uow.returns.search(
            status=status,
            rma=rma,
            customer_id=who.customer_id if who.role is Role.CUSTOMER else None,
            locations=who.locations if who.role is Role.WAREHOUSE else None,
            location_code=location,
            tracking_number=tracking_number,
            limit=limit,
            offset=offset,
        )
        return [ReturnOut.of(r) for r in found]


def _may_ask_for_location(who: Principal, location: str) -> None:
    """A customer's list is of its own returns, whatever location they went to: the filter is
    staff's, refused at the parameter as a customer's `restock` is. A warehouse asks only
    about locations it works, as it receives only at them."""
    if who.role is Role.CUSTOMER:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "location"),
                    "type": "not_for_customers",
                    "msg": "is for staff: a customer's key lists its own returns, so leave it out",
                    "input": location,
                }
            ]
        )
    _must_work(who, location)


def _must_work(who: Principal, location: str) -> None:
    if not can_work_location(who, location):
        raise Forbidden(f"this key works only locations {', '.join(who.locations)}, not {location}")


@router.get(
    "/returns/{return_id}",
    response_model=ReturnOut,
    responses=problem_responses(404),
    summary="One return",
)
def get_return(return_id: ReturnPath, who: CanReadReturns, uow: Uow) -> ReturnOut:
    """One return with its lines, RMA number, receiving location and refund."""
    with uow:
        return ReturnOut.of(_visible(uow, who, return_id))


@router.post(
    "/returns/{return_id}/authorise",
    response_model=ReturnOut,
    responses=problem_responses(404, 409),
    summary="Authorise a return",
)
def authorise_return(
    return_id: ReturnPath,
    who: CanManageReturns,
    services: Services,
    body: AuthoriseReturnIn | None = None,
) -> ReturnOut:
    """Accept a requested return and issue its RMA number (`rma`) for the parcel's label.
    The body is optional: `location_code` names where the parcel goes back to (404 for a
    location Ordo does not know, 422 for a dropship vendor's)."""
    location_code = body.location_code if body is not None else None
    return _change(
        services,
        who,
        return_id,
        commands.AuthoriseReturn(return_id, who.actor, location_code or ""),
        "return.authorise",
        {"location_code": location_code} if location_code else {},
    )


@router.post(
    "/returns/{return_id}/receive",
    response_model=ReturnOut,
    responses=problem_responses(404, 409),
    summary="Receive a return at a location",
)
def receive_return(
    return_id: ReturnPath, body: ReceiveReturnIn, who: CanReceiveReturns, services: Services
) -> ReturnOut:
    """Book an authorised return in at a location; lines marked `restock` go back on hand
    there, except those named in `not_restocked`: the receiving location inspects the parcel
    and keeps what it finds unfit to sell again (damaged, worn) off sale, whatever the request
    said. A line id that is not on the return is 422. Warehouse keys receive at their own
    locations only."""
    _must_work(who, body.location_code)
    return _change(
        services,
        who,
        return_id,
        commands.ReceiveReturn(return_id, body.location_code, who.actor, tuple(body.not_restocked)),
        "return.receive",
        body.model_dump(),
    )


@router.post(
    "/returns/{return_id}/refund",
    response_model=ReturnOut,
    responses=problem_responses(404, 409),
    summary="Refund a received return",
)
def refund_return(
    return_id: ReturnPath, body: RefundIn, who: CanManageReturns, services: Services
) -> ReturnOut:
    """Refund price x quantity returned (or `amount`, if less), never more than the customer
    paid for the order less earlier refunds."""
    return _change(
        services,
        who,
        return_id,
        commands.RefundReturn(return_id, body.amount, who.actor),
        "return.refund",
        body.model_dump(mode="json"),
    )


@router.post(
    "/returns/{return_id}/reject",
    response_model=ReturnOut,
    responses=problem_responses(404, 409),
    summary="Reject a return",
)
def reject_return(
    return_id: ReturnPath, body: RejectIn, who: CanManageReturns, services: Services
) -> ReturnOut:
    """Refuse a return that has not been received; its units may be returned again later."""
    return _change(
        services,
        who,
        return_id,
        commands.RejectReturn(return_id, body.reason, who.actor),
        "return.reject",
        body.model_dump(),
    )


# --- return labels --------------------------------------------------------------------------


@router.post(
    "/returns/{return_id}/label",
    response_model=ReturnOut,
    responses=problem_responses(404, 409),
    summary="Make a return's label",
)
def make_return_label(
    return_id: ReturnPath, body: ReturnLabelIn, who: CanRequestReturns, services: Services
) -> ReturnOut:
    """Print an authorised return's label, from the order's ship-to address to the location
    the parcel goes back to, with its RMA number as text and as a barcode, and keep it on the
    return (`carrier`, `service`, `tracking_number`, `label_format`); the label itself is
    GET /v1/returns/{id}/label. It travels with the carrier of the order's first shipment,
    in that carrier's cheapest service for the parcel.

    Support and admins name the location (`location_code`), which becomes the return's; a
    customer prints the label of their own return once it has one (their key may not send
    `location_code`: 422). A return not authorised, or with no location, is 409. Asked again
    in the same format, the label made before comes back; in the other format, the same
    tracking number is printed again."""
    if who.role is Role.CUSTOMER and body.location_code is not None:
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "location_code"),
                    "type": "not_for_customers",
                    "msg": "is decided by support, not by the customer: leave it out",
                    "input": body.location_code,
                }
            ]
        )
    with services.container.uow_factory() as uow:
        _visible(uow, who, return_id)  # 404 before anything is written for a hidden one
    command = commands.LabelReturn(return_id, str(body.format), body.location_code or "", who.actor)
    dispatch(services, command)
    with services.container.uow_factory() as uow:
        return ReturnOut.of(_return_now(uow, return_id))


@router.get(
    "/returns/{return_id}/label",
    response_class=Response,
    responses=label_responses(404),
    summary="Download a return's label",
)
def get_return_label(return_id: ReturnPath, who: CanRequestReturns, uow: Uow) -> Response:
    """The return's label as an attachment (`application/pdf`, or ZPL text as
    `application/x-zpl`), for the customer to print and stick on the parcel; 404 when none
    was made yet."""
    with uow:
        found = _visible(uow, who, return_id)
        label = uow.labels.get("return", found.id)
        if label is None:
            raise NoLabel("return", return_id, "returns")
        return label_download(label.content, label.format, f"return-label-{found.id}")
