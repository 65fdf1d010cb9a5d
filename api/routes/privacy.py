"""A customer's personal data: export it (the right of access) and erase it (the right to be
forgotten).

Admins and support export any customer's data, answering a data-access request; a customer
key exports its own customer's, and another customer's id answers 404 exactly as a missing
one does, so ids do not leak. Only admins erase.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from api.commands import dispatch
from api.deps import Caller, Services, Uow, log_forbidden, require_logged
from api.schemas.common import problem_responses
from api.schemas.patterns import ID
from api.schemas.privacy import EraseIn, ErasureOut, PersonalDataOut
from engine.domain import commands
from engine.domain.access import Principal, Role
from engine.domain.errors import NotFound
from engine.domain.values import utcnow
from engine.service_layer import auth, privacy
from engine.service_layer.auth import Forbidden

router = APIRouter(prefix="/v1/customers", tags=["personal data"])

CustomerPath = Annotated[
    str, Path(pattern=ID, description="The customer's id, as their orders name it.")
]


async def _may_export(request: Request, who: Caller) -> Principal:
    """Staff who read customers (admin, support), and customer keys (for their own)."""
    if who.role is not Role.CUSTOMER:
        require_logged(request, who, auth.CUSTOMERS_READ)
    return who


async def _may_erase(request: Request, who: Caller) -> Principal:
    if who.role is not Role.ADMIN:
        log_forbidden(request, who, "erase customers")
        raise Forbidden(f"role '{who.role}' may not erase a customer's personal data (admins do)")
    return who


CanExport = Annotated[Principal, Depends(_may_export)]
CanErase = Annotated[Principal, Depends(_may_erase)]


@router.get(
    "/{customer_id}/personal-data",
    response_model=PersonalDataOut,
    responses=problem_responses(404),
    summary="Everything Ordo holds about a customer",
)
def export_personal_data(customer_id: CustomerPath, who: CanExport, uow: Uow) -> PersonalDataOut:
    """The customer record, every order under the customer's id (email, ship-to address,
    lines, status, dates), their shipments (carrier, tracking number and events), returns
    (lines, reasons, refunds), the audit entries about all of those, the helpdesk tickets
    and decision traces of their orders, the alerts about them, and what of the answers kept
    under an Idempotency-Key is theirs, in one document: the answer to a data-access
    request. Read a page at a time, however many orders there are. 404 for a customer Ordo
    has neither a record nor an order of; a customer key may export only its own customer
    (any other id is 404), and sees who acted by role only. Audited as `customer.export`
    with the counts of what it holds, never the data."""
    if who.role is Role.CUSTOMER and customer_id != who.customer_id:
        raise NotFound("customer", customer_id)
    exported = privacy.export_personal_data(uow, customer_id, actor=who.actor)
    return PersonalDataOut.of(exported, utcnow(), actors=who.role is not Role.CUSTOMER)


@router.post(
    "/{customer_id}/erase",
    response_model=ErasureOut,
    responses=problem_responses(404, 409),
    summary="Erase a customer's personal data",
)
def erase_personal_data(
    customer_id: CustomerPath, body: EraseIn, who: CanErase, services: Services
) -> ErasureOut:
    """Anonymise the customer in one transaction: the record's email becomes
    `erased-<hash>@erased.invalid`, its name and default address go; each order's email,
    recipient name, street, city and state go, while its postal code, country, lines,
    prices, dates and statuses stay (so sales, fulfilment and simulation figures stay true);
    shipping and return labels are deleted; the copies in audit summaries (those of their
    API keys too), decision traces, event payloads, idempotency answers, alert messages and
    ticket subjects are redacted; the customer's API keys are revoked. Audited as
    `customer.erase` with `reason` and the counts; raises `customer.erased` (the id only)
    for other systems to erase theirs.

    409 listing the orders while any is not finished (delivered, cancelled or rejected): the
    warehouse still needs the address. 404 for a customer Ordo does not know. Erasing again
    is harmless: 200, every count 0."""
    command = commands.EraseCustomer(customer_id, body.reason, who.actor)
    done: privacy.Erasure = dispatch(services, command)
    return ErasureOut.of(done)
