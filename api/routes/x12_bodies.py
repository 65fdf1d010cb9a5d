"""What the routes taking an X12 interchange as their body share: the media types they take,
the 415 for any other, and the body read as text (a 422 naming the first byte that is not
UTF-8). `api.routes.edi` takes 850s and `api.routes.edi_functional_acks` 997s."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.errors import problem
from api.schemas.common import Problem
from engine.domain.errors import DomainError

MEDIA_TYPES = ("application/edi-x12", "text/plain")
# The 415 in the OpenAPI document of a route that takes an interchange.
UNSUPPORTED_MEDIA: dict[str, Any] = {
    "model": Problem,
    "description": "The body is not sent as application/edi-x12 (or text/plain).",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def openapi_body(what: str, example: str) -> dict[str, Any]:
    """The route's `openapi_extra`: its body, one interchange of `what`, in either media type."""
    text = {"schema": {"type": "string", "minLength": 1}, "example": example}
    return {
        "requestBody": {
            "required": True,
            "description": f"One X12 interchange (ISA ... IEA) of {what}, as the trading "
            "partner sent it. The delimiters are read from its ISA segment.",
            "content": {media: text for media in MEDIA_TYPES},
        }
    }


def refused_media(request: Request, instance: str) -> JSONResponse | None:
    """The 415 for a body not sent as X12 (or plain text); None when it is."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in MEDIA_TYPES:
        return None
    said = f"'{media}'" if media else "no Content-Type"
    return problem(
        415,
        f"the body must be an X12 interchange sent as Content-Type: application/edi-x12 "
        f"(or text/plain), not {said}",
        code="unsupported_media_type",
        instance=instance,
    )


def interchange_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DomainError(
            f"the interchange is not UTF-8 text: byte 0x{body[error.start]:02x} at offset "
            f"{error.start} cannot be read"
        ) from None
