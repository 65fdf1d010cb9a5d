"""What Ordo writes to a trading partner in ANSI X12: the 997 that acknowledges their
interchange of 850s, the 855 that says which lines of a purchase order Ordo takes, and the
856 advance ship notice of a shipment of their order; and an erasure's redaction of what
was written (`redacted`).

Each goes back in an interchange of Ordo's own (`interchange_to`): the ends of the partner's
envelope swapped, their version and delimiters, a control number the caller takes from the
partner's counter (engine.domain.edi). Each writer is a plain function over plain data; the
text it returns reads back through `x12.parse`. docs/edi.md shows them as a partner sees them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import astuple, dataclass
from datetime import datetime

from connectors.channels.x12 import (
    Delimiters,
    EdiError,
    Group,
    Interchange,
    Segment,
    TransactionSet,
    parse,
)
from engine.domain.edi import MOST_CONTROL_NUMBER, Envelope

# --- the 997 ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one transaction set: accepted (an order, or one Ordo already had) or
    not, and the errors behind a rejection or noted on an acceptance."""

    tset: TransactionSet
    accepted: bool
    errors: tuple[EdiError, ...] = ()

    @property
    def code(self) -> str:
        """AK501: A accepted, E accepted with errors noted, R rejected."""
        if not self.accepted:
            return "R"
        return "E" if self.errors else "A"


def acknowledgement(
    interchange: Interchange, outcomes: Sequence[Outcome], *, control_number: int, at: datetime
) -> str:
    """The 997 for `interchange`: one per functional group, in an interchange of its own
    from the receiver back to the sender, in the delimiters it came in. `control_number`
    (1 to 999999999) numbers the new interchange and its group."""
    by_set = {id(outcome.tset): outcome for outcome in outcomes}
    sets = [
        transaction_set("997", number, _group_acknowledgement(group, by_set))
        for number, group in enumerate(interchange.groups, start=1)
    ]
    return interchange_to(interchange.envelope, "FA", sets, control_number=control_number, at=at)


def transaction_set(kind: str, number: int, body: Sequence[Sequence[str]]) -> list[list[str]]:
    """ST, `body`, SE: SE01 counts the set's segments, ST and SE included."""
    control = f"{number:04d}"
    return [["ST", kind, control], *map(list, body), ["SE", str(len(body) + 2), control]]


def interchange_to(
    envelope: Envelope,
    functional_id: str,
    sets: Sequence[Sequence[Sequence[str]]],
    *,
    control_number: int,
    at: datetime,
) -> str:
    """Transaction sets (each ST ... SE) in one functional group (GS01 `functional_id`) of an
    interchange from Ordo back to the partner of `envelope`: the two ends of the partner's
    ISA (ISA05-08) and GS (GS02, GS03) swapped, ISA11, ISA12, ISA15 and GS08 as the partner
    sent them, in the partner's delimiters, at `at` (UTC). `control_number` (1 to
    999999999) is ISA13 and GS06; ISA14 asks for no TA1."""
    if not 0 < control_number <= MOST_CONTROL_NUMBER:
        raise ValueError(f"control_number must be 1 to 999999999, got {control_number}")
    e = envelope
    day, time, control = at.strftime("%y%m%d"), at.strftime("%H%M"), f"{control_number:09d}"
    isa = ["ISA", "00", " " * 10, "00", " " * 10, e.ordo_qualifier, e.ordo_id.ljust(15),
           e.partner_qualifier, e.partner_id.ljust(15), day, time, e.standards, e.version,
           control, "0", e.usage, e.component]  # fmt: skip
    gs = ["GS", functional_id, e.ordo_application, e.partner_application,
          at.strftime("%Y%m%d"), time, str(control_number), "X", e.release]  # fmt: skip
    ge = ["GE", str(len(sets)), str(control_number)]
    iea = ["IEA", "1", control]
    segments = [isa, gs, *(segment for tset in sets for segment in tset), ge, iea]
    return _write(segments, Delimiters(e.element, e.component, e.segment))


def _group_acknowledgement(group: Group, by_set: dict[int, Outcome]) -> list[list[str]]:
    segments = [["AK1", group.functional_id, group.control_number]]
    received = len(group.transaction_sets)
    if group.errors:
        notes = [error.code for error in group.errors][:5]
        return [*segments, ["AK9", "R", str(group.included), str(received), "0", *notes]]
    accepted = 0
    noted = False
    for tset in group.transaction_sets:
        outcome = by_set.get(id(tset)) or Outcome(tset, False)
        accepted += outcome.accepted
        noted = noted or outcome.code == "E"
        segments.append(["AK2", tset.kind, tset.control_number])
        segments.extend(_error_notes(tset, outcome.errors))
        set_codes = [e.code for e in outcome.errors if e.scope == "set"][:5]
        # A rejection with nothing to say at set level says "one or more segments in error".
        segments.append(["AK5", outcome.code, *(set_codes or ["5"] * (outcome.code == "R"))])
    if accepted == received and received:
        code = "E" if noted else "A"
    else:
        code = "P" if accepted else "R"
    return [*segments, ["AK9", code, str(group.included), str(received), str(accepted)]]


def _error_notes(tset: TransactionSet, errors: Sequence[EdiError]) -> list[list[str]]:
    """AK3 per segment in error and AK4 per element in error under it."""
    notes: list[list[str]] = []
    by_segment: dict[int, list[EdiError]] = {}
    for error in errors:
        if error.scope in ("element", "segment") and error.place.tag != "ISA":
            by_segment.setdefault(error.place.segment, []).append(error)
    for _, found in sorted(by_segment.items()):
        place = found[0].place
        code = next((e.code for e in found if e.scope == "segment"), "8")
        notes.append(["AK3", place.tag, str(tset.position_of(place)), "", code])
        for error in found:
            if error.scope == "element" and error.place.element is not None:
                notes.append(["AK4", str(error.place.element), "", error.code, error.value[:99]])
    return notes


def _write(segments: Sequence[Sequence[str]], delimiters: Delimiters) -> str:
    """Segments as X12 text; trailing empty elements are left out, as X12 asks. A delimiter
    inside a value (a name with `*` in it) would split it: it is written as a space."""
    clean = str.maketrans(dict.fromkeys(astuple(delimiters), " "))
    out = []
    for elements in segments:
        items = list(elements)
        while len(items) > 1 and items[0] != "ISA" and items[-1] == "":
            items.pop()
        # ISA16 is the component separator itself.
        kept = items[-1:] if items[0] == "ISA" else []
        values = [item.translate(clean) for item in items[: len(items) - len(kept)]]
        out.append(delimiters.element.join([*values, *kept]) + delimiters.segment)
    return "".join(out)


# --- the 856 ----------------------------------------------------------------------------------

# TD503 names the carrier by its SCAC: two to four capital letters or digits.
_SCAC = re.compile(r"[A-Z0-9]{2,4}")


@dataclass(frozen=True, slots=True)
class Party:
    """An N1 loop: a name, an id code and its qualifier (N103, N104), and an address."""

    name: str
    id_qualifier: str = ""
    id_code: str = ""
    line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass(frozen=True, slots=True)
class ShippedItem:
    """One line of the shipment as the partner ordered it: their line number (PO101, "" when
    they sent none), their product ids (qualifier, id) and the units shipped."""

    line_number: str
    product_ids: tuple[tuple[str, str], ...]
    quantity: int
    unit: str = "EA"


@dataclass(frozen=True, slots=True)
class ShippedPack:
    """One carton of a packed shipment: its tracking number ("" when it has none), its gross
    weight in kg and the lines' units inside it."""

    tracking_number: str
    weight_kg: float
    items: tuple[ShippedItem, ...]


@dataclass(frozen=True, slots=True)
class ShipNotice:
    """What an 856 says of one shipment of one purchase order: its lines (`items`) and,
    for a shipment packed into boxes, its cartons (`packs`), which hold those lines' units."""

    shipment_id: str
    po_number: str
    po_date: str  # CCYYMMDD, "" when the 850 had no BEG05
    shipped_at: datetime
    carrier_code: str
    carrier_name: str
    tracking_number: str
    ship_from: Party
    ship_to: Party
    items: tuple[ShippedItem, ...]
    packs: tuple[ShippedPack, ...] = ()


def ship_notice(
    envelope: Envelope, notice: ShipNotice, *, control_number: int, at: datetime
) -> str:
    """The 856 for `notice` (X12 004010), alone in an `SH` group of an interchange to the
    partner of `envelope`: BSN, then the shipment level (HL S: TD1, TD5, REF*CN, DTM*011,
    N1*SF and N1*ST with their N3 and N4), the order level (HL O: PRF, the PO number and
    date) and one item level per line (HL I: LIN with the partner's line number and product
    ids, SN1 with the units shipped), then CTT (the HL segments, the units). A packed
    shipment (`packs`) has a pack level per carton between the order and its items (HL P:
    MAN*CP, the carton's tracking number), and TD1 counts the cartons and their gross
    weight. Values longer than their element allows are cut to fit."""
    shipped = notice.shipped_at
    body: list[list[str]] = [
        ["BSN", "00", _fit(notice.shipment_id, 30), shipped.strftime("%Y%m%d"),
         shipped.strftime("%H%M"), _PACKED if notice.packs else _UNPACKED],
        ["HL", "1", "", "S"],
        _lading(notice),
        _carrier(notice),
        ["REF", "CN", _fit(notice.tracking_number, 30)],
        ["DTM", "011", shipped.strftime("%Y%m%d"), shipped.strftime("%H%M"), "UT"],
        *_party("SF", notice.ship_from),
        *_party("ST", notice.ship_to),
        ["HL", "2", "1", "O"],
        ["PRF", _fit(notice.po_number, 22), "", "", notice.po_date],
    ]  # fmt: skip
    levels = 2
    if not notice.packs:
        for item in notice.items:
            levels += 1
            body += _item_level(levels, 2, item)
    for pack in notice.packs:
        levels += 1
        parent = levels
        body.append(["HL", str(parent), "2", "P"])
        if pack.tracking_number:
            # CP: the carrier's id for the package (GM would be an SSCC-18, which Ordo has not).
            body.append(["MAN", "CP", _fit(pack.tracking_number, 48)])
        for item in pack.items:
            levels += 1
            body += _item_level(levels, parent, item)
    units = sum(item.quantity for item in notice.items)
    body.append(["CTT", str(levels), str(units)])
    sets = [transaction_set("856", 1, body)]
    return interchange_to(envelope, "SH", sets, control_number=control_number, at=at)


# BSN05, the levels the 856 has: shipment, order, pack (carton) and item ("SOPI"), or
# shipment, order and item for a shipment not packed.
_PACKED, _UNPACKED = "0001", "0004"


def _item_level(number: int, parent: int, item: ShippedItem) -> list[list[str]]:
    """HL I under its order (or carton): LIN with the partner's line number and ids, SN1."""
    ids = [part for pair in item.product_ids for part in (pair[0], _fit(pair[1], 48))]
    return [
        ["HL", str(number), str(parent), "I"],
        ["LIN", _fit(item.line_number, 20), *ids],
        ["SN1", _fit(item.line_number, 20), str(item.quantity), item.unit],
    ]


def _lading(notice: ShipNotice) -> list[str]:
    """TD1: how many cartons (CTN25) and, for a packed shipment, their gross weight in kg.
    A shipment not packed is one carton under one tracking number, its weight not known."""
    if not notice.packs:
        return ["TD1", "CTN25", "1"]
    weight = f"{sum(pack.weight_kg for pack in notice.packs):.3f}".rstrip("0").rstrip(".")
    return ["TD1", "CTN25", str(len(notice.packs)), "", "", "", "G", weight, "KG"]


def _carrier(notice: ShipNotice) -> list[str]:
    """TD5: the carrier by its SCAC (TD502 `2`) and its name; a code that is no SCAC goes
    into the name alone."""
    name = _fit(notice.carrier_name or notice.carrier_code, 35)
    if _SCAC.fullmatch(notice.carrier_code):
        return ["TD5", "B", "2", notice.carrier_code, "", name]
    return ["TD5", "B", "", "", "", name]


def _party(role: str, party: Party) -> list[list[str]]:
    """N1 (with N103/N104 when there is a code), N3 when there is a street, N4."""
    n1 = ["N1", role, _fit(party.name, 60)]
    if party.id_qualifier and party.id_code:
        n1 += [party.id_qualifier, _fit(party.id_code, 80)]
    segments = [n1]
    if party.line1:
        segments.append(["N3", _fit(party.line1, 55)])
    segments.append(["N4", _fit(party.city, 30), party.state[:2],
                     _fit(party.postal_code, 15), party.country[:3]])  # fmt: skip
    return segments


def _fit(value: str, most: int) -> str:
    return value.strip()[:most]


# --- the 855 ----------------------------------------------------------------------------------

# ACK01, what became of a line's units: accepted as sent, accepted with the quantity changed
# (the order's line was changed since), backordered (waiting for stock), rejected; and, in a
# change 855, deleted (accepted before, cancelled or removed since).
ACCEPTED, QUANTITY_CHANGED, BACKORDERED, REJECTED = "IA", "IQ", "IB", "IR"
DELETED = "ID"
# ACK01s of units the order takes now (allocated or shipped), as sent or with its quantity
# changed.
TAKEN = frozenset({ACCEPTED, QUANTITY_CHANGED})
# ACK01s of units the order no longer places.
REFUSED = frozenset({REJECTED, DELETED})
# BAK02: acknowledged with detail, no change; with detail and change; rejected with detail
# (every line refused: Ordo's 855 always lists its lines, so never RJ, "no detail").
NO_CHANGE, WITH_CHANGE, REJECTED_WHOLE = "AD", "AC", "RD"
# BAK01: the order's first 855; a later one, saying what changed since.
ORIGINAL, CHANGE = "00", "04"
# ACK04: the date in ACK05 is the current schedule ship date of the ACK's units.
SCHEDULED_SHIP = "068"


@dataclass(frozen=True, slots=True)
class AcknowledgedLine:
    """One PO1 as the partner sent it (their line number, quantity, unit, unit price as
    written, product ids) and what became of its units: (ACK01, units) pairs, in the
    partner's units (kits, not their components)."""

    line_number: str
    quantity: int
    unit: str
    price: str
    product_ids: tuple[tuple[str, str], ...]
    statuses: tuple[tuple[str, int], ...]
    # CCYYMMDD: the day its backordered (IB) units are promised to ship; "" when Ordo has no
    # promise for them, or none waits.
    ship_date: str = ""
    # CCYYMMDD: the day its accepted (IA, IQ) units are planned to ship, the last of their
    # shipments' planned days; "" when one of those shipments has none, or none is accepted.
    planned_ship_date: str = ""


@dataclass(frozen=True, slots=True)
class PurchaseOrderAcknowledgement:
    """What an 855 says of one purchase order: Ordo's order id for it, where it ships
    (`ship_to`: None when it has neither a name nor an id to say), and each PO1's fate;
    `purpose` (BAK01) says whether it is the first (ORIGINAL) or a CHANGE."""

    po_number: str
    po_date: str  # CCYYMMDD
    order_id: str
    ship_to: Party | None
    lines: tuple[AcknowledgedLine, ...]
    purpose: str = ORIGINAL

    @property
    def acknowledgement_type(self) -> str:
        """BAK02: RD when every line is rejected (or deleted), AD when every line is
        accepted as sent, AC otherwise (some units backordered, rejected, deleted, or their
        quantity changed)."""
        if all(code in REFUSED for line in self.lines for code, _ in line.statuses):
            return REJECTED_WHOLE
        if all(line.statuses == ((ACCEPTED, line.quantity),) for line in self.lines):
            return NO_CHANGE
        return WITH_CHANGE


def po_acknowledgement(
    envelope: Envelope,
    acknowledgement: PurchaseOrderAcknowledgement,
    *,
    control_number: int,
    at: datetime,
) -> str:
    """The 855 for `acknowledgement` (X12 004010), alone in a `PR` group of an interchange to
    the partner of `envelope`: BAK (its purpose, `00` original or `04` change, the
    acknowledgement type, the PO number and date, Ordo's order id as BAK08, the date
    acknowledged as BAK09), the ship-to's N1 loop,
    then per PO1 sent, the PO1 echoed and one ACK per status of its units (ACK01, units,
    unit; with ACK04 `068` and ACK05 the backordered units' `ship_date`, the accepted
    units' `planned_ship_date`, when they have one), then CTT (the PO1 segments, their
    quantities). Values longer than their element allows are cut to fit."""
    ack = acknowledgement
    body: list[list[str]] = [
        ["BAK", ack.purpose, ack.acknowledgement_type, _fit(ack.po_number, 22), ack.po_date,
         "", "", "", _fit(ack.order_id, 30), at.strftime("%Y%m%d")],
    ]  # fmt: skip
    if ack.ship_to is not None:
        body += _party("ST", ack.ship_to)
    for line in ack.lines:
        ids = [part for pair in line.product_ids for part in (pair[0], _fit(pair[1], 48))]
        body.append(
            ["PO1", _fit(line.line_number, 20), str(line.quantity), line.unit, line.price, "",
             *ids]
        )  # fmt: skip
        body += [_ack(line, code, units) for code, units in line.statuses]
    body.append(["CTT", str(len(ack.lines)), str(sum(line.quantity for line in ack.lines))])
    sets = [transaction_set("855", 1, body)]
    return interchange_to(envelope, "PR", sets, control_number=control_number, at=at)


def _ack(line: AcknowledgedLine, code: str, units: int) -> list[str]:
    """One ACK of `line`: the backordered units' carries the day they are promised to ship,
    the accepted units' the day their shipments are planned to ship (ACK04 `068`, ACK05),
    when there is one; refused units none."""
    ack = ["ACK", code, str(units), line.unit]
    day = line.ship_date if code == BACKORDERED else ""
    day = line.planned_ship_date if code in TAKEN else day
    if day:
        ack += [SCHEDULED_SHIP, day]
    return ack


def acknowledged(
    document: str,
) -> tuple[tuple[tuple[tuple[str, int], ...], ...], tuple[tuple[str, str], ...]]:
    """What an 855 Ordo wrote said of each PO1, read once: its statuses
    (`acknowledged_statuses`) and its ship dates (`acknowledged_ship_dates`)."""
    acks = _acks_per_po1(document)
    return _statuses_of(acks), _ship_dates_of(acks)


def acknowledged_statuses(document: str) -> tuple[tuple[tuple[str, int], ...], ...]:
    """What an 855 Ordo wrote (`po_acknowledgement`) said of each PO1, in order: its ACKs'
    (ACK01, units). What a later 855 is compared with."""
    return _statuses_of(_acks_per_po1(document))


def acknowledged_ship_dates(document: str) -> tuple[tuple[str, str], ...]:
    """The ship dates (CCYYMMDD) an 855 Ordo wrote gave each PO1, in order, as (its accepted
    units' planned day, its backordered units' promised day): ACK05 of its ACK (`IA` or
    `IQ`; `IB`) with ACK04 `068`; "" for units given none (an 855 written before Ordo wrote
    that date, too)."""
    return _ship_dates_of(_acks_per_po1(document))


def _statuses_of(per_po1: Sequence[Sequence[Segment]]) -> tuple[tuple[tuple[str, int], ...], ...]:
    return tuple(
        tuple((ack.get(1), int(ack.get(2)) if ack.get(2).isdigit() else 0) for ack in acks)
        for acks in per_po1
    )


def _ship_dates_of(per_po1: Sequence[Sequence[Segment]]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (_ship_date_of(acks, TAKEN), _ship_date_of(acks, {BACKORDERED})) for acks in per_po1
    )


def _ship_date_of(acks: Sequence[Segment], codes: Collection[str]) -> str:
    dated = (ack.get(5) for ack in acks if ack.get(1) in codes and ack.get(4) == SCHEDULED_SHIP)
    return next(dated, "")


def _acks_per_po1(document: str) -> list[list[Segment]]:
    """The ACK segments under each PO1 of an 855 Ordo wrote, in order."""
    [group] = parse(document).groups
    said: list[list[Segment]] = []
    for segment in group.transaction_sets[0].segments:
        if segment.tag == "PO1":
            said.append([])
        elif segment.tag == "ACK" and said:
            said[-1].append(segment)
    return said


# --- erasure ----------------------------------------------------------------------------------

# The segments of the envelope: nothing of a person is in them.
_ENVELOPE_TAGS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


def redacted(document: str, erased: str, scrub: Callable[[str], str]) -> str:
    """`document` (an interchange Ordo wrote) with the ship-to taken out, for an erasure: in
    the N1 loop of the ship-to (`N1*ST` and its N2, N3, N4), the name (N102, N2) and the
    street (N3) become `erased`, and the id (N103, N104), the city and the state (N401,
    N402) are emptied; the postal code and the country stay, as they stay on an erased
    order. Every other element outside the envelope goes through `scrub` (a customer's name
    written elsewhere). The segments stay the same ones, so their counts (SE01, CTT) and the
    control numbers still hold and the document reads back through `x12.parse`."""
    delimiters = parse(document).delimiters
    pieces = document.split(delimiters.segment)
    if pieces and not pieces[-1].strip():
        pieces.pop()
    segments: list[list[str]] = []
    loop = ""
    for piece in pieces:
        tag, *elements = piece.split(delimiters.element)
        loop = elements[0].strip() if tag == "N1" and elements else loop
        if tag not in ("N1", "N2", "N3", "N4"):
            loop = ""
        if tag in _ENVELOPE_TAGS:
            segments.append([tag, *elements])
        elif loop == "ST":
            segments.append([tag, *_ship_to_erased(tag, elements, erased)])
        else:
            segments.append([tag, *map(scrub, elements)])
    return _write(segments, delimiters)


def _ship_to_erased(tag: str, elements: Sequence[str], erased: str) -> list[str]:
    """The elements of one segment of the ship-to's N1 loop, its person and door taken out."""
    blanked = {"N1": {1: erased, 2: "", 3: ""}, "N2": {0: erased, 1: erased},
               "N3": {0: erased, 1: erased}, "N4": {0: "", 1: ""}}[tag]  # fmt: skip
    kept = [
        blanked[index] if index in blanked and value.strip() else value
        for index, value in enumerate(elements)
    ]
    if tag == "N1":  # an N1 names its party by N102 or N103: with the id gone, the name stays
        kept[1:2] = [erased]
    return kept
