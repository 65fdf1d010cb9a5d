"""The buyer's changes to its purchase orders over EDI: the 860 purchase order changes of an
ANSI X12 interchange, each applied to the order made from its 850 and answered with what
became of each POC, for `POST /v1/orders/x12/changes` (and the 850s' door, which takes 860s
beside them: api.routes.edi_interchanges, which also writes the 997).

The connector (`connectors.channels.x12_po_changes`) reads each 860; the service layer
(`engine.service_layer.po_changes`) applies it with Ordo's own cancellation and modification
paths, records it, and writes the 865 into the partner's mailbox for the channels that get
855s. See docs/edi.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import Field

from api.commands import dispatch
from api.deps import ApiServices
from api.routes.edi import refusal
from api.schemas.common import Out, Problem
from api.schemas.orders import OrderOut
from connectors.channels import x12, x12_outbound
from connectors.channels.x12_po_changes import PoChangeError, po_change
from engine.domain.access import Principal
from engine.domain.commands import Command
from engine.domain.errors import Conflict
from engine.service_layer.po_acknowledgements import EVERY_CHANNEL
from engine.service_layer.po_changes import (
    ChangeRequest,
    UnknownPurchaseOrder,
    change_key,
    take_change,
)
from engine.service_layer.unit_of_work import UnitOfWork

PATH = "/v1/orders/x12/changes"

EXAMPLE = (
    "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261122*0905*U*00401"
    "*000000906*0*T*>~\n"
    "GS*PC*BUYERCO*ORDO*20261122*0905*906*X*004010~\n"
    "ST*860*0001~\n"
    "BCH*04*SA*PO-1001**1*20261121~\n"
    "POC*1*QD*1*1*EA*59.90**VP*SHOE-42~\n"
    "CTT*1~\n"
    "SE*5*0001~\n"
    "GE*1*906~\n"
    "IEA*1*000000906~\n"
)


class LineChangeOut(Out):
    """One POC and what Ordo did with it, as the 865 says it."""

    line_number: str = Field(description="POC01, the 850's PO101.", examples=["1"])
    change_type: str = Field(description="POC02: DI, QD, QI, AI, PC or CA.", examples=["QD"])
    status: str = Field(
        description="ACK01: IA accepted (the line had it already, or the item was added), ID "
        "deleted, IQ quantity changed, IR rejected.",
        examples=["IQ"],
    )
    quantity: int = Field(
        description="ACK02: the units deleted (ID), the line's units now (IA, IQ), or the "
        "units that stand (IR)."
    )
    reason: str = Field(
        default="",
        description="Why it was rejected or only partly taken (a change to a line item whose "
        "price was not applied: the 865 rejects that part in a second ACK).",
    )


class PoChangeSetOut(Out):
    """One 860 of the interchange and what became of it."""

    group: str = Field(description="Its functional group's control number (GS06).")
    control_number: str = Field(description="ST02.", examples=["0001"])
    po_number: str = Field(description="BCH03; empty when it was not sent.")
    purpose: str = Field(description="BCH01: 01 cancellation, 04 change.", examples=["04"])
    status: int = Field(
        description="200: applied (each POC accepted or rejected in `lines`). 409: this 860 "
        "was taken before; nothing changed now, and `lines` says what was answered then (or, "
        "with a `problem`, it was being taken by another request at the same moment). "
        "422: not taken; `problem.errors` names each element at fault.",
        examples=[200],
    )
    acknowledgement_type: str | None = Field(
        default=None, description="BCA02 of the answer: AT all accepted, RJ none, AC some."
    )
    lines: list[LineChangeOut] = Field(default_factory=list)
    order: OrderOut | None = None
    document_id: str | None = Field(
        default=None,
        description="The 865 written into the partner's mailbox (GET /v1/edi/outbound); null "
        "for a channel that gets no 855s, a repeat, or a refusal.",
    )
    problem: Problem | None = None


class PoChangesPart(Out):
    """The 860s of an interchange and what became of each, as `POST /v1/orders/x12/changes`
    answers them."""

    applied: int
    failed: int
    results: list[PoChangeSetOut]


def take_po_changes(
    services: ApiServices,
    who: Principal,
    channel: str,
    interchange: x12.Interchange,
    groups: Sequence[x12.Group],
) -> tuple[PoChangesPart, list[x12_outbound.Outcome]]:
    """Each transaction set of `groups` read, applied and answered, with its outcome for the
    997; a group refused whole (not `PC`, a trailer that disagrees) refuses each of its
    sets."""
    channels = services.container.settings.edi_acknowledgement_channels
    acknowledge = EVERY_CHANNEL in channels or channel in channels
    results: list[PoChangeSetOut] = []
    outcomes: list[x12_outbound.Outcome] = []
    for group in groups:
        for tset in group.transaction_sets:
            result, outcome = _po_change(
                services, who, channel, acknowledge, interchange, group, tset
            )
            results.append(result)
            outcomes.append(outcome)
    applied = sum(1 for result in results if result.status == 200)
    failed = sum(1 for result in results if result.status == 422)
    return PoChangesPart(applied=applied, failed=failed, results=results), outcomes


def _po_change(
    services: ApiServices,
    who: Principal,
    channel: str,
    acknowledge: bool,
    interchange: x12.Interchange,
    group: x12.Group,
    tset: x12.TransactionSet,
) -> tuple[PoChangeSetOut, x12_outbound.Outcome]:
    """One transaction set read, applied, and answered."""
    bch = next((s for s in tset.segments if s.tag == "BCH"), None)
    said: dict[str, Any] = {
        "group": group.control_number,
        "control_number": tset.control_number,
        "po_number": bch.get(3) if bch else "",
        "purpose": bch.get(1) if bch else "",
    }
    instance = f"{PATH}#{group.control_number}/{tset.control_number}"
    envelope = [*group.errors, *tset.errors]
    if envelope:
        errors = [(e, f"invalid_{e.scope}") for e in envelope]
        return _refused(said, tset, errors, instance, "invalid_po_change")
    try:
        change = po_change(tset)
    except PoChangeError as unread:
        errors = [(e, f"invalid_{e.scope}") for e in unread.errors]
        return _refused(said, tset, errors, instance, "invalid_po_change")
    key = change_key(change, interchange.control_number, group.control_number,
                     tset.control_number)  # fmt: skip
    asked = ChangeRequest(channel, change, key, interchange.envelope, who.actor, acknowledge)

    def run(command: Command, audited: Callable[[UnitOfWork], None]) -> Any:
        return dispatch(services, command, audited)

    try:
        done = take_change(services.container.uow_factory, run, asked)
    except UnknownPurchaseOrder as unknown:
        error = x12.EdiError(change.po_place, str(unknown), "element", "7", change.po_number)
        return _refused(said, tset, [(error, "unknown_purchase_order")], instance,
                        "unknown_purchase_order")  # fmt: skip
    except Conflict as clash:
        # The same 860 taken by another request at this moment: nothing of this one stands,
        # and the 997 asks the partner to send it again, to be answered what was done.
        error = x12.EdiError(change.po_place, str(clash), "element", "7", change.po_number)
        refused, outcome = _refused(said, tset, [(error, "po_change_in_flight")], instance,
                                    "po_change_in_flight")  # fmt: skip
        return refused.model_copy(update={"status": 409}), outcome
    lines = [
        LineChangeOut(line_number=a.change.line_number, change_type=a.change.change_type,
                      status=a.status, quantity=a.quantity, reason=a.reason)
        for a in done.answered.lines
    ]  # fmt: skip
    result = PoChangeSetOut(
        **said,
        status=409 if done.repeated else 200,
        acknowledgement_type=done.answered.acknowledgement_type,
        lines=lines,
        order=OrderOut.of(done.order),
        document_id=None if done.document is None else done.document.id,
    )
    return result, x12_outbound.Outcome(tset, True)


def _refused(
    said: dict[str, Any],
    tset: x12.TransactionSet,
    errors: list[tuple[x12.EdiError, str]],
    instance: str,
    code: str,
) -> tuple[PoChangeSetOut, x12_outbound.Outcome]:
    refused, outcome = refusal(tset, said["po_number"], errors, instance, code)
    return PoChangeSetOut(**said, status=422, problem=refused), outcome
