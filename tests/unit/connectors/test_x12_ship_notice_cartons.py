"""The 856 of a packed shipment, read back with the module's own parser: TD1 counts its
cartons and their gross weight, BSN05 says the levels are shipment, order, pack, item, and
each carton is a pack level under the order with its tracking number (MAN*CP) and the items
inside it; a shipment without cartons is written as it was before."""

from __future__ import annotations

from connectors.channels import x12
from connectors.channels.x12_outbound import ShippedItem, ShippedPack, ship_notice
from tests.unit.connectors.test_x12_ship_notice import (
    AT,
    SAMPLE,
    a_notice,
    by_tag,
    segments,
    written,
)

SHOES = (("VP", "SHOE-42"), ("UP", "012345678905"))
SOCKS = (("BP", "B-77"), ("SK", "SOCK-M"))
PACKS = (
    ShippedPack("PCL000000000001", 5.55, (ShippedItem("1", SHOES, 2), ShippedItem("2", SOCKS, 1))),
    ShippedPack("PCL000000000002", 1.05, (ShippedItem("2", SOCKS, 2),)),
)


def test_td1_counts_the_cartons_and_their_gross_weight_in_kg() -> None:
    notice = written(packs=PACKS)
    assert by_tag(notice, "TD1") == [["CTN25", "2", "", "", "", "G", "6.6", "KG"]]
    assert by_tag(notice, "BSN")[0][-1] == "0001"
    assert by_tag(notice, "REF") == [["CN", "1Z999AA10123456784"]]


def test_each_carton_is_a_pack_level_with_its_tracking_number_and_the_items_inside() -> None:
    notice = written(packs=PACKS)
    levels = [(tag, *rest) for tag, *rest in segments(notice) if tag in ("HL", "MAN", "LIN", "SN1")]
    assert levels == [
        ("HL", "1", "", "S"),
        ("HL", "2", "1", "O"),
        ("HL", "3", "2", "P"),
        ("MAN", "CP", "PCL000000000001"),
        ("HL", "4", "3", "I"),
        ("LIN", "1", "VP", "SHOE-42", "UP", "012345678905"),
        ("SN1", "1", "2", "EA"),
        ("HL", "5", "3", "I"),
        ("LIN", "2", "BP", "B-77", "SK", "SOCK-M"),
        ("SN1", "2", "1", "EA"),
        ("HL", "6", "2", "P"),
        ("MAN", "CP", "PCL000000000002"),
        ("HL", "7", "6", "I"),
        ("LIN", "2", "BP", "B-77", "SK", "SOCK-M"),
        ("SN1", "2", "2", "EA"),
    ]
    # CTT01 counts the HL segments; CTT02 is the units shipped (the shipment's lines').
    assert by_tag(notice, "CTT") == [["7", "5"]]
    [tset] = notice.groups[0].transaction_sets
    assert [error.code for error in tset.errors] == ["1"]  # only "not an 850"


def test_a_carton_not_labelled_by_ordo_is_a_pack_level_without_man() -> None:
    unlabelled = (ShippedPack("", 5.55, PACKS[0].items), ShippedPack("", 1.05, PACKS[1].items))
    notice = written(packs=unlabelled)
    assert by_tag(notice, "MAN") == []
    assert [s[2] for s in by_tag(notice, "HL")] == ["S", "O", "P", "I", "I", "P", "I"]


def test_a_shipment_without_cartons_is_written_as_before() -> None:
    envelope = x12.parse(SAMPLE).envelope
    assert ship_notice(envelope, a_notice(packs=()), control_number=2, at=AT) == ship_notice(
        envelope, a_notice(), control_number=2, at=AT
    )
    notice = written()
    assert by_tag(notice, "TD1") == [["CTN25", "1"]]
    assert by_tag(notice, "BSN")[0][-1] == "0004"
