"""EDI with trading partners, as Ordo keeps it: who the partner is on the wire, what their
850 said that an order does not keep, and the documents waiting for their gateway.

A partner's interchanges name both ends by an ISA qualifier and id; Ordo's interchanges
back (997s, 855s, 856s) swap them, repeat the partner's version and delimiters, and number
themselves from a counter per sender/receiver pair (`Envelope.pair`). docs/edi.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.domain.errors import Conflict

# ISA13 and GS06 are nine digits at most; after the last one the sequence starts again at 1.
MOST_CONTROL_NUMBER = 999_999_999
# What an outbound document is, by its transaction set id: an 856 is about a shipment, an
# 855 about an order (its `reference`).
SHIP_NOTICE = "856"
PO_ACKNOWLEDGEMENT = "855"
# An 865 answers one 860, the buyer's change of an order: about `<order id>/<the 860's key>`.
PO_CHANGE_ACKNOWLEDGEMENT = "865"
_ONE_PER = {SHIP_NOTICE: "shipment", PO_ACKNOWLEDGEMENT: "order", PO_CHANGE_ACKNOWLEDGEMENT: "860"}
# The functional group (GS01) each kind is sent in, as the partner's 997 names it (AK101).
FUNCTIONAL_IDS = {SHIP_NOTICE: "SH", PO_ACKNOWLEDGEMENT: "PR", PO_CHANGE_ACKNOWLEDGEMENT: "CA"}
# What the partner's 997 said of a document (AK501, or AK901 for a group without AK2):
# A accepted, E accepted with errors noted, anything else (R, M, W, X) rejected. "" until
# a 997 names it.
FA_ACCEPTED, FA_ERRORS_NOTED, FA_REJECTED = "accepted", "accepted_with_errors", "rejected"
# A change 855 is about the order as `<order id>#<n>`, n counting its 855s from 2: the
# original keeps the order's id, and (kind, reference) stays one document per reference.
# A document written again for one the partner rejected takes the next number of its kind
# about the same thing the same way (an 856 resent: `<shipment id>#2`).
_CHANGE = "#"


def control_number_after(last: int) -> int:
    """The control number that follows `last` (0: none given yet), wrapping to 1."""
    return 1 if last >= MOST_CONTROL_NUMBER or last < 1 else last + 1


def change_reference(order_id: str, sequence: int) -> str:
    """The reference of an order's `sequence`th 855 (1: the original, the order's id)."""
    return order_id if sequence <= 1 else f"{order_id}{_CHANGE}{sequence}"


def sequence_of(reference: str) -> int:
    """Which of its order's 855s the one about `reference` is (`change_reference` undone)."""
    _, _, sequence = reference.rpartition(_CHANGE)
    return int(sequence) if _CHANGE in reference and sequence.isdigit() else 1


def subject_of(reference: str) -> str:
    """What the document about `reference` is about: the order's or the shipment's id, its
    sequence (`#<n>`) taken off."""
    subject, _, sequence = reference.rpartition(_CHANGE)
    return subject if _CHANGE in reference and sequence.isdigit() else reference


def next_reference(subject: str, references: Iterable[str]) -> str:
    """The reference of the next document of a kind about `subject` (an order, a shipment),
    given the `references` of that kind's documents written already (about anything)."""
    taken = [sequence_of(r) for r in references if subject_of(r) == subject]
    return change_reference(subject, max(taken, default=0) + 1)


def document_exists(kind: str, reference: str) -> Conflict:
    """What adding a second document of one kind about one thing raises."""
    per = _ONE_PER.get(kind, "reference")
    return Conflict(f"Ordo has a {kind} for {reference} already: one is written per {per}")


@dataclass(frozen=True, slots=True)
class Pair:
    """The two ends of the interchanges Ordo sends to one partner (ISA05/06 then ISA07/08):
    the key its control numbers count under. Ids are kept without ISA's padding."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str


@dataclass(frozen=True, slots=True)
class Envelope:
    """How a partner's interchange addressed Ordo and was written: ISA05/06 (the partner),
    ISA07/08 (Ordo as the partner names it), GS02/GS03, ISA11, ISA12, ISA15, GS08, and the
    delimiters. What Ordo sends back repeats them, the two ends swapped."""

    partner_qualifier: str
    partner_id: str
    ordo_qualifier: str
    ordo_id: str
    partner_application: str
    ordo_application: str
    standards: str
    version: str
    usage: str
    release: str
    element: str
    component: str
    segment: str

    @property
    def pair(self) -> Pair:
        """Ordo sends, the partner receives."""
        return Pair(self.ordo_qualifier, self.ordo_id, self.partner_qualifier, self.partner_id)


@dataclass(frozen=True, slots=True)
class PurchaseOrderLine:
    """One PO1 as sent: its line number (PO101, "" when not sent), the SKU Ordo ordered,
    every product id pair (qualifier, id) in the order they came (`VP`, `SK`, `UP`, ...),
    the unit (PO103), the quantity (PO102; 0 for an 850 kept before Ordo kept it) and the
    unit price as written (PO104, "" when not sent)."""

    line_number: str
    sku: str
    product_ids: tuple[tuple[str, str], ...] = ()
    unit: str = "EA"
    quantity: int = 0
    price: str = ""


@dataclass(frozen=True, slots=True)
class EdiPurchaseOrder:
    """What an 850 said that its order does not keep, by channel and PO number (BEG03)."""

    channel: str
    po_number: str
    envelope: Envelope
    lines: tuple[PurchaseOrderLine, ...]
    received_at: datetime
    po_date: str = ""  # BEG05, CCYYMMDD
    ship_to_qualifier: str = ""  # N103 of N1*ST
    ship_to_code: str = ""  # N104 of N1*ST

    def line_for(self, order_line_id: str, sku: str) -> PurchaseOrderLine | None:
        """The PO1 an order line came from: the one whose PO101 is its id, or whose id its
        kit component's `<id>.<n>` starts with; for a PO1 sent without PO101 (Ordo numbered
        its line), the first such one of the same SKU. None: a line added later."""
        for line in self.lines:
            if line.line_number and (
                order_line_id == line.line_number
                or order_line_id.startswith(f"{line.line_number}.")
            ):
                return line
        return next((x for x in self.lines if not x.line_number and x.sku == sku), None)

    def lines_as_ordered(
        self, order_lines: Sequence[tuple[str, str]]
    ) -> list[tuple[PurchaseOrderLine, list[str]]]:
        """Each PO1 with the ids of the order lines (id, SKU) that came from it: the line its
        PO101 names and its kit components (`<PO101>.<n>`); for a PO1 sent without PO101, the
        first line of its SKU no other PO1 took, else (a kit, numbered by Ordo) the first
        components `<n>.<k>` none took. A PO1 with no line left (removed from the order
        since) has none; a line added since belongs to no PO1."""
        taken: set[str] = set()
        found: list[tuple[PurchaseOrderLine, list[str]]] = []
        for sent in self.lines:
            number = sent.line_number
            ids = [
                i for i, _ in order_lines if number and (i == number or i.startswith(f"{number}."))
            ]
            found.append((sent, ids))
            taken.update(ids)
        for sent, ids in found:
            if sent.line_number:
                continue
            left = [(i, s) for i, s in order_lines if i not in taken]
            first = next((i for i, s in left if s == sent.sku), None)
            kit = next((i.split(".")[0] for i, _ in left if "." in i), None)
            if first is not None:
                ids.append(first)
            elif kit is not None:
                ids.extend(i for i, _ in left if i.startswith(f"{kit}."))
            taken.update(ids)
        return found


@dataclass(slots=True)
class OutboundDocument:
    """An X12 document for a partner's gateway to collect, kept until it says it has it.
    `reference` is what it is about (a shipment's id for an 856, an order's for an 855, and
    `<order id>#<n>` for its change 855s, `<id>#<n>` for one written again): one per kind
    and reference. `functional_ack` is what the partner's 997 said of it (FA_ACCEPTED,
    FA_ERRORS_NOTED, FA_REJECTED; "" before one came), with the error codes it gave
    (`functional_ack_codes`, as `AK502=5`). A document the partner rejected and Ordo wrote
    again is `replaced_by` the new one, which `replaces` it ("" for neither); each is
    replaced once at most."""

    id: str
    channel: str
    kind: str
    reference: str
    order_id: str
    control_number: int
    content: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    functional_ack: str = ""
    functional_ack_codes: tuple[str, ...] = ()
    functional_ack_at: datetime | None = None
    replaces: str = ""
    replaced_by: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def rejected(self) -> bool:
        """The partner's 997 rejected it: their systems do not hold what it said."""
        return self.functional_ack == FA_REJECTED


def resent_already(document_id: str, replacement: str) -> Conflict:
    """What writing a second replacement of one document raises."""
    return Conflict(
        f"outbound document {document_id} was written again already, as {replacement}: a "
        "document is written again once"
    )
