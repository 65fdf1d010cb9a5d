"""An 850 purchase order as Ordo's order body: what is read from which segment, what is
refused and why, and every error named by its segment and element."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from api.schemas.orders import OrderIn
from connectors.channels import x12
from engine.domain.commands import AddressInput, LineInput

SAMPLE = (Path(__file__).parent / "x12_850_sample.edi").read_text()


def swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def mapped(text: str = SAMPLE) -> x12.PurchaseOrder:
    interchange = x12.parse(text)
    [tset] = interchange.groups[0].transaction_sets
    return x12.purchase_order(interchange, tset)


def errors_of(text: str) -> dict[str, str]:
    """Each refused element (or segment) and why; the ST/SE counts need not be right."""
    interchange = x12.parse(text)
    [tset] = interchange.groups[0].transaction_sets
    with pytest.raises(x12.PurchaseOrderError) as raised:
        x12.purchase_order(interchange, tset)
    return {str(error.place): error.message for error in raised.value.errors}


def test_the_sample_maps_to_the_order_the_api_takes() -> None:
    order = OrderIn.model_validate({**mapped().body, "channel": "b2b"}).to_command("b2b")
    assert (order.channel_order_id, order.customer_id, order.email) == (
        "PO-1001",
        "C-1001",
        "ada@example.com",
    )
    assert order.ship_to == AddressInput(
        postal_code="10001",
        country="US",
        line1="350 5th Ave, Suite 4200",
        city="New York",
        state="NY",
        name="Ada Lovelace, Receiving Dock 4",
    )
    assert order.lines == (
        LineInput("SHOE-42", 2, Decimal("59.90"), "1"),
        LineInput("SOCK-M", 3, Decimal("4.50"), "2"),
    )
    assert (order.currency, order.service_level, str(order.requested_date)) == (
        "USD",
        "standard",
        "2026-11-28",
    )


def test_each_field_names_the_element_it_came_from() -> None:
    order = mapped()
    postal_code = order.source_of(("ship_to", "postal_code"))
    assert postal_code == x12.Place(13, "N4", 3)
    assert postal_code.ref == "N4*03"
    assert str(order.source_of(("lines", 1, "sku"))) == "segment 16 (PO1), element 09"
    assert str(order.source_of(("lines", 0, "quantity"))) == "segment 14 (PO1), element 02"
    assert str(order.source_of(("channel_order_id",))) == "segment 4 (BEG), element 03"


def test_the_vendors_part_number_is_the_sku_before_the_buyers_sku_in_any_order() -> None:
    text = swap(SAMPLE, "PO1*1*2*EA*59.90**VP*SHOE-42*UP*012345678905", "PO1*1*2*EA***SK*X*VP*Y")
    line = mapped(text).body["lines"][0]
    assert (line["sku"], "price" in line) == ("Y", False)


def test_a_line_without_a_vp_or_sk_qualifier_is_refused_naming_its_segment() -> None:
    text = swap(SAMPLE, "BP*B-77*SK*SOCK-M", "BP*B-77*UP*0123")
    assert errors_of(text) == {
        "segment 16 (PO1)": "names no SKU: send the vendor's part number (qualifier VP) or the "
        "SKU (SK) in PO106/PO107 or a later pair"
    }


def test_a_quantity_that_is_not_a_number_is_named_by_its_element() -> None:
    text = swap(SAMPLE, "PO1*1*2*EA", "PO1*1*x*EA")
    assert errors_of(text) == {"segment 14 (PO1), element 02": "quantity 'x' is not a number"}


def test_a_quantity_in_part_units_is_refused() -> None:
    text = swap(SAMPLE, "PO1*1*2*EA", "PO1*1*2.5*EA")
    assert errors_of(text) == {
        "segment 14 (PO1), element 02": "quantity '2.5' is not a whole number of units"
    }
    assert mapped(swap(SAMPLE, "PO1*1*2*EA", "PO1*1*2.0*EA")).body["lines"][0]["quantity"] == 2


def test_a_unit_other_than_each_refuses_the_line_with_the_reason() -> None:
    text = swap(SAMPLE, "PO1*2*3*EA", "PO1*2*3*CA")
    assert errors_of(text) == {
        "segment 16 (PO1), element 03": "unit 'CA' is not taken: Ordo orders whole units, each (EA)"
    }


def test_a_cancellation_is_refused_with_the_reason() -> None:
    errors = errors_of(swap(SAMPLE, "BEG*00*", "BEG*01*"))
    assert errors == {
        "segment 4 (BEG), element 01": "purpose '01' (cancellation) is not taken: Ordo reads "
        "original purchase orders (00) only; cancel or change an order through Ordo's API"
    }


def test_any_purpose_other_than_an_original_is_refused() -> None:
    assert list(errors_of(swap(SAMPLE, "BEG*00*", "BEG*ZZ*"))) == ["segment 4 (BEG), element 01"]


def test_the_customer_is_the_interchange_sender_without_a_buying_party_code() -> None:
    order = mapped(swap(SAMPLE, "N1*BY*Buyer Company*92*C-1001", "N1*BY*Buyer Company"))
    assert order.body["customer_id"] == "BUYERCO"
    assert str(order.source_of(("customer_id",))) == "segment 1 (ISA), element 06"


def test_a_service_level_code_with_an_ordo_level_is_read() -> None:
    order = mapped(swap(SAMPLE, "*******CG~", "*******ND~"))
    assert (order.body["service_level"], order.notes) == ("next_day", ())


def test_a_service_level_code_without_one_is_noted_and_the_order_filed_as_standard() -> None:
    order = mapped(swap(SAMPLE, "*******CG~", "*******9A~"))
    assert "service_level" not in order.body
    [note] = order.notes
    assert (str(note.place), note.value) == ("segment 8 (TD5), element 12", "9A")
    assert "the order is filed as standard" in note.message


def test_a_requested_delivery_date_that_is_not_a_date_is_refused() -> None:
    errors = errors_of(swap(SAMPLE, "DTM*002*20261128", "DTM*002*20261131"))
    assert errors == {
        "segment 7 (DTM), element 02": "requested delivery date '20261131' is not a date "
        "written CCYYMMDD"
    }


def test_other_dates_are_not_read() -> None:
    assert "requested_date" not in mapped(swap(SAMPLE, "DTM*002*", "DTM*010*")).body


def test_a_second_ship_to_is_refused_since_an_order_ships_to_one_address() -> None:
    text = swap(SAMPLE, "PID*F", "N1*ST*Elsewhere~\nPID*F")
    assert list(errors_of(text)) == ["segment 15 (N1), element 01"]


def test_a_ship_to_without_its_n4_is_refused() -> None:
    errors = errors_of(swap(SAMPLE, "N4*New York*NY*10001*US~\n", ""))
    assert errors == {
        "segment 10 (N1)": "the ship-to has no N4 segment: Ordo needs its postal code (N403)"
    }


def test_a_line_count_that_disagrees_with_the_lines_is_refused() -> None:
    errors = errors_of(swap(SAMPLE, "CTT*2", "CTT*3"))
    assert errors == {
        "segment 17 (CTT), element 01": "says '3' line items; the set has 2 PO1 segments"
    }


def test_every_fault_is_named_at_once_with_what_did_map_kept() -> None:
    text = swap(swap(SAMPLE, "PO1*1*2*EA", "PO1*1*x*EA"), "BEG*00*", "BEG*01*")
    interchange = x12.parse(text)
    [tset] = interchange.groups[0].transaction_sets
    with pytest.raises(x12.PurchaseOrderError) as raised:
        x12.purchase_order(interchange, tset)
    assert [e.place.ref for e in raised.value.errors] == ["BEG*01", "PO1*02"]
    assert raised.value.partial.body["ship_to"]["postal_code"] == "10001"
