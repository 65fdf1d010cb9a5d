"""Value objects shared by several entities: addresses, dimensions, money helpers, clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal | float | int | str) -> Decimal:
    """Round an amount to cents the way invoices do (half up), whatever it came in as."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def utcnow() -> datetime:
    return datetime.now(UTC)


# The days Ordo takes from people and files (API queries, CLI options, imported histories):
# room on either side for the days counted back or on from one (a week's look-back from year 1,
# or a ship date computed past 9999-12-31, would overflow).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)


def in_utc(moment: datetime) -> datetime:
    """`moment` in UTC; one without an offset is taken as UTC already, as Ordo stores it."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address; coordinates are filled from the postal code when known."""

    postal_code: str
    country: str = "US"
    line1: str = ""
    city: str = ""
    state: str = ""
    name: str = ""
    lat: float | None = None
    lon: float | None = None

    def with_coordinates(self, lat: float, lon: float) -> Address:
        return Address(
            postal_code=self.postal_code,
            country=self.country,
            line1=self.line1,
            city=self.city,
            state=self.state,
            name=self.name,
            lat=lat,
            lon=lon,
        )


@dataclass(frozen=True, slots=True)
class Dimensions:
    """Outer package dimensions in centimetres."""

    length_cm: float = 0.0
    width_cm: float = 0.0
    height_cm: float = 0.0

    @property
    def volume_cm3(self) -> float:
        return self.length_cm * self.width_cm * self.height_cm
