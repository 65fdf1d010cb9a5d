"""Shared schema pieces: the strict base model, addresses, problems, pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from api.schemas.patterns import COUNTRY
from engine.domain import values
from engine.domain.values import Address, in_utc


class Strict(BaseModel):
    """Request bodies: an unknown field is an error that names it, never silently dropped,
    and a value of the wrong JSON type is refused rather than coerced (`false` is not 0.0,
    `"5"` is not 5). Dates, decimals and enums, which JSON can only carry as strings, opt out
    field by field with `Field(strict=False)`."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Out(BaseModel):
    """Response bodies."""

    model_config = ConfigDict(from_attributes=True)


# The days a query may name (`values.FIRST_DAY` to `LAST_DAY`), as written.
FIRST_DAY, LAST_DAY = values.FIRST_DAY.isoformat(), values.LAST_DAY.isoformat()


def _iso_date(value: object) -> object:
    """A day is written 2026-11-21: pydantic would also read `0.0` or `1.5e9` as epoch days."""
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("must be an ISO 8601 date such as 2026-11-21")
        if not FIRST_DAY <= value <= LAST_DAY:
            raise ValueError(f"must be a day from {FIRST_DAY} to {LAST_DAY}")
    return value


# For query parameters of type `date`: `Annotated[date | None, Query(...), IsoDate]`.
IsoDate = BeforeValidator(_iso_date)

# The moments a date-time may name: the days above, in UTC.
EARLIEST = datetime.combine(date.fromisoformat(FIRST_DAY), time.min, UTC)
LATEST = datetime.combine(date.fromisoformat(LAST_DAY), time.max, UTC)


def _iso_text(value: object) -> object:
    """A date-time is written 2026-11-22T09:30:00Z: pydantic would also read `1763803800` (or
    the same in quotes) as seconds since 1970."""
    if not isinstance(value, str) or value.lstrip("+-").replace(".", "", 1).isdigit():
        raise PydanticCustomError(
            "datetime_type", "must be an ISO 8601 date-time such as 2026-11-22T09:30:00Z"
        )
    return value


def _utc_in_range(moment: datetime) -> datetime:
    """The moment in UTC, within EARLIEST..LATEST. Year 1, or 9999 with an offset, falls off
    the calendar on the way, and the date arithmetic after it would fail."""
    try:
        utc: datetime | None = in_utc(moment)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise PydanticCustomError(
            "datetime_range", f"must be a date-time from {FIRST_DAY} to {LAST_DAY} in UTC"
        )
    return utc


def _in_range(moment: datetime) -> datetime:
    _utc_in_range(moment)
    return moment


# A date-time in a body, held in UTC (tracking events).
UtcDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_utc_in_range)]
# A date-time in a query, checked the same way and left as written (its offset is shown back).
QueryDateTime = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_in_range)]


# A country as the rules compare it (`== "US"`, `in embargoed_countries`): a lower-case "cu"
# would slip past an embargo on "CU", so the form is checked, not guessed.
Country = Annotated[
    str, Field(pattern=COUNTRY, description="ISO 3166-1 alpha-2, in capitals.", examples=["US"])
]


class AddressIn(Strict):
    postal_code: str = Field(min_length=1, max_length=20, examples=["10001"])
    country: Country = "US"
    line1: str = Field(default="", max_length=200, examples=["350 5th Ave"])
    city: str = Field(default="", max_length=100, examples=["New York"])
    state: str = Field(default="", max_length=50, examples=["NY"])
    name: str = Field(default="", max_length=200, examples=["Ada Lovelace"])
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


class AddressOut(Out):
    postal_code: str
    country: str
    line1: str
    city: str
    state: str
    name: str
    lat: float | None
    lon: float | None

    @classmethod
    def of(cls, address: Address) -> AddressOut:
        return cls(
            postal_code=address.postal_code,
            country=address.country,
            line1=address.line1,
            city=address.city,
            state=address.state,
            name=address.name,
            lat=address.lat,
            lon=address.lon,
        )


class FieldError(BaseModel):
    path: str = Field(description="Where: a JSON path into the body, or the parameter's name.")
    message: str
    type: str = ""


class Problem(BaseModel):
    """RFC 9457 problem details, served as application/problem+json."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["https://ordo.dev/problems/validation_error"])
    title: str = Field(examples=["Unprocessable request"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["the request is not valid: $.lines[0].quantity: must be > 0"])
    instance: str | None = None
    code: str | None = None
    errors: list[FieldError] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem+json errors a route returns."""
    descriptions = {
        400: "The body could not be read (not UTF-8 JSON, or nested too deeply).",
        401: "No credential, or one that does not check out.",
        403: "The caller's role or scope does not allow this.",
        404: "No such resource.",
        409: "The request clashes with the current state.",
        422: "The request is not valid; `errors` lists each bad field's path.",
        503: "The database is busy or does not answer; retry after `Retry-After` seconds.",
    }
    return {
        status: {
            "model": Problem,
            "description": descriptions.get(status, "Error"),
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for status in sorted({400, 401, 403, 422, *statuses})
    }
