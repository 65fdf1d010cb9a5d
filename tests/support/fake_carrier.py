"""A fake carrier API behind the `Carrier` interface: its labels cost money, so it takes
voids (and keeps each one it was asked for), and it pushes tracking by a signed webhook of
its own simple format:

    {"scans": [{"tracking_number", "at", "code", "milestone"?, "estimated_delivery"?}]}

signed by `X-Fake-Signature`, the hex HMAC-SHA256 of the body under `SECRET`. Its prices,
labels and polled tracking are those of the carrier it stands in front of (`printer`: the
rate card's connector `with_fake` replaces), as EasyPost's are the carrier's it fronts."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from connectors.base import (
    Carrier,
    PermanentRefusal,
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
    numbers of each void asked for; `printer` the carrier whose rates, labels and tracking
    it gives (None: it quotes and tracks nothing, and refuses to print)."""

    slug = "fake-api"

    def __init__(self, answer: Any = True, printer: Carrier | None = None) -> None:
        super().__init__()
        self.answer = answer
        self.printer = printer
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
        return [] if self.printer is None else self.printer.rates(shipment)

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        if self.printer is None:
            raise PermanentRefusal(f"carrier {self.slug} has no printer to label {shipment['id']}")
        return self.printer.label(shipment, service, format)

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        return [] if self.printer is None else self.printer.track(tracking_number)


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
    configured for it), printing through the connector it replaces; every other code's as
    before."""
    fake.printer = fake.printer or carriers(code)
    return lambda asked: fake if asked == code else carriers(asked)
