"""A customer's personal data: everything Ordo holds about them (the right of access), and its
erasure (the right to be forgotten).

The export reads the customer's record, orders, shipments, returns and the audit entries
about them, a page at a time, into one document, with the copies kept elsewhere: their
orders' decision traces and tickets, the alerts about them, the parts of stored
idempotency answers that are theirs, and what EDI keeps of their orders (the 850s and the
documents written to trading partners). Erasure works in one transaction: the entities forget
the person (`Customer.erase_personal_data`, `Order.erase_personal_data`; the labels printed
with their address are deleted here, from `UnitOfWork.labels`), then every copy of their
details outside the entities (audit summaries, the audit entries of API keys, decision
traces, event payloads, idempotency answers, API keys, alert messages, ticket subjects) is
redacted by the store that keeps it (`UnitOfWork.personal_copies`), so is what EDI keeps of
their orders (`edi.erase_copies`: the 850s' ship-to ids, the ship-to in the 855s and 856s
written to trading partners), and a `customer.erase`
audit entry and a `customer.erased` event record that it happened.

What counts as the customer's is decided here, by `PersonalData`: their emails, names and
street lines, found by key in records that are theirs (an order's `email` and `ship_to`) and
by content, as whole words, in free text (a hold message, a return's reason).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from engine.domain import commands, events
from engine.domain.access import IdempotencyRecord
from engine.domain.catalog import Customer, erased_email
from engine.domain.edi import EdiPurchaseOrder, OutboundDocument
from engine.domain.errors import Conflict, DomainError, NotFound
from engine.domain.fulfilment import FulfillmentOrder, Return
from engine.domain.operations import Alert, AuditEntry, DecisionTrace, Ticket
from engine.domain.orders import TERMINAL, Order
from engine.service_layer import audit, edi
from engine.service_layer.unit_of_work import COPY_KINDS, CustomerCopies, UnitOfWork

T = TypeVar("T")

# Rows read per query: a customer can have thousands of orders, and the export is built from
# pages of this many rather than one query that returns them all.
PAGE = 500
# What a name or a street line becomes where it is found in free text.
ERASED = "[erased]"
# Texts shorter than this are not looked for in free text: a two-letter name, matched as a
# word, would take every "Al" out of the customer's hold messages and tracking events.
SHORTEST_NEEDLE = 3
_EMAIL_KEYS = frozenset({"email", "email_lower"})
_ADDRESS_KEYS = frozenset({"ship_to", "default_address"})
_ADDRESS_PERSONAL = ("name", "line1", "city", "state")
# Order ids listed in a refusal; the rest are counted.
_LISTED = 20


class OrdersNotFinished(Conflict):
    """Erasure refused: the customer has orders not yet finished (HTTP 409)."""

    code = "orders_not_finished"

    def __init__(self, customer_id: str, order_ids: Sequence[str]) -> None:
        shown = ", ".join(order_ids[:_LISTED])
        more = f" and {len(order_ids) - _LISTED} more" if len(order_ids) > _LISTED else ""
        finished = ", ".join(sorted(TERMINAL))
        super().__init__(
            f"customer {customer_id} has {len(order_ids)} order(s) not finished ({shown}{more}): "
            f"their ship-to addresses are still needed to ship them; erase once every order is "
            f"{finished}"
        )
        self.order_ids = tuple(order_ids)


@dataclass(frozen=True)
class PersonalData:
    """What identifies one customer, and how to take it out of a text or a JSON value."""

    customer_id: str
    emails: frozenset[str]
    # Names and street lines, as given.
    words: frozenset[str]
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        needles = sorted(self.needles, key=len, reverse=True)  # "Ada Lovelace" before "Ada"
        pattern = None
        if needles:
            alternatives = "|".join(re.escape(needle) for needle in needles)
            # Whole words only: "Ann" is not taken out of "Annual".
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        object.__setattr__(self, "_pattern", pattern)

    @classmethod
    def of(
        cls, customer_id: str, customer: Customer | None, orders: Sequence[Order]
    ) -> PersonalData:
        emails = {order.email for order in orders}
        words: set[str] = set()
        addresses = [order.ship_to for order in orders]
        if customer is not None:
            emails.add(customer.email)
            words.add(customer.name)
            if customer.default_address is not None:
                addresses.append(customer.default_address)
        for address in addresses:
            words.update((address.name, address.line1))
        placeholder = erased_email(customer_id)
        return cls(
            customer_id,
            frozenset(e for e in emails if e and e.lower() != placeholder),
            frozenset(w for w in words if w.strip() and w != ERASED),
        )

    @property
    def email(self) -> str:
        """The address the customer's records carry once erased."""
        return erased_email(self.customer_id)

    @property
    def needles(self) -> tuple[str, ...]:
        """The texts looked for in free text and in stored copies, as given."""
        texts = {*self.emails, *self.words}
        return tuple(sorted(text for text in texts if len(text.strip()) >= SHORTEST_NEEDLE))

    def text(self, value: str) -> str:
        """`value` with the customer's emails (as `email`) and names and street lines (as
        `ERASED`) taken out wherever they stand as words, in any case."""
        if self._pattern is None or not value:
            return value
        emails = {e.lower() for e in self.emails}
        return self._pattern.sub(
            lambda found: self.email if found.group(0).lower() in emails else ERASED, value
        )

    def document(self, value: Any, theirs: bool) -> Any:
        """A copy of JSON `value` with the customer's details replaced. In a part that is
        theirs (all of it when `theirs`; else an object naming them as its `customer_id`, or
        their customer record) an `email` becomes the erased address, and a `ship_to` or
        `default_address` keeps its postal code, country and coordinates only. Everywhere,
        their texts are taken out of strings (`text`), and a string holding JSON (a stored
        HTTP answer) is redacted as JSON."""
        if isinstance(value, str):
            return self._string(value, theirs)
        if isinstance(value, list):
            return [self.document(item, theirs) for item in value]
        if not isinstance(value, dict):
            return value
        person = value.get("id") == self.customer_id and "email" in value
        theirs = theirs or person or value.get("customer_id") == self.customer_id
        redacted: dict[str, Any] = {}
        for key, item in value.items():
            if theirs and key in _EMAIL_KEYS and isinstance(item, str) and item:
                redacted[key] = self.email
            elif theirs and key in _ADDRESS_KEYS:
                redacted[key] = self._address(item)
            elif person and key == "name" and isinstance(item, str):
                redacted[key] = ""
            else:
                redacted[key] = self.document(item, theirs)
        return redacted

    def parts(self, value: Any) -> list[Any]:
        """The parts of JSON `value` that are theirs, as `document` tells them: each object
        naming them as its `customer_id`, and their customer record (a string holding JSON is
        read as JSON). Empty when none is: the caller decides about the rest."""
        if isinstance(value, str):
            parsed = _json_in(value)
            return [] if parsed is None else self.parts(parsed)
        if isinstance(value, list):
            return [part for item in value for part in self.parts(item)]
        if not isinstance(value, dict):
            return []
        if value.get("customer_id") == self.customer_id or (
            value.get("id") == self.customer_id and "email" in value
        ):
            return [value]
        return [part for item in value.values() for part in self.parts(item)]

    def _address(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: "" if key in _ADDRESS_PERSONAL and isinstance(item, str) else item
                for key, item in value.items()
            }
        if isinstance(value, str) and value:
            return ERASED  # an address written out as text (an audit summary's repr)
        return value

    def _string(self, value: str, theirs: bool) -> str:
        parsed = _json_in(value)
        if parsed is not None:
            redacted = self.document(parsed, theirs)
            if redacted == parsed:
                return value
            # As the API writes its answers (Starlette's JSONResponse).
            return json.dumps(redacted, ensure_ascii=False, separators=(",", ":"))
        return self.text(value)

    def copies(
        self,
        orders: Sequence[Order],
        shipments: Sequence[FulfillmentOrder],
        returns: Sequence[Return],
    ) -> CustomerCopies:
        """Where the stores look for copies of this customer's data, and how they redact."""
        return CustomerCopies(
            customer_id=self.customer_id,
            order_ids=tuple(order.id for order in orders),
            shipment_ids=tuple(shipment.id for shipment in shipments),
            return_ids=tuple(found.id for found in returns),
            needles=self.needles,
            scrub=self.document,
            scrub_text=self.text,
        )


def _json_in(value: str) -> dict[str, Any] | list[Any] | None:
    """The object or list a string holds as JSON (a stored HTTP answer), else None."""
    if value[:1] not in ("{", "["):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


# --- export (the right of access) -----------------------------------------------------------


@dataclass(frozen=True)
class KeptAnswer:
    """An answer kept under an Idempotency-Key that holds the customer's details: `holds` is
    what of it is theirs (their orders' and record's JSON as answered then), not the rest of
    a batch's answer, which is other customers'."""

    key: str
    status_code: int
    stored_at: datetime
    holds: list[Any]


@dataclass(frozen=True)
class PersonalDataExport:
    """Everything Ordo holds about one customer; each list oldest first."""

    customer_id: str
    customer: Customer | None
    orders: list[Order]
    shipments: list[FulfillmentOrder]
    returns: list[Return]
    audit: list[AuditEntry]
    tickets: list[Ticket]
    decision_traces: list[DecisionTrace]
    alerts: list[Alert]
    idempotency_answers: list[KeptAnswer]
    # The 850s their orders came in as, and the documents written to the partners about them.
    edi_purchase_orders: list[EdiPurchaseOrder] = field(default_factory=list)
    edi_documents: list[OutboundDocument] = field(default_factory=list)


def _every(read: Callable[[int, int], Sequence[T]], key: Callable[[T], str]) -> list[T]:
    """Every row `read(limit, offset)` pages through, each once: a row written between two
    pages shifts the next one, and would otherwise come twice."""
    found: dict[str, T] = {}
    offset = 0
    while True:
        page = read(PAGE, offset)
        for row in page:
            found.setdefault(key(row), row)
        if len(page) < PAGE:
            return list(found.values())
        offset += PAGE


def _orders_of(uow: UnitOfWork, customer_id: str) -> list[Order]:
    orders = _every(
        lambda limit, offset: uow.orders.search(
            customer_id=customer_id, limit=limit, offset=offset
        ),
        lambda order: order.id,
    )
    return sorted(orders, key=lambda order: (order.created_at, order.id))


def _shipments_of(uow: UnitOfWork, customer_id: str) -> list[FulfillmentOrder]:
    return _every(
        lambda limit, offset: uow.shipments.search(
            customer_id=customer_id, limit=limit, offset=offset
        ),
        lambda shipment: shipment.id,
    )


def _returns_of(uow: UnitOfWork, customer_id: str) -> list[Return]:
    return _every(
        lambda limit, offset: uow.returns.search(
            customer_id=customer_id, limit=limit, offset=offset
        ),
        lambda found: found.id,
    )


def export_personal_data(uow: UnitOfWork, customer_id: str, *, actor: str) -> PersonalDataExport:
    """Everything held about `customer_id`: NotFound when Ordo has neither a record of the
    customer nor any order of theirs. Audited as `customer.export` for `actor`, with how many
    records of each kind went out and none of their content: reading everything about a
    person is what a data-protection officer must be able to account for."""
    with uow:
        customer = uow.customers.get(customer_id)
        orders = _orders_of(uow, customer_id)
        if customer is None and not orders:
            raise NotFound("customer", customer_id)
        shipments = _shipments_of(uow, customer_id)
        returns = _returns_of(uow, customer_id)
        personal = PersonalData.of(customer_id, customer, orders)
        copies = personal.copies(orders, shipments, returns)
        edi_purchase_orders, edi_documents = edi.copies_of(uow, orders)
        about = [
            *uow.audit.about("customer", [customer_id]),
            *uow.audit.about("order", [order.id for order in orders]),
            *uow.audit.about("shipment", [shipment.id for shipment in shipments]),
            *uow.audit.about("return", [found.id for found in returns]),
        ]
        exported = PersonalDataExport(
            customer_id=customer_id,
            customer=customer,
            orders=orders,
            shipments=shipments,
            returns=returns,
            audit=sorted(about, key=lambda entry: (entry.at, entry.id)),
            tickets=sorted(
                (t for order in orders for t in uow.tickets.about("order", order.id)),
                key=lambda ticket: (ticket.created_at, ticket.id),
            ),
            decision_traces=sorted(
                (t for order in orders for t in uow.traces.for_order(order.id)),
                key=lambda trace: (trace.at, trace.id),
            ),
            alerts=list(uow.personal_copies.alerts(copies)),
            idempotency_answers=list(_kept_answers(personal, uow.personal_copies.answers(copies))),
            edi_purchase_orders=edi_purchase_orders,
            edi_documents=edi_documents,
        )
        after = {"exported": export_counts(exported)}
        audit.record(uow, actor, "customer.export", "customer", customer_id, {}, after)
        uow.commit()
    return exported


def export_counts(exported: PersonalDataExport) -> dict[str, int]:
    """How many records of each kind `exported` holds: what its audit entry keeps of it."""
    return {
        "customers": int(exported.customer is not None),
        "orders": len(exported.orders),
        "shipments": len(exported.shipments),
        "returns": len(exported.returns),
        "audit_entries": len(exported.audit),
        "tickets": len(exported.tickets),
        "decision_traces": len(exported.decision_traces),
        "alerts": len(exported.alerts),
        "idempotency_answers": len(exported.idempotency_answers),
        "edi_purchase_orders": len(exported.edi_purchase_orders),
        "edi_documents": len(exported.edi_documents),
    }


def _kept_answers(
    personal: PersonalData, records: Sequence[IdempotencyRecord]
) -> Iterator[KeptAnswer]:
    for record in records:
        stored: Any = record.response
        # The middleware keeps the answer's body as text; a route's own store, as JSON.
        body = stored.get("text", stored) if isinstance(stored, dict) else stored
        holds = personal.parts(body)
        if not holds and not _names_others(personal, body):
            # Theirs by content only (a return's reasons): all of it, since no one else's.
            parsed = _json_in(body) if isinstance(body, str) else None
            holds = [body if parsed is None else parsed]
        if holds:
            yield KeptAnswer(
                record.key, record.status_code, record.completed_at or record.created_at, holds
            )


def _names_others(personal: PersonalData, value: Any) -> bool:
    """Whether JSON `value` holds an object of another customer's (a batch's answer)."""
    if isinstance(value, str):
        parsed = _json_in(value)
        return parsed is not None and _names_others(personal, parsed)
    if isinstance(value, list):
        return any(_names_others(personal, item) for item in value)
    if not isinstance(value, dict):
        return False
    owner = value.get("customer_id")
    if isinstance(owner, str) and owner and owner != personal.customer_id:
        return True
    return any(_names_others(personal, item) for item in value.values())


# --- erasure (the right to be forgotten) ----------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What an erasure changed: records per kind (`customers`, `orders`, `shipments`,
    `returns`, then `COPY_KINDS`, then `edi_purchase_orders` and `edi_documents`); all zero
    when the customer was erased before."""

    customer_id: str
    erased: dict[str, int]


def _erase_shipment(uow: UnitOfWork, shipment: FulfillmentOrder, personal: PersonalData) -> bool:
    """A shipment keeps its carrier, tracking number and timeline; its printed label (the
    recipient's address on it) goes, and their details leave the tracking events' texts (a
    carrier's "signed for by ...")."""
    before = (shipment.label_format, list(shipment.tracking))
    deleted = uow.labels.delete("shipment", shipment.id)
    shipment.label_format = ""
    shipment.tracking = [
        replace(
            event,
            description=personal.text(event.description),
            location=personal.text(event.location),
        )
        for event in shipment.tracking
    ]
    return deleted or before != (shipment.label_format, shipment.tracking)


def _erase_return(uow: UnitOfWork, found: Return, personal: PersonalData) -> bool:
    """A return keeps its lines, RMA, carrier and tracking number and refund; its label
    (printed with the customer's address as the sender) goes, and their details leave the
    reasons they gave."""
    before = (found.label_format, [line.reason for line in found.lines])
    deleted = uow.labels.delete("return", found.id)
    found.label_format = ""
    for line in found.lines:
        line.reason = personal.text(line.reason)
    return deleted or before != (found.label_format, [line.reason for line in found.lines])


def erase_customer(cmd: commands.EraseCustomer, uow: UnitOfWork) -> Erasure:
    """Erase the customer's personal data everywhere Ordo keeps it, in one transaction; the
    records changed per kind. NotFound for a customer with neither a record nor an order;
    OrdersNotFinished while an order of theirs is not finished."""
    if not cmd.reason.strip():
        raise DomainError(
            "$.reason: say why the customer's personal data is erased; it is kept in the audit log"
        )
    with uow:
        customer = uow.customers.get(cmd.customer_id)
        orders = _orders_of(uow, cmd.customer_id)
        if customer is None and not orders:
            raise NotFound("customer", cmd.customer_id)
        unfinished = [order.id for order in orders if order.status not in TERMINAL]
        if unfinished:
            raise OrdersNotFinished(cmd.customer_id, unfinished)
        personal = PersonalData.of(cmd.customer_id, customer, orders)
        shipments = _shipments_of(uow, cmd.customer_id)
        returns = _returns_of(uow, cmd.customer_id)
        erased = {
            "customers": int(customer is not None and customer.erase_personal_data()),
            "orders": sum(order.erase_personal_data(personal.text) for order in orders),
            "shipments": sum(_erase_shipment(uow, s, personal) for s in shipments),
            "returns": sum(_erase_return(uow, r, personal) for r in returns),
        }
        redacted = uow.personal_copies.redact(personal.copies(orders, shipments, returns))
        erased.update({kind: redacted.get(kind, 0) for kind in COPY_KINDS})
        erased.update(edi.erase_copies(uow, orders, ERASED, personal.text))
        # The reason as the admin wrote it, less the customer's own details, should it name them.
        after = {"reason": personal.text(cmd.reason.strip()), "erased": erased}
        audit.record(uow, cmd.actor, "customer.erase", "customer", cmd.customer_id, {}, after)
        uow.record(events.CustomerErased(cmd.customer_id))
        uow.commit()
    return Erasure(cmd.customer_id, erased)


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.EraseCustomer: erase_customer,
}
