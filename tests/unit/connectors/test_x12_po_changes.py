"""The buyer's 860 purchase order change as Ordo reads it (its BCH and each POC, every element
at fault named by its place), and the 865 Ordo writes back, read segment by segment with the
connector's own parser: from Ordo to the partner in a CA group, BCA with the acknowledgement
type its lines add up to, each POC echoed with its ACK, CTT counting them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.channels import x12
from connectors.channels.x12_po_changes import (
    PO_CHANGES,
    LineAnswer,
    PoChangeAcknowledgement,
    PoChangeError,
    po_change,
    po_change_acknowledgement,
)

AT = datetime(2026, 11, 22, 9, 10, tzinfo=UTC)


def an_860(*body: str, group: str = "PC", kind: str = "860") -> str:
    segments = [
        "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261122*0905*U"
        "*00401*000000906*0*T*>",
        f"GS*{group}*BUYERCO*ORDO*20261122*0905*906*X*004010",
        f"ST*{kind}*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*906",
        "IEA*1*000000906",
    ]
    return "~\n".join(segments) + "~\n"


CHANGE = an_860(
    "BCH*04*SA*PO-1001**3*20261121",
    "POC*1*DI*0**EA*59.90**VP*SHOE-42",
    "POC*2*QD*1*1*EA*4.50**BP*B-77*SK*SOCK-M",
    "CTT*2",
)


def read(text: str) -> x12.TransactionSet:
    interchange = x12.parse(text, PO_CHANGES)
    [tset] = interchange.groups[0].transaction_sets
    assert not interchange.groups[0].errors and not tset.errors
    return tset


def errors_of(text: str) -> list[tuple[str, str]]:
    with pytest.raises(PoChangeError) as refused:
        po_change(read(text))
    return [(str(error.place), error.code) for error in refused.value.errors]


def test_an_860_is_read_into_its_purpose_po_number_sequence_and_each_poc() -> None:
    change = po_change(read(CHANGE))
    assert (change.purpose, change.po_number, change.sequence, change.po_date) == (
        "04", "PO-1001", "3", "20261121",
    )  # fmt: skip
    assert [(line.line_number, line.change_type, line.quantity) for line in change.lines] == [
        ("1", "DI", 0),
        ("2", "QD", 1),
    ]
    assert change.lines[1].elements == ("2", "QD", "1", "1", "EA", "4.50", "", "BP", "B-77",
                                        "SK", "SOCK-M")  # fmt: skip
    assert str(change.po_place) == "segment 4 (BCH), element 03"


def test_the_860s_group_is_pc_and_an_850_group_is_refused_at_this_door() -> None:
    [group] = x12.parse(an_860("BEG*00*SA*PO-1", group="PO", kind="850"), PO_CHANGES).groups
    assert [(e.scope, e.code) for e in group.errors] == [("group", "1")]
    assert [(e.scope, e.code) for e in group.transaction_sets[0].errors] == [("set", "1")]


def test_an_860_without_bch_is_refused_at_its_st_as_a_mandatory_segment_missing() -> None:
    assert errors_of(an_860("POC*1*DI*0", "CTT*1")) == [("segment 3 (ST)", "3")]


def test_every_element_at_fault_is_named_at_once() -> None:
    text = an_860(
        "BCH*05*SA***123456789*2026-11-21",
        "POC**DI*0",
        "POC*2*XX*1",
        "POC*3*QD**1*CS",
        "POC*4*QD*1.5",
        "CTT*9",
    )
    assert errors_of(text) == [
        ("segment 4 (BCH), element 01", "7"),
        ("segment 4 (BCH), element 03", "1"),
        ("segment 4 (BCH), element 05", "5"),
        ("segment 4 (BCH), element 06", "8"),
        ("segment 5 (POC), element 01", "1"),
        ("segment 6 (POC), element 02", "7"),
        ("segment 7 (POC), element 03", "1"),
        ("segment 7 (POC), element 05", "7"),
        ("segment 8 (POC), element 03", "6"),
        ("segment 9 (CTT), element 01", "7"),
    ]


def test_a_line_changed_twice_in_one_860_is_refused_at_the_second() -> None:
    text = an_860("BCH*04*SA*PO-1**1", "POC*1*QD*2", "POC*1*DI*0")
    assert errors_of(text) == [("segment 6 (POC), element 01", "7")]


def test_a_change_with_no_poc_changes_nothing_and_is_refused() -> None:
    assert errors_of(an_860("BCH*04*SA*PO-1**1")) == [("segment 3 (ST)", "3")]


def test_a_cancellation_needs_no_poc() -> None:
    change = po_change(read(an_860("BCH*01*SA*PO-1001**2*20261121")))
    assert (change.purpose, change.lines) == ("01", ())


# --- the 865 ----------------------------------------------------------------------------------


def answered(*statuses: tuple[str, int]) -> PoChangeAcknowledgement:
    change = po_change(read(CHANGE))
    lines = tuple(
        LineAnswer(line, status, units)
        for line, (status, units) in zip(change.lines, statuses, strict=True)
    )
    return PoChangeAcknowledgement(change, "ord_8df7a03322d17a63", True, lines)


def segments_of(text: str) -> list[list[str]]:
    [tset] = x12.parse(text, x12.Reads("CA", "865", "", "")).groups[0].transaction_sets
    return [[segment.tag, *segment.elements] for segment in tset.segments]


def test_the_865_echoes_each_poc_with_its_ack_segment_by_segment() -> None:
    envelope = x12.parse(CHANGE, PO_CHANGES).envelope
    text = po_change_acknowledgement(
        envelope, answered(("ID", 2), ("IQ", 1)), control_number=7, at=AT
    )
    interchange = x12.parse(text, x12.Reads("CA", "865", "", ""))
    assert interchange.header.get(6).strip() == "ORDO"
    assert interchange.header.get(8).strip() == "BUYERCO"
    assert interchange.control_number == "000000007"
    [group] = interchange.groups
    assert (group.functional_id, group.control_number, group.errors) == ("CA", "7", ())
    assert segments_of(text) == [
        ["ST", "865", "0001"],
        ["BCA", "00", "AT", "PO-1001", "", "3", "20261121", "", "", "ord_8df7a03322d17a63",
         "20261122"],
        ["POC", "1", "DI", "0", "", "EA", "59.90", "", "VP", "SHOE-42"],
        ["ACK", "ID", "2", "EA"],
        ["POC", "2", "QD", "1", "1", "EA", "4.50", "", "BP", "B-77", "SK", "SOCK-M"],
        ["ACK", "IQ", "1", "EA"],
        ["CTT", "2"],
        ["SE", "8", "0001"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("statuses", "kind"),
    [
        ((("ID", 2), ("IA", 1)), "AT"),
        ((("ID", 2), ("IR", 3)), "AC"),
        ((("IR", 2), ("IR", 3)), "RJ"),
    ],
)
def test_bca02_says_whether_all_some_or_none_of_the_changes_were_accepted(
    statuses: tuple[tuple[str, int], ...], kind: str
) -> None:
    assert answered(*statuses).acknowledgement_type == kind


def test_a_cancellation_without_poc_is_at_when_taken_and_rj_when_refused() -> None:
    change = po_change(read(an_860("BCH*01*SA*PO-1001**2")))
    assert PoChangeAcknowledgement(change, "ord_1", True, ()).acknowledgement_type == "AT"
    assert PoChangeAcknowledgement(change, "ord_1", False, ()).acknowledgement_type == "RJ"


def test_an_added_item_is_read_with_its_price_and_product_ids_and_names_its_vendor_part() -> None:
    text = an_860("BCH*04*SA*PO-1001**4", "POC*5*AI*2**EA*4.50**UP*0001*SK*SOCK-M*VP*S-1")
    [line] = po_change(read(text)).lines
    assert (line.quantity, line.price, line.sku) == (2, "4.50", "S-1")
    assert line.product_ids == (("UP", "0001"), ("SK", "SOCK-M"), ("VP", "S-1"))


def test_an_increase_or_an_added_item_without_its_quantity_or_a_price_not_a_number_is_refused() -> (
    None
):
    text = an_860("BCH*04*SA*PO-1001**4", "POC*1*QI", "POC*5*AI***EA***VP*B", "POC*2*PC*1**EA*x")
    with pytest.raises(PoChangeError) as refused:
        po_change(read(text))
    assert [(str(e.place), e.message) for e in refused.value.errors] == [
        ("segment 5 (POC), element 03", "a quantity increase (QI) must say the quantity ordered "
         "after it"),
        ("segment 6 (POC), element 03", "an added item (AI) must say the quantity ordered "
         "after it"),
        ("segment 7 (POC), element 06", "unit price 'x' is not a number"),
    ]  # fmt: skip
