"""Shipping and return labels as the API takes requests for them and hands them out."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi.responses import Response
from pydantic import Field

from api.schemas.common import Strict, problem_responses
from api.schemas.patterns import CODE


class LabelFormat(StrEnum):
    PDF = "pdf"  # a 4x6 inch page, for any printer
    ZPL = "zpl"  # for a Zebra (or ZPL) thermal printer


MEDIA_TYPES = {LabelFormat.PDF: "application/pdf", LabelFormat.ZPL: "application/x-zpl"}


class LabelIn(Strict):
    format: LabelFormat = Field(
        strict=False,
        description="`pdf` (a 4x6 inch page) or `zpl` (a thermal printer's commands). Asked "
        "again in the same format, the label made before comes back unchanged; in the other "
        "format, the same tracking number is printed again.",
        examples=["pdf"],
    )


class ReturnLabelIn(LabelIn):
    location_code: str | None = Field(
        default=None,
        pattern=CODE,
        description="Where the parcel goes back to (a warehouse, store or 3PL), kept on the "
        "return as its receiving location. Support and admins name it; without it the label "
        "goes to the location the return names already (409 when it names none).",
        examples=["DAL-01"],
    )

    model_config = {
        "extra": "forbid",
        "strict": True,
        "json_schema_extra": {"examples": [{"format": "pdf", "location_code": "DAL-01"}]},
    }


def label_responses(*problems: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route that answers the label document itself."""
    return {
        200: {
            "description": "The label, as an attachment: a PDF, or ZPL text.",
            "content": {
                MEDIA_TYPES[LabelFormat.PDF]: {"schema": {"type": "string", "format": "binary"}},
                MEDIA_TYPES[LabelFormat.ZPL]: {"schema": {"type": "string"}},
            },
        },
        **problem_responses(*problems),
    }


def label_download(content: bytes, format: str, name: str) -> Response:
    """A stored label as a download (`name.pdf`, `name.zpl`), typed by its format."""
    kind = LabelFormat(format)
    return Response(
        content,
        media_type=MEDIA_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind.value}"'},
    )
