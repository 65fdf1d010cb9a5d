"""A 4x6 inch shipping label, printed as ZPL (thermal printers) or as a PDF (any printer).

`LabelSheet` is what a label says: the carrier and its service, who it is from and to, the
tracking number (as text and as a Code 128 barcode), the ship date, the order and shipment it
belongs to, the weight when known and, on a return label, the RMA number (as text and as a
barcode of its own). `render(sheet, format)` prints it; the same sheet always gives the same
bytes, in either format, so a label made twice can be compared with the first. A packed
shipment's parcels are a sheet each (`parcel`: "PARCEL 2 OF 3" and its size), rendered
together into one document: a PDF page each, or ZPL labels one after another.

Text on a ZPL label goes through `_zpl_text`: every `^`, `~` and `_` (and every character
outside printable ASCII) is a `^FH` hex escape, so text can never start a ZPL command, and
`^CI28` makes the printer read the escaped bytes as UTF-8 (so `Zoë` prints as written on a
printer font that has the letter). The PDF uses the PDF standard Helvetica, which has the
Windows-1252 letters (é, ü, ß, ...): others are transliterated (Ł as L, ő as o) and what has
no Latin letter is printed as `?`.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

FORMATS = ("pdf", "zpl")
MEDIA_TYPES = {"pdf": "application/pdf", "zpl": "application/x-zpl"}


@dataclass(frozen=True, slots=True)
class Party:
    """One end of the journey: who sends or receives the parcel, and where."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    state: str = ""

    def lines(self) -> list[str]:
        where = f"{self.city}, {self.state}" if self.state else self.city
        place = f"{where} {self.postal_code}"
        return [self.name, self.line1, place, self.country]


@dataclass(frozen=True, slots=True)
class LabelSheet:
    carrier: str  # the carrier's name, e.g. "Parcelline"
    service: str  # the service's name, e.g. "Parcelline Ground"
    ship_from: Party
    ship_to: Party
    tracking_number: str
    ship_date: date
    reference: str = ""  # the order's number, as its channel knows it
    shipment_id: str = ""
    weight_kg: float | None = None
    rma: str = ""  # a return label's authorisation number
    # One parcel of several: (its place, how many), and its outer sides in cm. A label
    # without them is the shipment's only one, and says nothing of parcels.
    parcel: tuple[int, int] | None = None
    dimensions_cm: tuple[float, float, float] | None = None

    @property
    def is_return(self) -> bool:
        return bool(self.rma)

    @property
    def rma_text(self) -> str:
        """The RMA as printed above its barcode: Ordo's own start with "RMA-" already."""
        return self.rma if self.rma.upper().startswith("RMA") else f"RMA {self.rma}"

    def details(self) -> list[str]:
        """The small print under the addresses: date, weight, what the parcel belongs to."""
        first = f"Ship date: {self.ship_date.isoformat()}"
        if self.weight_kg is not None:
            first += f"    Weight: {self.weight_kg:.2f} kg"
        second = "    ".join(
            text
            for text in (
                f"Order: {self.reference}" if self.reference else "",
                f"{'Return' if self.is_return else 'Shipment'}: {self.shipment_id}"
                if self.shipment_id
                else "",
            )
            if text
        )
        return [first, second] if second else [first]

    def parcel_line(self) -> str:
        """Which parcel of the shipment this is and its size, printed under the tracking
        number ("PARCEL 2 OF 3   45 x 35 x 25 cm"); "" on a shipment's only label."""
        if self.parcel is None:
            return ""
        line = f"PARCEL {self.parcel[0]} OF {self.parcel[1]}"
        if self.dimensions_cm is not None:
            line += "   " + " x ".join(f"{side:g}" for side in self.dimensions_cm) + " cm"
        return line


def render(sheet: LabelSheet | Sequence[LabelSheet], format: str) -> bytes:
    """The label in `format` ("pdf" or "zpl"); anything else is a ValueError naming both.
    Several sheets (a shipment's parcels) make one document: a PDF of a page each, or their
    ZPL labels one after another. One sheet prints as it always has."""
    renderer = _RENDERERS.get(format)
    if renderer is None:
        raise ValueError(f"no label format '{format}': expected one of {', '.join(FORMATS)}")
    sheets = (sheet,) if isinstance(sheet, LabelSheet) else tuple(sheet)
    if not sheets:
        raise ValueError("a label needs at least one sheet")
    return renderer(sheets)


# --- ZPL: 4x6 inch at 203 dpi (812 x 1218 dots) ------------------------------------------------

_ZPL_WIDTH, _ZPL_MARGIN = 812, 30
_ZPL_RULE = f"^GB{_ZPL_WIDTH - 2 * _ZPL_MARGIN},3,3^FS"


def render_zpl(sheets: Sequence[LabelSheet]) -> bytes:
    """Each sheet a label (`^XA` ... `^XZ`), one after another: the printer prints them in turn."""
    return "\n".join(_zpl_label(sheet) for sheet in sheets).encode("ascii")


def _zpl_label(sheet: LabelSheet) -> str:
    commands = ["^XA", "^CI28", f"^PW{_ZPL_WIDTH}", "^LL1218", "^LH0,0"]

    def text(y: int, size: int, value: str, limit: int) -> None:
        commands.append(f"^FO{_ZPL_MARGIN},{y}^A0N,{size},{size}{_zpl_text(_fit(value, limit))}")

    def rule(y: int) -> None:
        commands.append(f"^FO{_ZPL_MARGIN},{y}{_ZPL_RULE}")

    text(30, 50, sheet.carrier.upper(), 28)
    text(90, 30, sheet.service + ("  RETURN" if sheet.is_return else ""), 46)
    rule(135)
    text(150, 22, "FROM", 60)
    for row, line in enumerate(sheet.ship_from.lines()):
        text(178 + 28 * row, 24, line, 56)
    rule(300)
    text(315, 24, "SHIP TO", 60)
    for row, line in enumerate(sheet.ship_to.lines()):
        text(345 + 50 * row, 42, line, 34)
    rule(550)
    for row, line in enumerate(sheet.details()):
        text(565 + 34 * row, 26, line, 56)
    rule(640)
    y = 660
    if sheet.is_return:
        text(y, 50, sheet.rma_text, 28)
        commands.append(_zpl_barcode(y + 60, 100, sheet.rma))
        y += 190
    height = 160 if sheet.is_return else 300
    commands.append(_zpl_barcode(y, height, sheet.tracking_number))
    text(y + height + 20, 36, f"TRACKING #: {sheet.tracking_number}", 38)
    if sheet.parcel is not None:
        text(y + height + 80, 40, sheet.parcel_line(), 34)
    commands.append("^XZ")
    return "\n".join(commands)


def _zpl_barcode(y: int, height: int, value: str) -> str:
    """A Code 128 barcode (`^BC`, automatic code sets) as wide as fits: the module width
    (`^BY`, in dots) is the widest at which the worst case, 11 modules a character plus start,
    check and stop, still fits between the margins."""
    modules = 11 * len(value) + 35
    module = max(1, min(3, (_ZPL_WIDTH - 2 * _ZPL_MARGIN) // modules))
    return f"^FO{_ZPL_MARGIN},{y}^BY{module}^BCN,{height},N,N,N,A{_zpl_text(value)}"


def _zpl_text(text: str) -> str:
    """A ZPL field that prints `text` as written: with `^FH`, `_` followed by two hex digits
    is a byte, so `^` and `~` (which would start a command, `^XZ` ending the label), `_`
    itself and every byte of a character outside printable ASCII (read as UTF-8 under
    `^CI28`) are written that way. Control characters (a line break in a name) print as a
    space: the field is one line."""
    escaped: list[str] = []
    for char in text:
        if char in "^~_" or not char.isascii():
            escaped.extend(f"_{byte:02X}" for byte in char.encode("utf-8"))
        elif not char.isprintable():
            escaped.append(" ")
        else:
            escaped.append(char)
    return f"^FH^FD{''.join(escaped)}^FS"


# --- PDF: 4x6 inch (288 x 432 points), Helvetica, Code 128 from reportlab ----------------------

_PDF_WIDTH, _PDF_HEIGHT, _PDF_MARGIN = 288.0, 432.0, 14.0


def render_pdf(sheets: Sequence[LabelSheet]) -> bytes:
    """A page for each sheet, titled by the first (the shipment's master tracking number)."""
    # Imported here: reportlab is only needed when a PDF is asked for, not at start-up.
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    # `invariant=1` fixes the creation date and the document id, which would otherwise make
    # every rendering of the same label different bytes.
    pdf = Canvas(out, pagesize=(_PDF_WIDTH, _PDF_HEIGHT), invariant=1, pageCompression=1)
    pdf.setTitle(f"{sheets[0].carrier} label {sheets[0].tracking_number}")
    pdf.setAuthor("Ordo")
    pdf.setCreator("Ordo")
    for sheet in sheets:
        _pdf_page(pdf, sheet)
    pdf.save()
    return out.getvalue()


def _pdf_page(pdf: Any, sheet: LabelSheet) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    room = _PDF_WIDTH - 2 * _PDF_MARGIN

    def text(y: float, size: float, value: str, bold: bool = False) -> None:
        font = "Helvetica-Bold" if bold else "Helvetica"
        line = _latin(value)
        while line and stringWidth(line, font, size) > room:
            line = line[:-2] + "…"  # "…" is in Windows-1252, so Helvetica has it
        pdf.setFont(font, size)
        pdf.drawString(_PDF_MARGIN, y, line)

    def rule(y: float) -> None:
        pdf.setLineWidth(1.5)
        pdf.line(_PDF_MARGIN, y, _PDF_WIDTH - _PDF_MARGIN, y)

    text(410, 18, sheet.carrier.upper(), bold=True)
    text(394, 11, sheet.service + ("  RETURN" if sheet.is_return else ""))
    rule(386)
    text(375, 7, "FROM", bold=True)
    for row, line in enumerate(sheet.ship_from.lines()):
        text(365 - 9 * row, 8, line)
    rule(324)
    text(313, 7, "SHIP TO", bold=True)
    for row, line in enumerate(sheet.ship_to.lines()):
        text(298 - 15 * row, 13, line, bold=row == 0)
    rule(236)
    for row, line in enumerate(sheet.details()):
        text(225 - 11 * row, 8, line)
    rule(200)
    top = 190.0
    if sheet.is_return:
        text(top - 16, 16, sheet.rma_text, bold=True)
        _pdf_barcode(pdf, top - 66, 44, sheet.rma, room)
        top -= 76
    height = 60.0 if sheet.is_return else 120.0
    _pdf_barcode(pdf, top - height, height, sheet.tracking_number, room)
    text(top - height - 18, 12, f"TRACKING #: {sheet.tracking_number}", bold=True)
    if sheet.parcel is not None:
        text(top - height - 36, 12, sheet.parcel_line(), bold=True)
    pdf.showPage()


def _pdf_barcode(pdf: object, y: float, height: float, value: str, room: float) -> None:
    """A Code 128 barcode at the left margin, with bars as wide as fit (at most 1.5 pt)."""
    from reportlab.graphics.barcode.code128 import Code128

    measured = Code128(value, barWidth=1.0, barHeight=height, quiet=0, humanReadable=0)
    width = min(1.5, room / float(measured.width))
    barcode = Code128(value, barWidth=width, barHeight=height, quiet=0, humanReadable=0)
    barcode.drawOn(pdf, _PDF_MARGIN, y)


# Letters with no decomposition to a Latin base letter (NFKD leaves them alone).
_LATIN_LOOKALIKES = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h",
                                   "ı": "i", "Ŧ": "T", "ŧ": "t", "ĸ": "k"})  # fmt: skip


def _latin(text: str) -> str:
    """`text` as Helvetica can print it: Windows-1252 characters as they are, others by
    their Latin base letter where they have one (ő as o, Ł as L), else `?`; control
    characters as a space."""
    printed = []
    for char in text.translate(_LATIN_LOOKALIKES):
        if not char.isprintable():
            printed.append(" ")
        elif _in_cp1252(char):
            printed.append(char)
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            printed.append(base if base and all(_in_cp1252(c) for c in base) else "?")
    return "".join(printed)


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _fit(text: str, limit: int) -> str:
    """At most `limit` characters: a longer text is cut, ending in '...'."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


_RENDERERS: dict[str, Callable[[Sequence[LabelSheet]], bytes]] = {
    "pdf": render_pdf,
    "zpl": render_zpl,
}
