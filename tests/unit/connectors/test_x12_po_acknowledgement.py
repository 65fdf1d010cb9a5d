"""The 855 purchase order acknowledgement as a trading partner reads it, checked by reading it
back with the module's own parser: the envelope from Ordo to the partner in a PR group, BAK
with the acknowledgement type its lines add up to, each PO1 echoed as sent with an ACK per
status of its units, counts that add up, the partner's delimiters; and an erasure's
redaction of a document, which leaves it the same X12 without the ship-to's person."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from connectors.channels import x12
from connectors.channels.x12_outbound import (
    AcknowledgedLine,
    Party,
    PurchaseOrderAcknowledgement,
    ShipNotice,
    ShippedItem,
    acknowledged_ship_dates,
    acknowledged_statuses,
    po_acknowledgement,
    redacted,
    ship_notice,
)

SAMPLE = (Path(__file__).parent / "x12_850_sample.edi").read_text()
AT = datetime(2026, 11, 21, 17, 45, tzinfo=UTC)
SHOES = AcknowledgedLine("1", 2, "EA", "59.90", (("VP", "SHOE-42"), ("UP", "012345678905")),
                         (("IA", 2),))  # fmt: skip
SOCKS = AcknowledgedLine("2", 3, "EA", "4.50", (("BP", "B-77"), ("SK", "SOCK-M")),
                         (("IA", 1), ("IB", 2)))  # fmt: skip
SHIP_TO = Party("Ada Lovelace, Receiving Dock 4", "92", "STORE-7", "350 5th Ave, Suite 4200",
                "New York", "NY", "10001", "US")  # fmt: skip


def an_acknowledgement(*lines: AcknowledgedLine) -> PurchaseOrderAcknowledgement:
    return PurchaseOrderAcknowledgement(
        "PO-1001", "20261121", "ord_8df7a03322d17a63", SHIP_TO, lines or (SHOES, SOCKS)
    )


def written(
    acknowledgement: PurchaseOrderAcknowledgement | None = None,
    text: str = SAMPLE,
    number: int = 2,
) -> str:
    envelope = x12.parse(text).envelope
    return po_acknowledgement(
        envelope, acknowledgement or an_acknowledgement(), control_number=number, at=AT
    )


def by_tag(text: str, tag: str) -> list[list[str]]:
    [tset] = x12.parse(text).groups[0].transaction_sets
    return [list(segment.elements) for segment in tset.segments if segment.tag == tag]


def test_the_855_goes_from_ordo_to_the_partner_in_a_pr_group_under_the_number_given() -> None:
    interchange = x12.parse(written(number=42))
    isa = interchange.header
    assert (isa.get(5), isa.get(6), isa.get(7), isa.get(8)) == ("ZZ", "ORDO", "ZZ", "BUYERCO")
    assert interchange.control_number == "000000042"
    [group] = interchange.groups
    assert [group.header.get(n) for n in (1, 2, 3, 6, 8)] == [
        "PR", "ORDO", "BUYERCO", "42", "004010",
    ]  # fmt: skip
    [tset] = group.transaction_sets
    assert (tset.kind, tset.control_number) == ("855", "0001")
    # The parser reads 850s only: that is its one complaint, so SE01 and SE02 agree.
    assert [error.code for error in tset.errors] == ["1"]


def test_bak_names_the_po_its_date_ordos_order_and_the_day_acknowledged() -> None:
    assert by_tag(written(), "BAK") == [
        ["00", "AC", "PO-1001", "20261121", "", "", "", "ord_8df7a03322d17a63", "20261121"]
    ]
    assert by_tag(written(), "N1") == [["ST", "Ada Lovelace, Receiving Dock 4", "92", "STORE-7"]]
    assert by_tag(written(), "N3") == [["350 5th Ave, Suite 4200"]]


def test_each_po1_is_echoed_as_sent_with_an_ack_per_status_of_its_units() -> None:
    text = written()
    assert by_tag(text, "PO1") == [
        ["1", "2", "EA", "59.90", "", "VP", "SHOE-42", "UP", "012345678905"],
        ["2", "3", "EA", "4.50", "", "BP", "B-77", "SK", "SOCK-M"],
    ]
    assert by_tag(text, "ACK") == [["IA", "2", "EA"], ["IA", "1", "EA"], ["IB", "2", "EA"]]
    [tset] = x12.parse(text).groups[0].transaction_sets
    tags = [segment.tag for segment in tset.segments]
    assert tags == ["ST", "BAK", "N1", "N3", "N4", "PO1", "ACK", "PO1", "ACK", "ACK", "CTT", "SE"]
    # CTT01 counts the PO1 segments; CTT02 their quantities.
    assert by_tag(text, "CTT") == [["2", "5"]]


def test_every_line_accepted_as_sent_is_ad_and_every_line_rejected_is_rd_with_detail() -> None:
    assert by_tag(written(an_acknowledgement(SHOES)), "BAK")[0][1] == "AD"
    refused = [replace(line, statuses=(("IR", line.quantity),)) for line in (SHOES, SOCKS)]
    # RD, rejected with detail: the 855 lists its lines (RJ would say it has none).
    assert by_tag(written(an_acknowledgement(*refused)), "BAK")[0][1] == "RD"
    deleted = [replace(line, statuses=(("ID", line.quantity),)) for line in (SHOES, SOCKS)]
    assert by_tag(written(an_acknowledgement(*deleted)), "BAK")[0][1] == "RD"
    changed = replace(SHOES, statuses=(("IQ", 1),))
    assert by_tag(written(an_acknowledgement(changed)), "BAK")[0][1] == "AC"


def test_the_855_is_written_in_the_delimiters_the_partner_uses() -> None:
    theirs = SAMPLE.replace("*", "|").replace("~\n", "\n").replace("|>\n", "|^\n")
    text = written(text=theirs)
    assert text.startswith("ISA|00|") and "\nGS|PR|ORDO|BUYERCO|" in text
    assert "*" not in text and "~" not in text
    assert by_tag(text, "ACK")[0] == ["IA", "2", "EA"]


def test_an_order_without_a_ship_to_to_name_has_no_n1_loop() -> None:
    text = written(replace(an_acknowledgement(), ship_to=None))
    assert by_tag(text, "N1") == [] and by_tag(text, "N4") == []


def test_the_worked_example_in_the_docs_is_what_the_writer_writes() -> None:
    doc = (Path(__file__).parents[3] / "docs" / "edi.md").read_text()
    start = doc.index("ST*855*0001~")
    start = doc.rindex("```\n", 0, start)
    shown = doc[start + 4 : doc.index("```", start + 4)].replace("~\n", "~")
    # The shoes and the pair of socks in stock are planned to leave on 23 November; the
    # socks that wait are due in on 4 December.
    shoes = replace(SHOES, planned_ship_date="20261123")
    socks = replace(SOCKS, ship_date="20261204", planned_ship_date="20261123")
    assert written(an_acknowledgement(shoes, socks)) == shown


# --- an erasure's redaction ---------------------------------------------------------------


def a_ship_notice() -> str:
    notice = ShipNotice(
        shipment_id="ful_1", po_number="PO-1001", po_date="20261121", shipped_at=AT,
        carrier_code="SWX", carrier_name="Swift Express", tracking_number="1Z999",
        ship_from=Party("Dallas DC", "91", "DAL-01", "2400 Logistics Way", "Dallas", "TX",
                        "75201", "US"),
        ship_to=SHIP_TO,
        items=(ShippedItem("1", (("VP", "SHOE-42"),), 2),),
    )  # fmt: skip
    return ship_notice(x12.parse(SAMPLE).envelope, notice, control_number=3, at=AT)


def scrub(value: str) -> str:
    return value.replace("Ada Lovelace", "[erased]")


def test_redacting_takes_the_ship_tos_name_id_street_city_and_state_out_and_keeps_the_rest() -> (
    None
):
    for document in (written(), a_ship_notice()):
        kept = redacted(document, "[erased]", scrub)

        assert "Ada Lovelace" not in kept and "350 5th Ave" not in kept
        assert "STORE-7" not in kept and "New York" not in kept
        assert ["ST", "[erased]"] in by_tag(kept, "N1")
        assert ["[erased]"] in by_tag(kept, "N3")
        assert ["", "", "10001", "US"] in by_tag(kept, "N4")
        # Everything else is as it was: the same segments, so the counts still hold.
        [before] = x12.parse(document).groups[0].transaction_sets
        [after] = x12.parse(kept).groups[0].transaction_sets
        assert [s.tag for s in after.segments] == [s.tag for s in before.segments]
        assert [e.code for e in after.errors] == ["1"]
        assert by_tag(kept, "PO1") == by_tag(document, "PO1")
        assert x12.parse(kept).control_number == x12.parse(document).control_number


def test_redacting_leaves_the_ship_from_and_scrubs_a_name_written_elsewhere() -> None:
    document = a_ship_notice().replace("Swift Express", "Courier for Ada Lovelace")
    kept = redacted(document, "[erased]", scrub)
    assert by_tag(kept, "N1")[0] == ["SF", "Dallas DC", "91", "DAL-01"]
    assert by_tag(kept, "N4")[0] == ["Dallas", "TX", "75201", "US"]
    assert by_tag(kept, "TD5") == [["B", "2", "SWX", "", "Courier for [erased]"]]


def test_redacting_twice_changes_nothing_the_second_time() -> None:
    once = redacted(written(), "[erased]", scrub)
    assert redacted(once, "[erased]", scrub) == once


def test_a_change_855_says_04_in_bak01_and_an_original_00() -> None:
    assert by_tag(written(), "BAK")[0][0] == "00"
    changed = replace(an_acknowledgement(), purpose="04")
    assert by_tag(written(changed), "BAK")[0][:3] == ["04", "AC", "PO-1001"]


def test_what_an_855_said_of_each_po1_reads_back_from_its_text() -> None:
    deleted = replace(SOCKS, statuses=(("ID", 3),))
    assert acknowledged_statuses(written(an_acknowledgement(SHOES, deleted))) == (
        (("IA", 2),),
        (("ID", 3),),
    )
    assert acknowledged_statuses(written()) == ((("IA", 2),), (("IA", 1), ("IB", 2)))


def test_backordered_units_carry_the_day_they_are_promised_to_ship_and_read_back() -> None:
    promised = replace(SOCKS, ship_date="20261204")
    text = written(an_acknowledgement(SHOES, promised))
    # ACK04 068 (current schedule ship), ACK05 the day; accepted units with no planned day
    # (their shipments planned before Ordo kept it) have none to say.
    assert by_tag(text, "ACK") == [
        ["IA", "2", "EA"], ["IA", "1", "EA"], ["IB", "2", "EA", "068", "20261204"],
    ]  # fmt: skip
    assert acknowledged_ship_dates(text) == (("", ""), ("", "20261204"))
    assert acknowledged_statuses(text) == ((("IA", 2),), (("IA", 1), ("IB", 2)))
    # Without a promise the ACK stays as before, and so does an 855 written before dates.
    assert acknowledged_ship_dates(written()) == (("", ""), ("", ""))


def test_accepted_units_carry_the_day_they_are_planned_to_ship_and_read_back_apart() -> None:
    shoes = replace(SHOES, statuses=(("IQ", 1),), planned_ship_date="20261123")
    socks = replace(SOCKS, ship_date="20261204", planned_ship_date="20261124")
    text = written(an_acknowledgement(shoes, socks))
    assert by_tag(text, "ACK") == [
        ["IQ", "1", "EA", "068", "20261123"],
        ["IA", "1", "EA", "068", "20261124"],
        ["IB", "2", "EA", "068", "20261204"],
    ]
    # Each PO1's (accepted, backordered) days, each read from its own ACK.
    assert acknowledged_ship_dates(text) == (("20261123", ""), ("20261124", "20261204"))
    # Units refused carry none, whatever day the line kept.
    deleted = replace(socks, statuses=(("ID", 3),))
    text = written(an_acknowledgement(shoes, deleted))
    assert by_tag(text, "ACK") == [["IQ", "1", "EA", "068", "20261123"], ["ID", "3", "EA"]]
    assert acknowledged_ship_dates(text) == (("20261123", ""), ("", ""))
