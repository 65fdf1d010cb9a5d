"""The 856 advance ship notice as a trading partner reads it, checked by reading it back with
the module's own parser: the envelope from Ordo to the partner with the control number given,
the shipment, order and item levels, the partner's line numbers and product ids, counts that
add up, and the partner's delimiters; and what Ordo keeps of an 850 for it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.channels import x12
from connectors.channels.x12_outbound import Party, ShipNotice, ShippedItem, ship_notice

SAMPLE = (Path(__file__).parent / "x12_850_sample.edi").read_text()
SHIPPED = datetime(2026, 11, 24, 15, 28, tzinfo=UTC)
AT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)


def a_notice(**changes: object) -> ShipNotice:
    values: dict[str, object] = dict(
        shipment_id="ful_1c9e2b7a40d3f865",
        po_number="PO-1001",
        po_date="20261121",
        shipped_at=SHIPPED,
        carrier_code="SWX",
        carrier_name="Swift Express",
        tracking_number="1Z999AA10123456784",
        ship_from=Party("Dallas DC", "91", "DAL-01", "2400 Logistics Way", "Dallas", "TX",
                        "75201", "US"),
        ship_to=Party("Ada Lovelace", "92", "STORE-7", "350 5th Ave", "New York", "NY",
                      "10001", "US"),
        items=(
            ShippedItem("1", (("VP", "SHOE-42"), ("UP", "012345678905")), 2),
            ShippedItem("2", (("BP", "B-77"), ("SK", "SOCK-M")), 3),
        ),
    )  # fmt: skip
    return ShipNotice(**{**values, **changes})  # type: ignore[arg-type]


def written(text: str = SAMPLE, number: int = 7, **changes: object) -> x12.Interchange:
    envelope = x12.parse(text).envelope
    return x12.parse(ship_notice(envelope, a_notice(**changes), control_number=number, at=AT))


def segments(interchange: x12.Interchange) -> list[list[str]]:
    [tset] = interchange.groups[0].transaction_sets
    return [[segment.tag, *segment.elements] for segment in tset.segments]


def by_tag(interchange: x12.Interchange, tag: str) -> list[list[str]]:
    return [elements[1:] for elements in segments(interchange) if elements[0] == tag]


def test_the_856_goes_from_ordo_to_the_partner_under_the_control_number_given() -> None:
    notice = written(number=42)
    isa = notice.header
    assert (isa.get(5), isa.get(6), isa.get(7), isa.get(8)) == ("ZZ", "ORDO", "ZZ", "BUYERCO")
    assert (isa.get(9), isa.get(10), isa.get(12), isa.get(15)) == ("261124", "1530", "00401", "T")
    assert notice.control_number == "000000042"
    [group] = notice.groups
    assert [group.header.get(n) for n in (1, 2, 3, 4, 6, 8)] == [
        "SH", "ORDO", "BUYERCO", "20261124", "42", "004010",
    ]  # fmt: skip
    # The parser takes only POs and 850s: those are the only complaints it has.
    assert [error.code for error in group.errors] == ["1"]
    [tset] = group.transaction_sets
    assert (tset.kind, tset.control_number) == ("856", "0001")
    assert [error.code for error in tset.errors] == ["1"]  # SE01 and SE02 agree with it


def test_the_shipment_level_names_carrier_tracking_ship_date_and_both_addresses() -> None:
    notice = written()
    assert by_tag(notice, "BSN") == [["00", "ful_1c9e2b7a40d3f865", "20261124", "1528", "0004"]]
    assert by_tag(notice, "TD1") == [["CTN25", "1"]]
    assert by_tag(notice, "TD5") == [["B", "2", "SWX", "", "Swift Express"]]
    assert by_tag(notice, "REF") == [["CN", "1Z999AA10123456784"]]
    assert by_tag(notice, "DTM") == [["011", "20261124", "1528", "UT"]]
    assert by_tag(notice, "N1") == [
        ["SF", "Dallas DC", "91", "DAL-01"],
        ["ST", "Ada Lovelace", "92", "STORE-7"],
    ]
    assert by_tag(notice, "N4") == [
        ["Dallas", "TX", "75201", "US"],
        ["New York", "NY", "10001", "US"],
    ]


def test_each_line_is_an_item_under_the_order_with_the_partners_numbers_and_ids() -> None:
    notice = written()
    assert by_tag(notice, "HL") == [
        ["1", "", "S"],
        ["2", "1", "O"],
        ["3", "2", "I"],
        ["4", "2", "I"],
    ]
    assert by_tag(notice, "PRF") == [["PO-1001", "", "", "20261121"]]
    assert by_tag(notice, "LIN") == [
        ["1", "VP", "SHOE-42", "UP", "012345678905"],
        ["2", "BP", "B-77", "SK", "SOCK-M"],
    ]
    assert by_tag(notice, "SN1") == [["1", "2", "EA"], ["2", "3", "EA"]]
    # CTT01 counts the HL segments; CTT02 is the units shipped.
    assert by_tag(notice, "CTT") == [["4", "5"]]
    tags = [elements[0] for elements in segments(notice)]
    assert tags[:3] == ["ST", "BSN", "HL"] and tags[-2:] == ["CTT", "SE"]


def test_the_856_is_written_in_the_delimiters_the_partner_uses() -> None:
    theirs = SAMPLE.replace("*", "|").replace("~\n", "\n").replace("|>\n", "|^\n")
    envelope = x12.parse(theirs).envelope
    text = ship_notice(envelope, a_notice(), control_number=1, at=AT)
    assert text.startswith("ISA|00|") and "\nGS|SH|ORDO|BUYERCO|" in text
    assert "*" not in text and "~" not in text
    assert by_tag(x12.parse(text), "LIN")[0] == ["1", "VP", "SHOE-42", "UP", "012345678905"]


def test_a_value_holding_a_delimiter_cannot_split_its_segment() -> None:
    notice = written(ship_to=Party("Smith*Sons~Ltd>", line1="1 Main St", city="Austin",
                                   state="TX", postal_code="78701", country="US"))  # fmt: skip
    assert by_tag(notice, "N1")[1] == ["ST", "Smith Sons Ltd "]


def test_values_longer_than_their_element_are_cut_to_fit() -> None:
    notice = written(po_number="P" * 30, ship_to=Party("N" * 80, postal_code="10001"))
    assert by_tag(notice, "PRF")[0][0] == "P" * 22
    assert by_tag(notice, "N1")[1] == ["ST", "N" * 60]


def test_a_carrier_code_that_is_no_scac_is_named_by_the_carrier_alone() -> None:
    notice = written(carrier_code="regional_post", carrier_name="Regional Post")
    assert by_tag(notice, "TD5") == [["B", "", "", "", "Regional Post"]]


def test_a_control_number_outside_nine_digits_is_refused() -> None:
    envelope = x12.parse(SAMPLE).envelope
    with pytest.raises(ValueError, match="1 to 999999999"):
        ship_notice(envelope, a_notice(), control_number=10**9, at=AT)


def test_what_ordo_keeps_of_an_850_is_its_envelope_po_date_ship_to_id_and_lines_as_sent() -> None:
    interchange = x12.parse(SAMPLE)
    [tset] = interchange.groups[0].transaction_sets
    kept = x12.kept(interchange, x12.purchase_order(interchange, tset), "b2b-acme", AT)
    assert (kept.channel, kept.po_number, kept.po_date) == ("b2b-acme", "PO-1001", "20261121")
    assert (kept.ship_to_qualifier, kept.ship_to_code) == ("92", "STORE-7")
    assert [(line.line_number, line.sku, line.product_ids) for line in kept.lines] == [
        ("1", "SHOE-42", (("VP", "SHOE-42"), ("UP", "012345678905"))),
        ("2", "SOCK-M", (("BP", "B-77"), ("SK", "SOCK-M"))),
    ]
    envelope = kept.envelope
    assert (envelope.partner_id, envelope.ordo_id, envelope.release) == (
        "BUYERCO", "ORDO", "004010",
    )  # fmt: skip
    assert (envelope.element, envelope.component, envelope.segment) == ("*", ">", "~")


def test_the_worked_example_in_the_docs_is_what_the_writer_writes() -> None:
    doc = (Path(__file__).parents[3] / "docs" / "edi.md").read_text()
    start = doc.index("```\nISA*00*          *00*          *ZZ*ORDO")
    shown = doc[start + 4 : doc.index("```", start + 4)].replace("~\n", "~")
    envelope = x12.parse(SAMPLE).envelope
    notice = a_notice(
        ship_to=Party("Ada Lovelace, Receiving Dock 4", "92", "STORE-7",
                      "350 5th Ave, Suite 4200", "New York", "NY", "10001", "US"),
    )  # fmt: skip
    assert ship_notice(envelope, notice, control_number=2, at=AT) == shown
