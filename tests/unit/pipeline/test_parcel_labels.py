"""A packed shipment's label is a label per parcel in one document (a PDF page each, ZPL labels
one after another), each saying "PARCEL i OF N" with its own weight, size and tracking
number, the first parcel's being the shipment's; the same parcels print the same bytes; a
shipment without parcels prints exactly the bytes it printed before parcels existed."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest

from connectors.carriers.ratecard import ShipmentError
from tests.unit.pipeline.test_carrier_labels import SHIPMENT, carrier, pdf_text

PARCELS: list[dict[str, Any]] = [
    {"weight_kg": 20.55, "length_cm": 45, "width_cm": 35, "height_cm": 25},
    {"weight_kg": 20.55, "length_cm": 45, "width_cm": 35, "height_cm": 25},
    {"weight_kg": 1.05, "length_cm": 30, "width_cm": 25, "height_cm": 15},
]
# What the rate-card carrier printed for SHIPMENT (service "ground") before parcels existed.
BEFORE = {
    ("pdf", False): "114c1d13176d33334f3082877823a71e4e63fbf345aadb243877764e899e34bf",
    ("pdf", True): "ec9b3e877a81ad74ff6084b179b8cad9f9eb566dedb6a9459dc4dc4177d76b29",
    ("zpl", False): "75ea8e0a7ec591a3848149966ce793d0b467d1ad1effc30029eeb17dbe0a49e3",
    ("zpl", True): "650ac3b4e04c21a30e1fd29e426e0f25b16d9a2165e56706baf9b2e7dbb14477",
}


def packed(format: str, **changes: Any) -> Any:
    return carrier().label({**SHIPMENT, "parcels": PARCELS, **changes}, "ground", format)


def zpl_labels(content: bytes) -> list[str]:
    return re.findall(r"\^XA.*?\^XZ", content.decode("ascii"), re.S)


def pages(content: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", content))


@pytest.mark.parametrize(("format", "is_return"), sorted(BEFORE))
def test_a_label_without_parcels_prints_the_bytes_it_printed_before(
    format: str, is_return: bool
) -> None:
    shipment = {**SHIPMENT, "rma": "RMA-20261122-1A2B3C4D"} if is_return else SHIPMENT
    label = carrier().label(shipment, "ground", format)
    assert hashlib.sha256(label.content).hexdigest() == BEFORE[(format, is_return)]
    assert (label.tracking_number, label.parcel_tracking_numbers) == ("PCL631284293533", ())


def test_three_parcels_are_three_zpl_labels_each_with_its_place_weight_size_and_number() -> None:
    label = packed("zpl")

    numbers = label.parcel_tracking_numbers
    assert len(set(numbers)) == 3 and all(re.fullmatch(r"PCL\d{12}", n) for n in numbers)
    # The first parcel's number is the shipment's, the one an unpacked label would have had.
    assert (
        numbers[0]
        == label.tracking_number
        == carrier().label(SHIPMENT, "ground", "zpl").tracking_number
    )
    printed = zpl_labels(label.content)
    assert len(printed) == 3
    for place, (text, number) in enumerate(zip(printed, numbers, strict=True), start=1):
        assert f"^FDTRACKING #: {number}^FS" in text
        assert f"^BCN,300,N,N,N,A^FH^FD{number}^FS" in text
        assert f"^FDPARCEL {place} OF 3" in text
    assert "Weight: 20.55 kg" in printed[0] and "PARCEL 1 OF 3   45 x 35 x 25 cm" in printed[0]
    assert "Weight: 1.05 kg" in printed[2] and "PARCEL 3 OF 3   30 x 25 x 15 cm" in printed[2]


def test_three_parcels_are_a_three_page_pdf_each_page_saying_which_parcel_it_is() -> None:
    label = packed("pdf")

    assert pages(label.content) == 3
    shown = pdf_text(label.content)
    for place, number in enumerate(label.parcel_tracking_numbers, start=1):
        assert f"TRACKING #: {number}" in shown
        assert any(text.startswith(f"PARCEL {place} OF 3") for text in shown)
    assert "PARCEL 3 OF 3   30 x 25 x 15 cm" in shown
    assert "Ship date: 2026-11-23    Weight: 1.05 kg" in shown


@pytest.mark.parametrize("format", ["pdf", "zpl"])
def test_the_same_parcels_print_the_same_bytes_and_numbers_every_time(format: str) -> None:
    first, again = packed(format), packed(format)
    assert first.content == again.content
    assert first.parcel_tracking_numbers == again.parcel_tracking_numbers
    other = packed("zpl" if format == "pdf" else "pdf")
    assert other.parcel_tracking_numbers == first.parcel_tracking_numbers


def test_numbers_issued_before_are_printed_again_and_the_others_issued() -> None:
    first = packed("zpl").parcel_tracking_numbers
    given = [{**PARCELS[0]}, {**PARCELS[1], "tracking_number": "PCL000000000042"}, PARCELS[2]]

    again = packed("pdf", parcels=given, tracking_number=first[0])

    assert again.parcel_tracking_numbers == (first[0], "PCL000000000042", first[2])


@pytest.mark.parametrize(
    ("parcels", "error"),
    [
        ([], "parcels: expected a list of one parcel or more, got []"),
        ("3 boxes", "parcels: expected a list of one parcel or more"),
        ([PARCELS[0], 7], "parcels[1]: expected a parcel (a mapping with weight_kg), got 7"),
        ([PARCELS[0], {"weight_kg": 0}], "parcels[1].weight_kg: expected a weight in kg above 0"),
        ([{"weight_kg": 2, "length_cm": 30}], "parcels[0].width_cm: missing"),
        (
            [
                PARCELS[0],
                {**PARCELS[1], "tracking_number": "A"},
                {**PARCELS[2], "tracking_number": "A"},
            ],
            "parcels[2].tracking_number: A is parcels[1]'s already",
        ),
    ],
)
def test_parcels_the_label_cannot_print_are_refused_by_name(parcels: Any, error: str) -> None:
    with pytest.raises(ShipmentError) as refused:
        packed("zpl", parcels=parcels)
    assert str(refused.value).startswith(error)
    assert refused.value.field == error.partition(":")[0]
