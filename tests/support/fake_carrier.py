"""A fake carrier API behind the `Carrier` interface: its labels cost money, so it takes
voids (and keeps each one it was asked for), and it pushes tracking by a signed webhook of
its own simple format:

    {"scans": [{"tracking_number", "at", "code", "milestone"?, "estimated_delivery"?}]}

signed by `X-Fake-Signature`, the hex HMAC-SHA256 of the body under `SECRET`. Prices,
labels and polled tracking are not its business here."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from connectors.base import (
    Carrier,
    RateQuote,
    ShippingLabel,
    TrackingUpdate,
    WebhookPayloadError,
    WebhookRefused,
)

SECRET = "fake-carrier-webhook-secret"
SIGNATURE_HEADER = "X-Fake-Signature"


class FakeCarrier(Carrier):
    """`answer` is what `void` says (True, False), or the error it raises; `asked` the
    numbers of each void asked for."""

    slug = "fake-api"

    def __init__(self, answer: Any = True) -> None:
        super().__init__()
        self.answer = answer
        self.asked: list[list[str]] = []

    def void(self, tracking_numbers: Sequence[str]) -> bool:
        self.asked.append(list(tracking_numbers))
        if isinstance(self.answer, Exception):
            raise self.answer
        return bool(self.answer)

    def tracking_updates(self, headers: Mapping[str, str], body: bytes) -> list[TrackingUpdate]:
        given = headers.get(SIGNATURE_HEADER, "")
        if not given:
            raise WebhookRefused(f"no {SIGNATURE_HEADER} header: the delivery is not signed")
        if not hmac.compare_digest(given, signature(body)):
            raise WebhookRefused(f"{SIGNATURE_HEADER} does not match the body")
        try:
            scans = json.loads(body)["scans"]
        except (ValueError, KeyError, TypeError):
            raise WebhookPayloadError(("scans",), "missing: a list of scans") from None
        return [_update(index, scan) for index, scan in enumerate(scans)]

    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]:
        raise NotImplementedError

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        raise NotImplementedError

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        raise NotImplementedError


def _update(index: int, scan: dict[str, Any]) -> TrackingUpdate:
    try:
        at = datetime.fromisoformat(scan["at"])
    except (KeyError, ValueError, TypeError):
        raise WebhookPayloadError(("scans", index, "at"), "must be an ISO 8601 time") from None
    estimate = scan.get("estimated_delivery")
    return TrackingUpdate(
        scan["tracking_number"],
        at,
        scan["code"],
        milestone=scan.get("milestone", ""),
        estimated_delivery=date.fromisoformat(estimate) if estimate else None,
    )


def signature(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(body: bytes) -> dict[str, str]:
    return {SIGNATURE_HEADER: signature(body), "Content-Type": "application/json"}


def scans(*scan: dict[str, Any]) -> bytes:
    """A delivery's body of these scans."""
    return json.dumps({"scans": list(scan)}).encode()


def with_fake(
    carriers: Callable[[str], Carrier | None], code: str, fake: FakeCarrier
) -> Callable[[str], Carrier | None]:
    """The carrier lookup `carriers` with carrier `code`'s connector the fake (a carrier API
    configured for it), every other code's as before."""
    return lambda asked: fake if asked == code else carriers(asked)
