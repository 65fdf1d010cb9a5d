"""Returns as the API accepts and shows them: request, receive, refund, reject."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from api.schemas.common import Out, Strict
from api.schemas.patterns import CODE, ID
from engine.domain import commands
from engine.domain.fulfilment import Return, ReturnStatus


class ReturnLineIn(Strict):
    order_line_id: str = Field(
        pattern=ID, description="The order line's id (`lines[].id` of the order).", examples=["L1"]
    )
    quantity: int = Field(gt=0, le=100_000, examples=[1])
    reason: str = Field(default="", max_length=200, examples=["too small"])
    restock: bool = Field(
        default=True,
        description="Put the units back on hand when the return is received. Support's and "
        "admins' to decide: a customer key may not send it (422), and its lines are restocked.",
    )

    def to_command(self) -> commands.ReturnLineInput:
        return commands.ReturnLineInput(
            self.order_line_id, self.quantity, self.reason, self.restock
        )


class ReturnIn(Strict):
    """Which shipped units of the order come back, and why."""

    lines: list[ReturnLineIn] = Field(min_length=1, max_length=500)

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [{"lines": [{"order_line_id": "L1", "quantity": 1, "reason": "too small"}]}]
        },
    }


class AuthoriseReturnIn(Strict):
    location_code: str | None = Field(
        default=None,
        pattern=CODE,
        description="Where the parcel goes back to: the return label the customer prints then "
        "sends it there. Left out, it is named when the label is made, or when the parcel is "
        "received.",
        examples=["DAL-01"],
    )


class ReceiveReturnIn(Strict):
    location_code: str = Field(
        pattern=CODE, description="Where the parcel arrived.", examples=["DAL-01"]
    )
    not_restocked: list[Annotated[str, Field(pattern=ID)]] = Field(
        default=[],
        max_length=500,
        description="Order line ids of the return whose units the receiving location found "
        "unfit to sell again (damaged, worn, opened): they are booked in but not put back on "
        "hand, whatever the request said.",
        examples=[["L2"]],
    )


class RefundIn(Strict):
    amount: Decimal | None = Field(
        default=None,
        strict=False,
        ge=0,
        le=1_000_000,
        decimal_places=2,
        description="Refund less than the lines are worth (a restocking fee); omit for the full "
        "price x quantity. Never more than was paid.",
        examples=["19.90"],
    )


class RejectIn(Strict):
    reason: str = Field(min_length=1, max_length=500, examples=["outside the 30-day window"])


class ReturnLineOut(Out):
    order_line_id: str
    sku: str
    quantity: int
    reason: str
    restock: bool


class ReturnOut(Out):
    id: str = Field(examples=["ret_5b1c0e9a7d2f4e11"])
    order_id: str
    status: ReturnStatus
    rma: str = Field(description="The authorisation number; empty until authorised.")
    location_code: str = Field(
        description="Where it is sent back to (named with its label) or was received; empty "
        "until then."
    )
    refund_amount: Decimal
    created_at: datetime
    lines: list[ReturnLineOut]
    carrier: str = Field(description="Who carries the parcel back; empty until its label.")
    service: str = Field(description="The carrier's service for it; empty until its label.")
    tracking_number: str = Field(description="The return label's; empty until its label.")
    label_format: str = Field(
        description="The format of its label (`pdf`, `zpl`); empty until one is made. The "
        "label itself: GET /v1/returns/{id}/label.",
        examples=["pdf"],
    )

    @classmethod
    def of(cls, r: Return) -> ReturnOut:
        return cls(
            id=r.id,
            order_id=r.order_id,
            status=r.status,
            rma=r.rma,
            location_code=r.location_code,
            refund_amount=r.refund_amount,
            created_at=r.created_at,
            carrier=r.carrier,
            service=r.service,
            tracking_number=r.tracking_number,
            label_format=r.label_format,
            lines=[
                ReturnLineOut(
                    order_line_id=line.order_line_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    reason=line.reason,
                    restock=line.restock,
                )
                for line in r.lines
            ],
        )
