"""What the routes an outside system posts to, signed with its own secret, share (a helpdesk's
ticket updates, `api/routes/ticketing.py`; a carrier's tracking, `api/routes/carriers.py`).

The signature is the only way in. A caller presenting an Ordo credential is known, and
refused (403, logged as permissions refused are), since its key is not the outside
system's; one presenting a bad credential gets that credential's 401. The connector checks
the signature before it reads the body: a delivery it refuses is 401, logged on `ordo.auth`
as refused sign-ins are (`shown` is how the log names the caller), and a signed body it
cannot read is 422 naming the field, as any bad payload is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials

from api.deps import current_principal, log_forbidden_unless_logged, refused_sign_in
from connectors.base import WebhookPayloadError, WebhookRefused
from engine.service_layer.auth import Forbidden

T = TypeVar("T")


async def refuse_ordo_credentials(
    request: Request,
    api_key: str | None,
    bearer: HTTPAuthorizationCredentials | None,
    logged: str,
    refusal: str,
) -> None:
    """403 for a caller with an Ordo credential (`refusal`, after its role), logged as
    `logged`; nothing for one without, whose delivery the signature decides."""
    if api_key or bearer is not None or "authorization" in request.headers:
        principal = await current_principal(request, api_key, bearer)  # a bad one is 401
        log_forbidden_unless_logged(request, logged)
        raise Forbidden(f"role '{principal.role}' may not {refusal}")


async def read_signed(
    request: Request, read: Callable[[Mapping[str, str], bytes], T], shown: str
) -> T:
    """What `read` (a connector's own reader) makes of the delivery once its signature is
    checked: 401 when it is not the outside system's, 422 at the field it cannot read."""
    try:
        return read(request.headers, await request.body())
    except WebhookRefused as refused:
        raise refused_sign_in(request, str(refused), shown) from None
    except WebhookPayloadError as unread:
        raise RequestValidationError(
            [{"loc": ("body", *unread.loc), "type": "value_error", "msg": unread.message}]
        ) from None
