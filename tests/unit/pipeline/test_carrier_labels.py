"""The rate-card carrier prints 4x6 inch shipping and return labels as ZPL and as PDF."""

from __future__ import annotations

import base64
import re
import time
import zlib
from datetime import date
from typing import Any

import pytest
from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfgen.canvas import Canvas

from connectors.base import DeliveryError
from connectors.carriers.ratecard import RateCardCarrier, RateCardCarriers, ShipmentError
from engine.pipeline.carriers import load_catalog

SHIPMENT: dict[str, Any] = {
    "id": "ful_1",
    "reference": "W-1001",
    "weight_kg": 2.5,
    "ship_date": date(2026, 11, 23),
    "from_name": "Dallas DC",
    "from_line1": "100 Commerce St",
    "from_city": "Dallas",
    "from_state": "TX",
    "from_postal_code": "75201",
    "from_country": "US",
    "to_name": "Ada Lovelace",
    "to_line1": "350 5th Ave",
    "to_city": "New York",
    "to_state": "NY",
    "to_postal_code": "10001",
    "to_country": "US",
}
RMA = "RMA-20261122-1A2B3C4D"


def carrier() -> RateCardCarrier:
    return RateCardCarrier({"carrier": "PCL"})


def zpl(changes: dict[str, Any] | None = None, service: str = "ground") -> str:
    return carrier().label({**SHIPMENT, **(changes or {})}, service, "zpl").content.decode("ascii")


def pdf(changes: dict[str, Any] | None = None) -> bytes:
    return carrier().label({**SHIPMENT, **(changes or {})}, "ground", "pdf").content


def pdf_streams(content: bytes) -> list[bytes]:
    """The PDF's content streams, decoded (reportlab writes them ASCII85 and Flate encoded)."""
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.S):
        data = match[1].strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data, adobe=True)
        try:
            streams.append(zlib.decompress(data))
        except zlib.error:
            continue
    return streams


def pdf_text(content: bytes) -> list[str]:
    """Every string the PDF draws (`(...) Tj`), unescaped, as Windows-1252."""
    shown = []
    for stream in pdf_streams(content):
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\) Tj", stream):
            text = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), literal)
            shown.append(re.sub(rb"\\(.)", rb"\1", text).decode("cp1252"))
    return shown


def bars(content: bytes) -> list[list[int]]:
    """Each barcode the PDF draws, as the widths of its bars and gaps in modules."""
    found = []
    for stream in pdf_streams(content):
        for block in re.findall(rb"q\n1 0 0 1 [\d.]+ [\d.]+ cm\n((?:n [^\n]* re f\*\n)+)Q", stream):
            rects = [tuple(map(float, r)) for r in re.findall(rb"n ([\d.]+) 0 ([\d.]+) ", block)]
            module = min(width for _, width in rects)
            widths: list[int] = []
            for (x, width), after in zip(rects, [*rects[1:], None], strict=True):
                widths.append(round(width / module))
                if after is not None:
                    widths.append(round((after[0] - x - width) / module))
            found.append(widths)
    return found


def code128_bars(value: str) -> list[int]:
    """The bars reportlab's Code 128 draws for `value` on a page of its own."""
    canvas = Canvas("unused.pdf", invariant=1)
    Code128(value, barWidth=1.0, barHeight=10, quiet=0, humanReadable=0).drawOn(canvas, 0, 0)
    canvas.showPage()
    return bars(canvas.getpdfdata())[0]


# --- ZPL -------------------------------------------------------------------------------------


def test_a_zpl_label_prints_carrier_addresses_reference_weight_date_and_tracking() -> None:
    label = carrier().label(SHIPMENT, "ground", "zpl")
    text = label.content.decode("ascii")
    assert text.startswith("^XA\n^CI28\n") and text.endswith("^XZ") and text.count("^XZ") == 1
    for printed in (
        "PARCELLINE",
        "Parcelline Ground",
        "Dallas DC",
        "100 Commerce St",
        "Dallas, TX 75201",
        "Ada Lovelace",
        "350 5th Ave",
        "New York, NY 10001",
        "Ship date: 2026-11-23    Weight: 2.50 kg",
        "Order: W-1001    Shipment: ful_5F1",  # `_` is written as its hex escape
        f"TRACKING #: {label.tracking_number}",
    ):
        assert f"^FH^FD{printed}^FS" in text, printed
    assert f"^BCN,300,N,N,N,A^FH^FD{label.tracking_number}^FS" in text


def test_zpl_commands_in_any_printed_field_are_printed_as_text_not_run() -> None:
    text = zpl({"to_name": "1^XZ^XA~JA_", "reference": "^XZ"})
    assert "^FH^FD1_5EXZ_5EXA_7EJA_5F^FS" in text
    assert "^FH^FDOrder: _5EXZ    Shipment: ful_5F1^FS" in text
    assert text.count("^XZ") == 1 and "~" not in text


def test_non_ascii_text_is_sent_as_utf8_hex_escapes_under_ci28() -> None:
    text = zpl({"to_name": "Zoë Łódź"})
    assert "^CI28" in text
    assert "^FH^FDZo_C3_AB _C5_81_C3_B3d_C5_BA^FS" in text
    assert text.isascii()


def test_a_line_break_in_a_field_prints_as_a_space_on_its_one_line() -> None:
    assert "^FH^FDAda  Lovelace^FS" in zpl({"to_name": "Ada\r\nLovelace"})


# --- PDF -------------------------------------------------------------------------------------


def test_a_pdf_label_is_one_4x6_inch_page_with_the_same_fields() -> None:
    label = carrier().label(SHIPMENT, "ground", "pdf")
    assert label.content.startswith(b"%PDF-") and label.format == "pdf"
    assert b"/MediaBox [ 0 0 288 432 ]" in label.content
    assert label.content.count(b"/Type /Page ") + label.content.count(b"/Type /Page\n") == 1
    shown = pdf_text(label.content)
    for printed in (
        "PARCELLINE",
        "Parcelline Ground",
        "Dallas DC",
        "100 Commerce St",
        "Dallas, TX 75201",
        "Ada Lovelace",
        "350 5th Ave",
        "New York, NY 10001",
        "Ship date: 2026-11-23    Weight: 2.50 kg",
        "Order: W-1001    Shipment: ful_1",
        f"TRACKING #: {label.tracking_number}",
    ):
        assert printed in shown, printed


def test_the_pdf_barcode_is_the_tracking_numbers_code_128() -> None:
    label = carrier().label(SHIPMENT, "ground", "pdf")
    assert bars(label.content) == [code128_bars(label.tracking_number)]


def test_pdf_text_keeps_latin_letters_and_transliterates_the_rest() -> None:
    shown = pdf_text(pdf({"to_name": "Zoë Łódź 漢", "to_city": "Kraków"}))
    assert "Zoë Lódz ?" in shown
    assert "Kraków, NY 10001" in shown


def test_a_name_too_long_for_the_label_is_cut_not_drawn_off_the_edge() -> None:
    shown = pdf_text(pdf({"to_name": "Ada Lovelace " * 10}))
    name = next(line for line in shown if line.startswith("Ada Lovelace"))
    assert name.endswith("…") and len(name) < 40


# --- both formats ----------------------------------------------------------------------------


@pytest.mark.parametrize("format", ["pdf", "zpl"])
def test_the_same_shipment_prints_the_same_bytes_whenever_it_is_printed(
    format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = carrier().label(SHIPMENT, "ground", format)
    later = time.time() + 3 * 86400
    monkeypatch.setattr(time, "time", lambda: later)  # a PDF would carry its creation date
    again = carrier().label(dict(SHIPMENT), "ground", format)
    assert again == first


def test_a_return_label_carries_its_rma_as_text_and_as_a_barcode() -> None:
    shipment = {**SHIPMENT, "id": "ret_1", "rma": RMA}
    as_zpl = carrier().label(shipment, "ground", "zpl")
    text = as_zpl.content.decode("ascii")
    assert f"^FH^FD{RMA}^FS" in text and "Parcelline Ground  RETURN" in text
    assert f"^BCN,100,N,N,N,A^FH^FD{RMA}^FS" in text
    assert f"^FH^FD{as_zpl.tracking_number}^FS" in text
    as_pdf = carrier().label(shipment, "ground", "pdf")
    assert RMA in pdf_text(as_pdf.content)
    assert bars(as_pdf.content) == [code128_bars(RMA), code128_bars(as_pdf.tracking_number)]


def test_a_tracking_number_issued_before_is_printed_again_not_replaced() -> None:
    label = carrier().label({**SHIPMENT, "tracking_number": "1Z999AA10123456784"}, "ground", "pdf")
    assert label.tracking_number == "1Z999AA10123456784"
    assert bars(label.content) == [code128_bars("1Z999AA10123456784")]


def test_labels_of_one_shipment_share_a_tracking_number_in_both_formats() -> None:
    as_pdf = carrier().label(SHIPMENT, "ground", "pdf")
    as_zpl = carrier().label(SHIPMENT, "ground", "zpl")
    assert as_pdf.tracking_number == as_zpl.tracking_number
    assert as_pdf.tracking_number.startswith("PCL")


def test_labels_without_an_id_get_a_tracking_number_of_their_own() -> None:
    anonymous = {k: v for k, v in SHIPMENT.items() if k != "id"}
    first = carrier().label(anonymous, "ground", "zpl")
    elsewhere = carrier().label({**anonymous, "to_postal_code": "60601"}, "ground", "zpl")
    faster = carrier().label(anonymous, "overnight", "zpl")
    again = carrier().label(anonymous, "ground", "zpl")
    assert len({first.tracking_number, elsewhere.tracking_number, faster.tracking_number}) == 3
    assert again.tracking_number == first.tracking_number


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"to_line1": None}, "to_line1", "to_line1: missing (the label prints it)"),
        ({"to_name": "  "}, "to_name", "to_name: missing (the label prints it)"),
        ({"from_city": None}, "from_city", "from_city: missing (the label prints it)"),
        ({"to_postal_code": 10001}, "to_postal_code", "to_postal_code: expected a postal code"),
        ({"ship_date": None}, "ship_date", "ship_date: missing (the label prints it)"),
        ({"ship_date": "Monday"}, "ship_date", "ship_date: expected a date (ISO 8601"),
        ({"weight_kg": 0}, "weight_kg", "weight_kg: expected a weight in kg above 0, got 0"),
        ({"tracking_number": "PCLé1"}, "tracking_number", "tracking_number: expected 1 to 40"),
        ({"rma": "R" * 41}, "rma", "rma: expected 1 to 40 printable ASCII characters"),
    ],
    ids=[
        "no street",
        "blank name",
        "no origin city",
        "postal code as a number",
        "no ship date",
        "ship date in words",
        "no weight",
        "tracking number a barcode cannot carry",
        "rma too long for the label",
    ],
)
def test_a_field_the_label_needs_and_lacks_is_refused_by_name(
    changes: dict[str, Any], field: str, expected: str
) -> None:
    shipment = {k: v for k, v in {**SHIPMENT, **changes}.items() if v is not None}
    with pytest.raises(ShipmentError) as refused:
        carrier().label(shipment, "ground", "pdf")
    assert str(refused.value).startswith(expected)
    assert refused.value.field == field


def test_a_format_or_service_the_carrier_does_not_print_is_refused() -> None:
    with pytest.raises(DeliveryError, match="prints pdf or zpl labels, not 'png'"):
        carrier().label(SHIPMENT, "ground", "png")
    with pytest.raises(DeliveryError, match="carrier PCL has no service 'express'"):
        carrier().label(SHIPMENT, "express", "pdf")


def test_the_carriers_of_a_loaded_catalogue_are_looked_up_by_code() -> None:
    catalog = load_catalog()
    carriers = RateCardCarriers(catalog)
    parcelline = carriers("PCL")
    assert parcelline is not None
    assert parcelline.card is next(card for card in catalog.cards if card.code == "PCL")
    assert carriers("NOPE") is None
    assert parcelline.label(SHIPMENT, "ground", "zpl") == carrier().label(SHIPMENT, "ground", "zpl")
