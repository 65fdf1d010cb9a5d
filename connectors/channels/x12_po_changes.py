"""The buyer's change of a purchase order over X12 (004010): the 860 Purchase Order Change
Request read into plain data (`po_change`), and the 865 Purchase Order Change
Acknowledgment that answers it written (`po_change_acknowledgement`).

The envelope is read by `connectors.channels.x12.parse` (with `PO_CHANGES`: group `PC`,
set `860`; beside the 850s' `PO` groups, `ORDERS_AND_CHANGES`) and the 865 goes back in an
interchange of Ordo's own (`x12_outbound.interchange_to`, group `CA`), as the 850/855 do.
What Ordo does with each change (cancel the order, cancel units of a line) is the service
layer's (engine.service_layer.po_changes); this module only reads and writes. docs/edi.md.

Every error names its place as the 850's do (`segment 5 (POC), element 02`), and every
element at fault is listed at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from connectors.channels.x12 import (
    PURCHASE_ORDERS,
    SKU_QUALIFIERS,
    EdiError,
    Place,
    Reads,
    Segment,
    TransactionSet,
)
from connectors.channels.x12_outbound import interchange_to, transaction_set
from engine.domain.edi import Envelope

PO_CHANGES = Reads("PC", "860", "purchase order changes (PC)", "860 purchase order changes")
# What either door takes (`POST /v1/orders/x12` and `.../changes`: partners' gateways route by
# document type, and an interchange may mix both), in the order they are taken: the 850s
# first, so an 860 changing a purchase order sent beside it finds its order.
ORDERS_AND_CHANGES = (PURCHASE_ORDERS, PO_CHANGES)

# BCH01, the transaction set purpose: the whole order cancelled, or lines of it changed.
CANCELLATION, CHANGE = "01", "04"
_PURPOSES = {CANCELLATION: "cancellation", CHANGE: "change"}
# POC02, the change type. Ordo applies a delete and a decrease (units cancelled), an increase
# and an added item (the order modified), and of changes to a line item (CA) its quantity; a
# price change is read, and answered rejected.
DELETE, DECREASE, INCREASE, ADD, PRICE, LINE_ITEM = "DI", "QD", "QI", "AI", "PC", "CA"
CHANGE_TYPES = {
    DELETE: "delete item",
    DECREASE: "quantity decrease",
    INCREASE: "quantity increase",
    ADD: "add item",
    PRICE: "price change",
    LINE_ITEM: "changes to line items",
}
APPLIED = frozenset({DELETE, DECREASE, INCREASE, ADD, LINE_ITEM})
# The change types that must say the quantity ordered after them (POC03).
_COUNTED = {DECREASE: "a quantity decrease (QD)", INCREASE: "a quantity increase (QI)",
            ADD: "an added item (AI)"}  # fmt: skip

# ACK01 of the 865, what became of one POC: accepted as asked, deleted, quantity changed
# (the new quantity), rejected.
ITEM_ACCEPTED, ITEM_DELETED, QUANTITY_CHANGED, ITEM_REJECTED = "IA", "ID", "IQ", "IR"
# BCA02: every change accepted, none, some.
ACCEPTED_ALL, REJECTED_ALL, WITH_CHANGE = "AT", "RJ", "AC"
# BCA01: Ordo's 865 is always the first answer to its 860.
ORIGINAL = "00"

_WHOLE = re.compile(r"\d+(\.0*)?")
_PRICE = re.compile(r"\d+\.?\d*|\.\d+")


@dataclass(frozen=True, slots=True)
class LineChange:
    """One POC: the PO1's line number (POC01, the 850's PO101), the change type (POC02), the
    quantity ordered after the change (POC03; None when not sent), and its elements as
    sent, for the 865 to echo."""

    line_number: str
    change_type: str
    quantity: int | None
    elements: tuple[str, ...]

    @property
    def price(self) -> str:
        """The unit price as written (POC06), "" when not sent."""
        return self.elements[5] if len(self.elements) > 5 else ""

    @property
    def product_ids(self) -> tuple[tuple[str, str], ...]:
        """Every product id pair sent (POC08/POC09, POC10/POC11, ...), in order."""
        pairs = self.elements[7:]
        return tuple((q, i) for q, i in zip(pairs[::2], pairs[1::2], strict=False) if q and i)

    @property
    def sku(self) -> str:
        """The SKU an added item names, as an 850's PO1 does: the first vendor's part number
        (VP), else the first SKU (SK); "" when it names neither."""
        found = dict(reversed(self.product_ids))  # the first of each qualifier
        return next((found[code] for code in SKU_QUALIFIERS if code in found), "")


@dataclass(frozen=True, slots=True)
class PoChange:
    """An 860: its purpose (BCH01), PO number (BCH03), release (BCH04), change order
    sequence number (BCH05, "" when not sent), PO date (BCH06) and its POCs. `po_place` is
    BCH03's place, for an error about the purchase order it names."""

    purpose: str
    po_number: str
    release: str
    sequence: str
    po_date: str
    lines: tuple[LineChange, ...]
    po_place: Place


class PoChangeError(Exception):
    """The 860 cannot be read: every element at fault."""

    def __init__(self, errors: Sequence[EdiError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


def po_change(tset: TransactionSet) -> PoChange:
    """The 860 `tset`, or `PoChangeError` naming each element at fault."""
    reading = _Reading()
    bch: Segment | None = None
    pocs: list[Segment] = []
    for segment in tset.segments[1:-1] if tset.segments[-1].tag == "SE" else tset.segments[1:]:
        if not re.fullmatch(r"[A-Z][A-Z0-9]{1,2}", segment.tag):
            reading.segment(segment.at(), f"{segment.tag!r} is not a segment id", "1")
        elif segment.tag == "BCH" and bch is None:
            bch = segment
            reading.header(segment)
        elif segment.tag == "POC":
            pocs.append(segment)
        elif segment.tag == "CTT" and segment.get(1) != str(len(pocs)):
            said = f"says {segment.get(1)!r} line items; the set has {len(pocs)} POC segments"
            reading.element(segment.at(1), said, "7", segment.get(1))
    st = tset.segments[0]
    if bch is None:
        said = "has no BCH segment (BCH01: the purpose, BCH03: the purchase order number)"
        reading.segment(st.at(), said, "3")
    elif bch.get(1) == CHANGE and not pocs:
        reading.segment(st.at(), "a change (BCH01 '04') with no POC segment changes nothing", "3")
    seen: dict[str, Place] = {}
    lines = [line for line in (reading.line(poc, seen) for poc in pocs) if line is not None]
    if reading.errors or bch is None:
        raise PoChangeError(sorted(reading.errors, key=lambda error: error.place.segment))
    return PoChange(
        purpose=bch.get(1), po_number=bch.get(3), release=bch.get(4), sequence=bch.get(5),
        po_date=bch.get(6), lines=tuple(lines), po_place=bch.at(3),
    )  # fmt: skip


class _Reading:
    """One 860's errors, as it is read."""

    def __init__(self) -> None:
        self.errors: list[EdiError] = []

    def element(self, place: Place, message: str, code: str, value: str = "") -> None:
        self.errors.append(EdiError(place, message, "element", code, value))

    def segment(self, place: Place, message: str, code: str) -> None:
        self.errors.append(EdiError(place, message, "segment", code))

    def header(self, bch: Segment) -> None:
        purpose = bch.get(1)
        if purpose not in _PURPOSES:
            said = f"purpose {purpose!r} is not taken: Ordo reads a cancellation (01) or a "
            self.element(bch.at(1), said + "change (04)", "7", purpose)
        if not bch.get(3):
            self.element(bch.at(3), "the purchase order number is empty", "1")
        if len(bch.get(5)) > 8:
            said = f"change order sequence number {bch.get(5)!r} is longer than 8 characters"
            self.element(bch.at(5), said, "5", bch.get(5))
        written = bch.get(6)
        if written and _day(written) is None:
            self.element(bch.at(6), f"date {written!r} is not written CCYYMMDD", "8", written)

    def line(self, poc: Segment, seen: dict[str, Place]) -> LineChange | None:
        failed = len(self.errors)
        number, kind, quantity, unit = poc.get(1), poc.get(2), poc.get(3), poc.get(5)
        price = poc.get(6)
        if not number:
            self.element(poc.at(1), "the line number (the 850's PO101) is empty", "1")
        elif number in seen:
            said = f"line {number!r} is changed twice in one 860 (first at {seen[number]})"
            self.element(poc.at(1), said, "7", number)
        else:
            seen[number] = poc.at(1)
        if kind not in CHANGE_TYPES:
            said = f"change type {kind!r} is not an 860 change type ({', '.join(CHANGE_TYPES)})"
            self.element(poc.at(2), said, "1" if not kind else "7", kind)
        if quantity and not _WHOLE.fullmatch(quantity):
            said = f"quantity {quantity!r} is not a whole number of units"
            self.element(poc.at(3), said, "6", quantity)
        elif not quantity and kind in _COUNTED:
            said = f"{_COUNTED[kind]} must say the quantity ordered after it"
            self.element(poc.at(3), said, "1")
        if price and not _PRICE.fullmatch(price):
            self.element(poc.at(6), f"unit price {price!r} is not a number", "6", price)
        if unit and unit != "EA":
            said = f"unit {unit!r} is not taken: Ordo orders whole units, each (EA)"
            self.element(poc.at(5), said, "7", unit)
        if len(self.errors) > failed:
            return None
        return line_change([e.strip() for e in poc.elements])


def line_change(elements: Sequence[str]) -> LineChange:
    """The POC whose elements (POC01 on) are `elements`, read already: its line number, change
    type and quantity (in the PO1's units: kits for a kit's PO1)."""
    number, kind, quantity = (*elements, "", "", "")[:3]
    units = int(quantity.split(".")[0]) if _WHOLE.fullmatch(quantity) else None
    return LineChange(number, kind, units, tuple(elements))


def recorded_change(
    purpose: str, po_number: str, release: str, sequence: str, po_date: str,
    pocs: Sequence[Sequence[str]],
) -> PoChange:  # fmt: skip
    """An 860 taken before, from what Ordo kept of it (its BCH and each POC's elements), for
    an 865 written again: read from no interchange, so it has no place of its own."""
    lines = tuple(line_change([str(e) for e in poc]) for poc in pocs)
    return PoChange(purpose, po_number, release, sequence, po_date, lines, Place(0, "BCH", 3))


def _day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None


# --- the 865 ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineAnswer:
    """What Ordo did with one POC: its ACK01 status, ACK02 the units (the units deleted for
    `ID`, the quantity now for `IQ` and `IA`, the quantity that stands for `IR`), in the
    PO1's units (kits for a kit, as the 855 counts them), and why in words (for the API's
    answer; the 865 carries the code only). `rejected_part` says why a part of a change to
    the line item (CA) was not applied, its price say, when the rest was: the 865 rejects it
    in an ACK of its own ("" for none)."""

    change: LineChange
    status: str
    quantity: int
    reason: str = ""
    rejected_part: str = ""


@dataclass(frozen=True, slots=True)
class PoChangeAcknowledgement:
    """What an 865 says of one 860: the change it answers, Ordo's order id, whether the
    order was cancelled (`accepted`, for a cancellation) and each POC's answer."""

    change: PoChange
    order_id: str
    accepted: bool
    lines: tuple[LineAnswer, ...]

    @property
    def acknowledgement_type(self) -> str:
        """BCA02: AT when every change was accepted, RJ when none was, AC otherwise."""
        if not self.lines:
            return ACCEPTED_ALL if self.accepted else REJECTED_ALL
        taken = [line.status != ITEM_REJECTED for line in self.lines]
        if all(taken):
            return ACCEPTED_ALL
        return WITH_CHANGE if any(taken) else REJECTED_ALL


def po_change_acknowledgement(
    envelope: Envelope, acknowledgement: PoChangeAcknowledgement, *, control_number: int,
    at: datetime,
) -> str:  # fmt: skip
    """The 865 for `acknowledgement` (X12 004010), alone in a `CA` group of an interchange to
    the partner of `envelope`: BCA (`00` original, the acknowledgement type, the PO number,
    release and change sequence of the 860, the PO date, Ordo's order id as BCA09, the date
    acknowledged as BCA10), then per POC the POC echoed as sent and its ACK (status, units,
    `EA`; a second, `IR`, for the part of it not applied), then CTT (the POC segments)."""
    ack, change = acknowledgement, acknowledgement.change
    body: list[list[str]] = [
        ["BCA", ORIGINAL, ack.acknowledgement_type, change.po_number[:22], change.release[:30],
         change.sequence[:8], change.po_date, "", "", ack.order_id[:30], at.strftime("%Y%m%d")],
    ]  # fmt: skip
    for line in ack.lines:
        body.append(["POC", *line.change.elements])
        body.append(["ACK", line.status, str(line.quantity), "EA"])
        if line.rejected_part:
            body.append(["ACK", ITEM_REJECTED, str(line.quantity), "EA"])
    body.append(["CTT", str(len(ack.lines))])
    sets = [transaction_set("865", 1, body)]
    return interchange_to(envelope, "CA", sets, control_number=control_number, at=at)
