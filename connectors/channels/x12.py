"""B2B orders over EDI: an ANSI X12 interchange of 850 purchase orders, read into Ordo's order
body.

Each stage is a plain function:
- `parse` reads the envelope: ISA ... IEA, its functional groups (GS ... GE) and their
  transaction sets (ST ... SE). The delimiters come from the ISA segment itself (docs/edi.md).
  What cannot be read at all raises `X12Error`; a trailer that disagrees with its header
  (a control number, a count) is kept on the group or the transaction set it spoils, so the
  997 can reject that one and the others still go through. A door may read several kinds
  of group (the 850s' and the 860s' both take `PO` and `PC`); `by_kind` sorts an
  interchange's groups by the reader of each.
- `purchase_order` maps one 850 to the body `POST /v1/orders` takes, with `sources` naming
  the segment and element each field came from, or raises `PurchaseOrderError` listing every
  element it cannot map.
- `kept` is what Ordo keeps of an 850 that its order does not (engine.domain.edi): the
  partner's envelope, PO101 and the product ids of each line, for the 856 answering it.

What Ordo writes back (the 997, the 856) is `connectors.channels.x12_outbound`.

Every error names its place as the sender can find it: the segment's number within the
interchange (ISA is 1), its id and the element's position, `segment 14 (PO1), element 02`.
Like every connector, this module may not import the API: it hands over plain data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from connectors.channels.base import Loc
from engine.domain.edi import EdiPurchaseOrder, Envelope, PurchaseOrderLine

# The 850's SKU qualifiers, in the order they are taken (PO106/PO107, PO108/PO109, ...):
# the vendor's part number is ours, the buyer's SKU only when the vendor's is not sent.
SKU_QUALIFIERS = ("VP", "SK")
# Service level codes (TD512, X12 element 284) that name one of Ordo's levels exactly.
SERVICE_LEVELS: dict[str, str] = {
    "CG": "standard",  # ground
    "SG": "standard",  # standard ground
    "G2": "standard",  # standard service
    "SC": "two_day",  # second day air
    "SE": "two_day",  # second day
    "ND": "next_day",  # next day air
    "ON": "overnight",
    "SA": "same_day",
}
_PURPOSES = {
    "01": "cancellation",
    "04": "change",
    "05": "replace",
    "06": "confirmation",
    "07": "duplicate",
}
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_ENVELOPE = ("ISA", "GS", "ST", "SE", "GE", "IEA")

Scope = Literal["element", "segment", "set", "group"]


@dataclass(frozen=True, slots=True)
class Reads:
    """What one door takes: the functional group (GS01) and transaction set (ST01) it reads,
    and how a refusal names them. Any other group or set is kept, with the error."""

    functional_id: str
    kind: str
    groups: str
    sets: str


PURCHASE_ORDERS = Reads("PO", "850", "purchase orders (PO)", "850 purchase orders")
FUNCTIONAL_ACKNOWLEDGEMENTS = Reads(
    "FA", "997", "functional acknowledgements (FA)", "997 functional acknowledgements"
)


@dataclass(frozen=True, slots=True)
class Place:
    """Where something is in the interchange: the segment's number (ISA is 1), its id, and
    the element's position in it (None: the segment as a whole)."""

    segment: int
    tag: str
    element: int | None = None

    def __str__(self) -> str:
        where = f"segment {self.segment} ({self.tag})"
        return where if self.element is None else f"{where}, element {self.element:02d}"

    @property
    def ref(self) -> str:
        """`N4*03`, as EDI guides name an element."""
        return self.tag if self.element is None else f"{self.tag}*{self.element:02d}"


@dataclass(frozen=True, slots=True)
class EdiError:
    """One thing wrong at `place`. `scope` says where the 997 reports it and `code` is its
    code there: an element's (AK403), a segment's (AK304), a transaction set's (AK502) or a
    functional group's (AK905). `value` is the element as received (AK404)."""

    place: Place
    message: str
    scope: Scope = "element"
    code: str = "7"
    value: str = ""

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


class X12Error(Exception):
    """The interchange's envelope cannot be read: nothing in it can be acknowledged."""

    def __init__(self, place: Place, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.place = place
        self.message = message


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    segment: str


@dataclass(frozen=True, slots=True)
class Segment:
    position: int
    tag: str
    elements: tuple[str, ...]

    def get(self, index: int) -> str:
        """Element `index` (1-based, as `PO102`), stripped; "" when not sent."""
        return self.elements[index - 1].strip() if index <= len(self.elements) else ""

    def at(self, element: int | None = None) -> Place:
        return Place(self.position, self.tag, element)


@dataclass(frozen=True, slots=True)
class TransactionSet:
    kind: str
    control_number: str
    segments: tuple[Segment, ...]
    errors: tuple[EdiError, ...] = ()

    def position_of(self, place: Place) -> int:
        """The segment's position counted from ST (1), as the 997's AK302 counts it."""
        return place.segment - self.segments[0].position + 1


@dataclass(frozen=True, slots=True)
class Group:
    header: Segment
    transaction_sets: tuple[TransactionSet, ...]
    included: int
    errors: tuple[EdiError, ...] = ()

    @property
    def functional_id(self) -> str:
        return self.header.get(1)

    @property
    def control_number(self) -> str:
        return self.header.get(6)


@dataclass(frozen=True, slots=True)
class Interchange:
    delimiters: Delimiters
    header: Segment
    groups: tuple[Group, ...]

    @property
    def control_number(self) -> str:
        return self.header.get(13)

    @property
    def envelope(self) -> Envelope:
        """Its sender, its receiver and how it is written (the first group's GS ids)."""
        isa, gs = self.header, self.groups[0].header
        return Envelope(
            partner_qualifier=isa.get(5), partner_id=isa.get(6),
            ordo_qualifier=isa.get(7), ordo_id=isa.get(8),
            partner_application=gs.get(2), ordo_application=gs.get(3),
            standards=isa.get(11), version=isa.get(12), usage=isa.get(15), release=gs.get(8),
            element=self.delimiters.element, component=self.delimiters.component,
            segment=self.delimiters.segment,
        )  # fmt: skip


def parse(text: str, reads: Reads | Sequence[Reads] = PURCHASE_ORDERS) -> Interchange:
    """The interchange in `text`, or `X12Error` naming the first segment that cannot be read.
    `reads` names what the door takes, one kind or several (each group is read by the one
    its GS01 names); a group none of them takes, or a set other than its group's reader
    reads, is kept with an error saying so."""
    readers = (reads,) if isinstance(reads, Reads) else tuple(reads)
    text = text.lstrip("\ufeff \t\r\n")
    delimiters = _delimiters(text)
    segments = list(_segments(text, delimiters))
    isa = segments[0]
    if len(isa.elements) != 16:
        raise X12Error(isa.at(), f"has {len(isa.elements)} elements; an ISA has 16")
    for index in (6, 8, 13):
        if not isa.get(index):
            raise X12Error(isa.at(index), "is empty")
    if not (isa.get(13).isdigit() and len(isa.get(13)) == 9):
        raise X12Error(isa.at(13), f"control number {isa.get(13)!r} is not 9 digits")
    groups: list[Group] = []
    index = 1
    while index < len(segments) and segments[index].tag == "GS":
        group, index = _group(segments, index, readers)
        groups.append(group)
    if index >= len(segments):
        raise X12Error(segments[-1].at(), "the interchange ends without its IEA trailer")
    iea = segments[index]
    if iea.tag != "IEA":
        raise X12Error(
            iea.at(),
            "is outside any functional group: after ISA or GE, a GS or the IEA trailer comes next",
        )
    if index + 1 < len(segments):
        raise X12Error(
            segments[index + 1].at(), "follows the IEA trailer: send one interchange per request"
        )
    if iea.get(2) != isa.get(13):
        raise X12Error(
            iea.at(2),
            f"interchange control number {iea.get(2)!r} does not match ISA13 {isa.get(13)!r}",
        )
    if iea.get(1) != str(len(groups)):
        raise X12Error(
            iea.at(1), f"says {iea.get(1)!r} functional groups; the interchange has {len(groups)}"
        )
    if not groups:
        raise X12Error(iea.at(), "the interchange holds no functional group (GS ... GE)")
    return Interchange(delimiters, isa, tuple(groups))


def by_kind(
    interchange: Interchange, readers: Sequence[Reads], others: Reads
) -> dict[Reads, tuple[Group, ...]]:
    """The interchange's groups by the reader of their kind (GS01), every reader of
    `readers` present and in its order, which is the order a door takes them in; a group
    none of them reads goes with `others`, the door's own kind, to be refused there."""
    kinds = {reader.functional_id: reader for reader in readers}
    split: dict[Reads, list[Group]] = {reader: [] for reader in readers}
    for group in interchange.groups:
        split.setdefault(kinds.get(group.functional_id, others), []).append(group)
    return {reader: tuple(groups) for reader, groups in split.items()}


def _delimiters(text: str) -> Delimiters:
    """The 4th character separates elements; the one after the 16th separator is ISA16, the
    component separator; the next one ends the segment."""
    where = Place(1, "ISA")
    if not text.startswith("ISA") or len(text) < 4:
        raise X12Error(
            where,
            "the body does not start with an ISA segment; send one X12 interchange (ISA ... IEA)",
        )
    element = text[3]
    starts = [i for i, c in enumerate(text[:200]) if c == element][:16]
    if len(starts) < 16 or len(text) < starts[15] + 3:
        raise X12Error(where, "ends before ISA16 and the segment terminator after it")
    component, segment = text[starts[15] + 1], text[starts[15] + 2]
    if element.isalnum() or segment.isalnum() or component.isalnum():
        raise X12Error(
            where,
            f"the delimiters read from it ({element!r}, {component!r}, "
            f"{segment!r}) include a letter or digit",
        )
    if len({element, component, segment}) < 3:
        raise X12Error(
            where,
            f"the element separator {element!r}, component separator "
            f"{component!r} and segment terminator {segment!r} must differ",
        )
    return Delimiters(element, component, segment)


def _segments(text: str, delimiters: Delimiters) -> Iterator[Segment]:
    pieces = text.split(delimiters.segment)
    # A line break after each terminator is common and is not part of the data.
    pieces = [piece.strip("\r\n") for piece in pieces]
    while pieces and not pieces[-1].strip():
        pieces.pop()
    for number, piece in enumerate(pieces, start=1):
        if not piece.strip():
            raise X12Error(
                Place(number, "?"),
                f"is empty: two segment terminators {delimiters.segment!r} in a row",
            )
        tag, *elements = piece.split(delimiters.element)
        yield Segment(number, tag, tuple(elements))


def _group(
    segments: Sequence[Segment], index: int, readers: tuple[Reads, ...]
) -> tuple[Group, int]:
    """The group whose GS is at `index`, and the index after its GE."""
    gs = segments[index]
    for element in (1, 2, 3, 6):
        if not gs.get(element):
            raise X12Error(gs.at(element), "is empty")
    reader = next((r for r in readers if r.functional_id == gs.get(1)), None)
    # The sets of a group no reader takes are named against every kind the door reads: the
    # group's own refusal is what the 997 says of them.
    takes = readers if reader is None else (reader,)
    sets: list[TransactionSet] = []
    index += 1
    while index < len(segments) and segments[index].tag == "ST":
        tset, index = _transaction_set(segments, index, takes)
        sets.append(tset)
    if index >= len(segments) or segments[index].tag in ("GS", "IEA"):
        at = segments[min(index, len(segments) - 1)]
        raise X12Error(gs.at(), f"has no GE trailer before {at.at()}")
    ge = segments[index]
    if ge.tag != "GE":
        said = "is outside any transaction set: after GS or SE, an ST or the GE trailer comes next"
        raise X12Error(ge.at(), said)
    errors: list[EdiError] = []
    if reader is None:
        said = f"functional group {gs.get(1)!r} is not taken: Ordo reads "
        said += " or ".join(r.groups for r in readers)
        errors.append(EdiError(gs.at(1), said, "group", "1"))
    if ge.get(2) != gs.get(6):
        said = f"group control number {ge.get(2)!r} does not match GS06 {gs.get(6)!r}"
        errors.append(EdiError(ge.at(2), said, "group", "4"))
    if ge.get(1) != str(len(sets)):
        said = f"says {ge.get(1)!r} transaction sets; the group has {len(sets)}"
        errors.append(EdiError(ge.at(1), said, "group", "5"))
    included = int(ge.get(1)) if ge.get(1).isdigit() else len(sets)
    return Group(gs, tuple(sets), included, tuple(errors)), index + 1


def _transaction_set(
    segments: Sequence[Segment], index: int, takes: tuple[Reads, ...]
) -> tuple[TransactionSet, int]:
    """The transaction set whose ST is at `index`, and the index after it. One without its
    SE ends where the next envelope segment begins."""
    st = segments[index]
    if not st.get(2):
        raise X12Error(st.at(2), "transaction set control number is empty")
    end = index + 1
    while end < len(segments) and segments[end].tag not in _ENVELOPE:
        end += 1
    errors: list[EdiError] = []
    if end < len(segments) and segments[end].tag == "SE":
        se = segments[end]
        body = tuple(segments[index : end + 1])
        end += 1
        if se.get(2) != st.get(2):
            said = f"transaction set control number {se.get(2)!r} does not match ST02 {st.get(2)!r}"
            errors.append(EdiError(se.at(2), said, "set", "3"))
        if se.get(1) != str(len(body)):
            said = f"says {se.get(1)!r} segments; the set has {len(body)}, ST and SE included"
            errors.append(EdiError(se.at(1), said, "set", "4"))
    else:
        body = tuple(segments[index:end])
        errors.append(EdiError(st.at(), "has no SE trailer", "set", "2"))
    if st.get(1) not in {reads.kind for reads in takes}:
        said = f"transaction set {st.get(1)!r} is not taken: Ordo reads "
        said += " or ".join(reads.sets for reads in takes)
        errors.append(EdiError(st.at(1), said, "set", "1"))
    return TransactionSet(st.get(1), st.get(2), body, tuple(errors)), end


# --- the 850 ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    """An 850 as Ordo's order body (without `channel`, which is the caller's), with the place
    each body field came from (`sources`) and what was read with a reservation (`notes`:
    the 997 accepts the order with errors noted)."""

    body: dict[str, Any]
    sources: dict[Loc, Place] = field(default_factory=dict)
    notes: tuple[EdiError, ...] = ()
    # What the order does not keep, for the 855 and 856 (`kept`): BEG05, N103/N104 of the
    # ship-to, and each PO1 mapped, as sent.
    po_date: str = ""
    ship_to_id: tuple[str, str] = ("", "")
    lines_sent: tuple[PurchaseOrderLine, ...] = ()

    def source_of(self, loc: Sequence[str | int]) -> Place | None:
        """The place behind the body field at `loc`: the deepest mapped field holding it."""
        for end in range(len(loc), 0, -1):
            found = self.sources.get(tuple(loc[:end]))
            if found is not None:
                return found
        return None


class PurchaseOrderError(Exception):
    """The 850 cannot be mapped: every element at fault, and what did map (`partial`)."""

    def __init__(self, errors: Sequence[EdiError], partial: PurchaseOrder) -> None:
        self.errors = tuple(errors)
        self.partial = partial
        super().__init__("; ".join(str(error) for error in self.errors))


def purchase_order(interchange: Interchange, tset: TransactionSet) -> PurchaseOrder:
    """The 850 `tset` as an order body, or `PurchaseOrderError`."""
    mapping = _Mapping(interchange, tset)
    mapping.read()
    mapped = PurchaseOrder(
        mapping.body, mapping.sources, tuple(mapping.notes),
        mapping.po_date, mapping.ship_to_id, tuple(mapping.lines_sent),
    )  # fmt: skip
    if mapping.errors:
        raise PurchaseOrderError(mapping.errors, mapped)
    return mapped


def kept(
    interchange: Interchange, mapped: PurchaseOrder, channel: str, at: datetime
) -> EdiPurchaseOrder:
    """What Ordo keeps of the 850 `mapped`, filed under `channel` at `at`, for the 856s that
    answer it: the partner's envelope, the PO date and ship-to id, and each line as sent."""
    qualifier, code = mapped.ship_to_id
    return EdiPurchaseOrder(
        channel=channel, po_number=str(mapped.body["channel_order_id"]),
        envelope=interchange.envelope, lines=mapped.lines_sent, received_at=at,
        po_date=mapped.po_date, ship_to_qualifier=qualifier, ship_to_code=code,
    )  # fmt: skip


class _Mapping:
    """One 850's translation: the body so far, its sources, every error and every note."""

    def __init__(self, interchange: Interchange, tset: TransactionSet) -> None:
        self.interchange = interchange
        self.tset = tset
        self.body: dict[str, Any] = {}
        self.sources: dict[Loc, Place] = {}
        self.errors: list[EdiError] = []
        self.notes: list[EdiError] = []
        self.po_date = ""
        self.ship_to_id = ("", "")
        self.lines_sent: list[PurchaseOrderLine] = []

    def put(self, target: Loc, value: Any, source: Place) -> None:
        """Set the body's field at `target` (its parents exist) from the element at `source`."""
        parent: Any = self.body
        for part in target[:-1]:
            parent = parent[part]
        parent[target[-1]] = value
        self.sources[target] = source

    def fail(self, place: Place, message: str, code: str = "7", value: str = "") -> None:
        """An element that cannot be taken; `code` is its AK403 (7: invalid code value)."""
        self.errors.append(EdiError(place, message, "element", code, value))

    def fail_segment(self, place: Place, message: str, code: str) -> None:
        """A segment missing or at fault as a whole; `code` is its AK304."""
        self.errors.append(EdiError(place, message, "segment", code))

    def read(self) -> None:
        st = self.tset.segments[0]
        ship_to: Segment | None = None
        buyer: Segment | None = None
        loop = ""  # the N101 of the N1 loop the segments are in; "" outside one
        lines: list[Segment] = []
        for segment in self.tset.segments[1:]:
            tag = segment.tag
            if not _SEGMENT_ID.fullmatch(tag):
                self.fail_segment(segment.at(), f"{tag!r} is not a segment id", "1")
            elif tag == "BEG":
                self.beg(segment)
            elif tag == "CUR" and segment.get(2):
                self.put(("currency",), segment.get(2), segment.at(2))
            elif tag == "PER":
                self.email(segment)
            elif tag == "DTM" and segment.get(1) == "002":
                self.requested_date(segment)
            elif tag == "TD5" and segment.get(12) and "service_level" not in self.body:
                self.service_level(segment)
            elif tag == "N1":
                loop = segment.get(1)
                if loop == "ST" and ship_to is not None:
                    said = f"a second ship-to (the first is {ship_to.at()}): Ordo ships an order "
                    self.fail(segment.at(1), said + "to one address; send one 850 per ship-to")
                elif loop == "ST":
                    ship_to = segment
                    self.ship_to_id = (segment.get(3), segment.get(4))
                    self.put(("ship_to",), {"name": segment.get(2)}, segment.at())
                    self.sources[("ship_to", "name")] = segment.at(2)
                elif loop == "BY" and buyer is None:
                    buyer = segment
            elif tag in ("N2", "N3", "N4") and loop == "ST" and ship_to is not None:
                self.address(segment)
            elif tag == "PO1":
                loop = ""
                lines.append(segment)
            elif tag == "CTT" and segment.get(1) != str(len(lines)):
                said = f"says {segment.get(1)!r} line items; the set has {len(lines)} PO1 segments"
                self.fail(segment.at(1), said, value=segment.get(1))
        self.ends(st, ship_to, buyer, lines)

    def ends(
        self, st: Segment, ship_to: Segment | None, buyer: Segment | None, lines: list[Segment]
    ) -> None:
        """What the whole set must hold, once it has been read."""
        if not any(segment.tag == "BEG" for segment in self.tset.segments):
            self.fail_segment(st.at(), "has no BEG segment (BEG03: the purchase order number)", "3")
        if buyer is not None and buyer.get(4):
            self.put(("customer_id",), buyer.get(4), buyer.at(4))
        else:
            isa = self.interchange.header
            self.put(("customer_id",), isa.get(6), isa.at(6))
        if ship_to is None:
            said = "has no ship-to: an N1 segment with N101 'ST', followed by its N3 and N4"
            self.fail_segment(st.at(), said, "3")
        elif "postal_code" not in self.body["ship_to"] and not any(
            error.place.tag == "N4" for error in self.errors
        ):
            said = "the ship-to has no N4 segment: Ordo needs its postal code (N403)"
            self.fail_segment(ship_to.at(), said, "3")
        if not lines:
            self.fail_segment(st.at(), "has no PO1 segment: a purchase order needs a line", "3")
            return
        self.put(("lines",), [], lines[0].at())
        for segment in lines:
            self.line(segment)

    def beg(self, segment: Segment) -> None:
        purpose = segment.get(1)
        if purpose != "00":
            said = f" ({_PURPOSES[purpose]})" if purpose in _PURPOSES else ""
            said = f"purpose {purpose!r}{said} is not taken: Ordo reads original purchase "
            said += "orders (00) only; cancel or change an order through Ordo's API"
            self.fail(segment.at(1), said, value=purpose)
        if not segment.get(3):
            self.fail(segment.at(3), "the purchase order number is empty", "1")
        else:
            self.put(("channel_order_id",), segment.get(3), segment.at(3))
        self.po_date = segment.get(5)

    def email(self, segment: Segment) -> None:
        for qualifier in (3, 5, 7):
            if segment.get(qualifier) == "EM" and "email" not in self.body:
                self.put(("email",), segment.get(qualifier + 1), segment.at(qualifier + 1))

    def requested_date(self, segment: Segment) -> None:
        text = segment.get(2)
        try:
            day = date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
        except ValueError:
            day = None
        if day is None:
            said = f"requested delivery date {text!r} is not a date written CCYYMMDD"
            self.fail(segment.at(2), said, "8", text)
        else:
            self.put(("requested_date",), day.isoformat(), segment.at(2))

    def service_level(self, segment: Segment) -> None:
        code = segment.get(12)
        level = SERVICE_LEVELS.get(code)
        if level is not None:
            self.put(("service_level",), level, segment.at(12))
            return
        said = f"service level code {code!r} names no Ordo service level (Ordo reads "
        said += f"{', '.join(sorted(SERVICE_LEVELS))}): the order is filed as standard"
        self.notes.append(EdiError(segment.at(12), said, "element", "7", code))

    def address(self, segment: Segment) -> None:
        ship_to = self.body["ship_to"]
        if segment.tag == "N2":
            names = [ship_to["name"], segment.get(1), segment.get(2)]
            ship_to["name"] = ", ".join(name for name in names if name)
        elif segment.tag == "N3":
            parts = [ship_to.get("line1", ""), segment.get(1), segment.get(2)]
            self.put(("ship_to", "line1"), ", ".join(p for p in parts if p), segment.at(1))
        elif not segment.get(3):
            self.fail(segment.at(3), "the ship-to's postal code is empty", "1")
        else:
            for element, key in ((1, "city"), (2, "state"), (3, "postal_code"), (4, "country")):
                if segment.get(element):
                    self.put(("ship_to", key), segment.get(element), segment.at(element))

    def line(self, segment: Segment) -> None:
        failed = len(self.errors)
        unit, quantity, price = segment.get(3), segment.get(2), segment.get(4)
        if unit != "EA":
            said = f"unit {unit!r} is not taken: Ordo orders whole units, each (EA)"
            self.fail(segment.at(3), said, value=unit)
        units = _number(quantity)
        if units is None:
            self.fail(segment.at(2), f"quantity {quantity!r} is not a number", "6", quantity)
        elif units != units.to_integral_value():
            said = f"quantity {quantity!r} is not a whole number of units"
            self.fail(segment.at(2), said, "6", quantity)
        if price and _number(price) is None:
            self.fail(segment.at(4), f"unit price {price!r} is not a number", "6", price)
        sku = self.sku(segment)
        if len(self.errors) > failed or units is None or sku is None:
            return
        where: Loc = ("lines", len(self.body["lines"]))
        self.body["lines"].append({})
        self.sources[where] = segment.at()
        if segment.get(1):
            self.put((*where, "line_id"), segment.get(1), segment.at(1))
        self.put((*where, "sku"), *sku)
        self.put((*where, "quantity"), int(units), segment.at(2))
        if price:
            self.put((*where, "price"), price, segment.at(4))
        sent = tuple((code, value) for code, value, _ in _product_ids(segment))
        self.lines_sent.append(
            PurchaseOrderLine(segment.get(1), sku[0], sent, unit, int(units), price)
        )

    def sku(self, segment: Segment) -> tuple[str, Place] | None:
        """The first VP of the qualifier pairs (PO106/PO107, PO108/PO109, ...), else the
        first SK."""
        found: dict[str, tuple[str, Place]] = {}
        for code, value, position in _product_ids(segment):
            if code in SKU_QUALIFIERS:
                found.setdefault(code, (value, segment.at(position)))
        for code in SKU_QUALIFIERS:
            if code in found:
                return found[code]
        said = "names no SKU: send the vendor's part number (qualifier VP) or the SKU (SK) in "
        self.fail_segment(segment.at(), said + "PO106/PO107 or a later pair", "8")
        return None


def _product_ids(segment: Segment) -> list[tuple[str, str, int]]:
    """A PO1's product ids (PO106/PO107, PO108/PO109, ...): each qualifier sent with an id,
    the id, and the id's position."""
    return [
        (segment.get(q), segment.get(q + 1), q + 1)
        for q in range(6, len(segment.elements), 2)
        if segment.get(q) and segment.get(q + 1)
    ]


def _number(text: str) -> Decimal | None:
    """An X12 decimal (`2`, `2.50`, `.5`), or None when `text` is not one."""
    return Decimal(text) if _NUMBER.fullmatch(text) else None
