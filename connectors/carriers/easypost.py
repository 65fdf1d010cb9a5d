"""A carrier reached through EasyPost's multi-carrier API (UPS, FedEx, DHL, USPS and others).

One connector serves one Ordo carrier code (a rate card's `code`) with one carrier at EasyPost
(`carrier`, EasyPost's name of it: "UPS", "FedEx", "USPS", "DHLExpress"), on the retailer's
own EasyPost account: the API key is the HTTP Basic user name, with no password. `services`
names, for each of Ordo's service codes (the rate card's), the carrier's service at EasyPost
("GROUND" -> "Ground"); a service it does not name is neither quoted nor bought. The rate
cards still price and choose carriers in the Decider: EasyPost is asked when a label is
bought, a return is rated, a parcel is tracked or a label is voided.

What is called when (https://docs.easypost.com, read for this module):

- `rates`: `POST /shipments` with both addresses and the parcel (ounces and inches); the
  answer's `rates` of this carrier, in Ordo's service codes. The shipment is never bought.
- `label`, one parcel: `POST /shipments` with `reference` set to Ordo's id of the shipment
  (or return), then `POST /shipments/{id}/buy` with the rate of the service; the label file
  is fetched from `postage_label` (`label_pdf_url`, `label_zpl_url`), after
  `GET /shipments/{id}/label?file_format=...` where EasyPost has not made that format yet.
- `label`, a packed shipment (`parcels`, two or more): an Order (`POST /orders`, a shipment
  per parcel, the same `reference`), bought as one (`POST /orders/{id}/buy` with carrier and
  service); a label per parcel, in the parcels' order. EasyPost has no one document for an
  order, so Ordo joins them: ZPL labels one after another, PDF labels merged into one
  document (pypdf).
- `track`: `POST /trackers` with the tracking code and carrier; EasyPost answers a repeat
  (same code and carrier within three months) with the tracker it made before.
- `void`: `POST /refunds` with the carrier and the labels' tracking codes; a refund that is
  `submitted` or `refunded` is done, a `rejected` one (a parcel scanned already, the void
  window past) is a `PermanentRefusal`. A request EasyPost refuses outright (a 4xx) may be
  a void asked again of a label refunded already (the worker's redelivery), so the refusal
  is not taken at its word: each label's shipment is looked up (`GET /trackers` by tracking
  code and carrier, the tracker EasyPost made when the label was bought naming its
  `shipment_id`, then `GET /shipments/{id}`) and its `refund_status` decides. Every label
  `submitted` or `refunded` is a void done; any other (`rejected`, none, no shipment found)
  leaves the `PermanentRefusal`, naming each label's status. A lookup EasyPost cannot
  answer now is a `DeliveryError`, so the void is tried again later.
- `poll_tracking` (the worker's poll of parcels its webhook has been silent about):
  `GET /trackers` by tracking code and carrier for each number, the newest tracker's
  `tracking_details` read exactly as a webhook's (`tracker_updates`). Nothing is created: a
  number EasyPost has no tracker of gives no scans.
- `tracking_updates`: EasyPost's webhook Event (`tracker.created`, `tracker.updated`, whose
  `result` is the Tracker), signed as its client libraries check it: `X-Hmac-Signature:
  hmac-sha256-hex=<hex>`, the HMAC-SHA256 of the raw body under the webhook's secret, the
  secret NFKD-normalised and UTF-8 encoded (easypost-python's `validate_webhook`). That
  signature carries no time, so a genuine delivery replayed later verifies again: it
  repeats scans Ordo has, which change nothing. EasyPost posts every event of the account
  to every webhook URL, so a tracker of another carrier is not this connector's: an empty
  list. (EasyPost's support pages also describe a newer `x-hmac-signature-v2` with
  `x-timestamp` and `x-path` headers; its client libraries do not check it yet, and neither
  does Ordo: easypost-python 10.7.0's `validate_webhook` (the newest, read for this) and
  easypost-node's check `X-Hmac-Signature` only, so there is no reference computation of v2
  to check against, and a guessed one would refuse EasyPost's own deliveries or take forged
  ones. A delivery signed with v2 alone is refused as unsigned; one carrying both headers is
  checked by its `X-Hmac-Signature`.)

Buying is safe to retry. Before buying, Ordo looks its shipment up by reference
(`GET /shipments/{reference}`, `GET /orders/{reference}`: EasyPost takes a reference where it
takes an id): one bought already (an answer lost on the way back) is returned as it is, one
created and not bought is bought. The risk left: EasyPost does not hold references unique,
so two attempts at the same moment (which Ordo's row lock on the shipment prevents) could
each create a shipment and buy it.

Asked again for a label whose tracking number Ordo holds (`tracking_number`, with the
`label_format` the label is in now: the other format of a label bought before), nothing is
bought: the shipment (or order) is found by its reference, its tracking code checked
against the number, and the same label fetched in the other format. A tracking number with
no label behind it (no `label_format`: the label bought under it was voided when the
shipment was packed again, or a location reported the number before any label) gets a new
label, bought under the reference `<id>~<that number>`, so the voided label is never handed
out again and a retry still finds the new one. Its other format is found by following the
labels from the first: the label under `<id>` is the voided one, its number names the
reference the next was bought under (`<id>~<number>`), and so on, a shipment or an order at
each (a one-parcel label packed again into several parcels is an order after a shipment), up
to the label numbered as Ordo's (ten labels at most). A label that trail does not reach
(none under `<id>`: the first was bought under a number a location reported) is refused (a
`PermanentRefusal`) saying it is kept in the format it was bought in.

Tracking: each TrackingDetail is a `TrackingUpdate` at its `datetime` in UTC, its `code` the
carrier's own (`carrier_code`, else EasyPost's status), its `milestone` from EasyPost's
status where that is unambiguous (in_transit, out_for_delivery, delivered; return_to_sender
is `returned`, failure an `exception`); EasyPost has no status of its own for a failed
delivery attempt, so that one, and the rest, are left for Ordo to read from the carrier's
code. The tracker's `est_delivery_date` goes on its latest scan.

A refusal EasyPost (or the carrier) will repeat however often it is asked (a 4xx other than
401, 403, 408, 409, 425 and 429; a service the account does not offer; a label kept in
another format) is a `PermanentRefusal`; EasyPost out of reach, failing (5xx) or asking to
wait is a `DeliveryError`, which the label route answers 503 and the worker retries.

Every refusal names EasyPost's host, what was asked (the shipment, the tracking number),
the status and EasyPost's own `error.message`, never the API key or the webhook secret.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from connectors.base import (
    Carrier,
    ConnectorConfig,
    DeliveryError,
    HttpConnector,
    PermanentRefusal,
    RateQuote,
    ShippingLabel,
    TrackingUpdate,
    WebhookPayloadError,
    WebhookRefused,
    check_base_url,
    host_of,
)
from connectors.carriers.ratecard import ShipmentError

DEFAULT_BASE_URL = "https://api.easypost.com/v2"
FORMATS = {"pdf": "PDF", "zpl": "ZPL"}
SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
TRACKER_EVENTS = ("tracker.created", "tracker.updated")
_OUNCES_PER_KG = 35.27396195
_CM_PER_INCH = 2.54
# EasyPost's tracker statuses that say one thing only (tracking_codes.Milestone's values).
MILESTONES = {
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "return_to_sender": "returned",
    "failure": "exception",
}
# Refund statuses that mean the label will not be charged for (or will be refunded).
_VOIDED = ("submitted", "refunded")
# How many labels of one shipment, each voided and bought again, are followed to find the one
# Ordo holds: a shipment is packed again after a short pick, rarely more than once or twice.
_LABELS_FOLLOWED = 10
# Refusals that trying again may mend (a key being fixed, a rate limit); any other 4xx is
# the request's own fault, a `PermanentRefusal`, and a 5xx or no answer is EasyPost's.
_RETRYABLE_REFUSALS = (401, 403, 408, 409, 425, 429)


class EasyPostConfig(ConnectorConfig):
    api_key: SecretStr  # the account's API key (Test or Production), sent as the user name
    base_url: str = DEFAULT_BASE_URL
    carrier: str  # EasyPost's name of the carrier: "UPS", "FedEx", "USPS", "DHLExpress"
    # The carrier accounts (ca_...) to rate and buy with; empty: every account of the carrier.
    carrier_accounts: tuple[str, ...] = ()
    # Ordo's service code (the rate card's) -> the carrier's service name at EasyPost.
    services: dict[str, str] = Field(min_length=1)
    # The secret of the EasyPost webhook that posts trackers to Ordo; None: refused.
    webhook_secret: SecretStr | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # The Ordo carrier code this connector serves (set from its ORDO_CARRIER_APIS entry).
    code: str = ""

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    @field_validator("api_key", "webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be blank (the value is not shown)")
        return value

    @field_validator("carrier")
    @classmethod
    def _carrier(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must be EasyPost\'s name of the carrier, such as "UPS"')
        return value.strip()

    @field_validator("carrier_accounts")
    @classmethod
    def _accounts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        accounts = tuple(account.strip() for account in value)
        if not all(accounts):
            raise ValueError("must be EasyPost carrier account ids (ca_...), none blank")
        return accounts

    @field_validator("services")
    @classmethod
    def _services(cls, value: dict[str, str]) -> dict[str, str]:
        services = {code.strip(): name.strip() for code, name in value.items()}
        if not all(services) or not all(services.values()):
            raise ValueError(
                "must map Ordo's service codes to the carrier's services at EasyPost, such as "
                '{"GROUND": "Ground"}, none blank'
            )
        names = [name.casefold() for name in services.values()]
        if len(set(names)) != len(names):
            raise ValueError("names one EasyPost service for two of Ordo's services")
        return services


class EasyPostCarrier(HttpConnector, Carrier):
    slug = "easypost"
    title = "Carrier over EasyPost's API (UPS, FedEx, DHL, USPS and others)"
    Config = EasyPostConfig
    config: EasyPostConfig

    @property
    def host(self) -> str:
        return host_of(self.config.base_url)

    # --- rates ------------------------------------------------------------------------------

    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]:
        """`shipment`: weight_kg, from_postal_code and to_postal_code (and any other address
        parts, `from_country`...), optional length_cm, width_cm and height_cm, and hazmat,
        which is refused: EasyPost declares dangerous goods per carrier option, which Ordo
        does not choose for a retailer."""
        fields = _fields(shipment)
        if fields.get("hazmat") is True:
            raise ShipmentError(
                "hazmat: dangerous goods are not rated through EasyPost by Ordo (the carrier's "
                "hazmat option must be chosen by a person)"
            )
        body = {
            "shipment": {
                "to_address": _address(fields, "to", label=False),
                "from_address": _address(fields, "from", label=False),
                "parcel": _parcel(fields),
                **self._accounts(),
            }
        }
        to = fields.get("to_postal_code", "?")
        created = self._call("POST", "/shipments", f"the rates of a parcel to {to}", body)
        ordo_codes = {name.casefold(): code for code, name in self.config.services.items()}
        quotes = []
        for rate in self._rates_of(created):
            code = ordo_codes.get(str(rate.get("service", "")).casefold())
            if code is None:
                continue
            quotes.append(
                RateQuote(
                    carrier=self.config.code or self.config.carrier,
                    service=code,
                    amount=_amount(rate.get("rate"), self.host),
                    currency=str(rate.get("currency") or "USD"),
                    transit_days=_days(rate),
                    promised_date=_day_of(rate.get("delivery_date")),
                )
            )
        return quotes

    def _rates_of(self, created: Any) -> list[dict[str, Any]]:
        """The answer's rates of this connector's carrier."""
        rates = created.get("rates") if isinstance(created, dict) else None
        carrier = self.config.carrier.casefold()
        return [
            rate
            for rate in rates or ()
            if isinstance(rate, dict) and str(rate.get("carrier", "")).casefold() == carrier
        ]

    # --- labels -----------------------------------------------------------------------------

    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel:
        """The label of `service` in `format`, bought once per Ordo shipment (its `id`, which
        is EasyPost's `reference`): see the module's docstring for the calls."""
        if format not in FORMATS:
            raise PermanentRefusal(f"EasyPost labels are {' or '.join(FORMATS)}, not '{format}'")
        fields = _fields(shipment)
        reference = _required_text(fields, "id", "EasyPost's reference for the label")
        issued = _optional_text(fields, "tracking_number")
        if issued and not _optional_text(fields, "label_format"):
            # A number with no label behind it now: the label bought under it was voided
            # (the shipment packed again), or a location reported the number before any
            # label. A new label is bought, under a reference of its own: never the voided
            # one found again, and still found again on a retry instead of bought twice.
            reference, issued = f"{reference}~{issued}", ""
        what = f"the label of {reference}"
        if fields.get("parcels") is not None:
            return self._order_label(fields, service, format, reference, issued, what)
        found = self._find("shipments", reference, what)
        if issued:
            bought = self._issued("shipments", found, reference, issued, format, what)
        elif found is not None and _bought(found):
            bought = found  # bought before, its answer lost: not bought twice
        else:
            bought = self._buy_shipment(found, fields, service, format, reference, what)
        number = _tracking_code(bought, self.host, what)
        return ShippingLabel(number, format, self._document([bought], format, what))

    def _buy_shipment(
        self, found: dict[str, Any] | None, fields: Mapping[str, Any], service: str,
        format: str, reference: str, what: str,
    ) -> dict[str, Any]:  # fmt: skip
        carrier_service = self._carrier_service(service)
        created = found or self._call(
            "POST",
            "/shipments",
            what,
            {
                "shipment": {
                    "reference": reference,
                    "to_address": _address(fields, "to", label=True),
                    "from_address": _address(fields, "from", label=True),
                    "parcel": _parcel(fields),
                    "options": _options(fields, format),
                    **self._accounts(),
                }
            },
        )
        rate = self._rate(created, service, carrier_service, what)
        path = f"/shipments/{_id(created, self.host, what)}/buy"
        return _object(
            self._call("POST", path, what, {"rate": {"id": rate["id"]}}), self.host, what
        )

    def _order_label(
        self, fields: Mapping[str, Any], service: str, format: str, reference: str,
        issued: str, what: str,
    ) -> ShippingLabel:  # fmt: skip
        parcels = _parcels(fields)
        found = self._find("orders", reference, what)
        if issued:
            bought = self._issued("orders", found, reference, issued, format, what)
        elif found is not None and _order_bought(found):
            bought = found
        else:
            bought = self._buy_order(found, fields, parcels, service, format, reference, what)
        shipments = _order_shipments(bought)
        if len(shipments) != len(parcels):
            raise DeliveryError(
                f"EasyPost {self.host} answered {what} with {len(shipments)} labels for "
                f"{len(parcels)} parcels"
            )
        numbers = tuple(_tracking_code(s, self.host, what) for s in shipments)
        return ShippingLabel(numbers[0], format, self._document(shipments, format, what), numbers)

    def _buy_order(
        self, found: dict[str, Any] | None, fields: Mapping[str, Any],
        parcels: list[dict[str, Any]], service: str, format: str, reference: str, what: str,
    ) -> dict[str, Any]:  # fmt: skip
        carrier_service = self._carrier_service(service)
        options = _options(fields, format)
        created = found or self._call(
            "POST",
            "/orders",
            what,
            {
                "order": {
                    "reference": reference,
                    "to_address": _address(fields, "to", label=True),
                    "from_address": _address(fields, "from", label=True),
                    "shipments": [{"parcel": parcel, "options": options} for parcel in parcels],
                    **self._accounts(),
                }
            },
        )
        self._rate(created, service, carrier_service, what)  # refused here, by name, if none
        path = f"/orders/{_id(created, self.host, what)}/buy"
        body = {"carrier": self.config.carrier, "service": carrier_service}
        return _object(self._call("POST", path, what, body), self.host, what)

    def _carrier_service(self, service: str) -> str:
        try:
            return self.config.services[service]
        except KeyError:
            known = ", ".join(self.config.services)
            raise PermanentRefusal(
                f"carrier {self.config.code or self.config.carrier} has no service '{service}' "
                f"at EasyPost (its services setting names {known})"
            ) from None

    def _rate(self, created: Any, service: str, carrier_service: str, what: str) -> dict[str, Any]:
        for rate in self._rates_of(created):
            if str(rate.get("service", "")).casefold() == carrier_service.casefold() and rate.get(
                "id"
            ):
                return rate
        offered = sorted({str(rate.get("service")) for rate in self._rates_of(created)})
        messages = created.get("messages") if isinstance(created, dict) else None
        said = "; ".join(
            str(m.get("message"))
            for m in messages or ()
            if isinstance(m, dict) and m.get("message")
        )
        raise PermanentRefusal(
            f"EasyPost {self.host} has no {self.config.carrier} {carrier_service} rate for {what} "
            f"(Ordo's service {service}); it offered {', '.join(offered) or 'none'}"
            + (f" ({said[:200]})" if said else "")
        )

    def _find(self, kind: str, reference: str, what: str) -> dict[str, Any] | None:
        """The shipment or order with Ordo's `reference`, None when EasyPost has none."""
        path = f"/{kind}/{quote(reference, safe='')}"
        answer = self._call("GET", path, what, missing_is_none=True)
        return None if answer is None else _object(answer, self.host, what)

    def _issued(
        self, kind: str, found: dict[str, Any] | None, reference: str, issued: str,
        format: str, what: str,
    ) -> dict[str, Any]:  # fmt: skip
        """The shipment or order (`kind`) whose label Ordo holds as `issued`, to fetch in the
        other format: `found` under `reference`, or one bought again after a void. That one's
        reference is `<reference>~<the voided label's number>`, and the voided label is the
        one under the reference before it, so the labels are followed from the first, each
        voided number leading to the next reference, to the one numbered `issued`. A label
        may be a shipment and the next an order (packed into more parcels), so where `kind`
        has none under a reference the other kind is looked at. `_kept` when none is."""
        other = "orders" if kind == "shipments" else "shipments"
        at = reference
        for _ in range(_LABELS_FOLLOWED):
            number = _number_of(kind, found)
            if found is not None and number == issued:
                return found
            if found is None:
                number = _number_of(other, self._find(other, at, what))
            if not number:
                break  # no label under `at`, or one not bought: the trail ends
            at = f"{reference}~{number}"
            found = self._find(kind, at, what)
        raise self._kept(reference, issued, format)

    def _kept(self, reference: str, issued: str, format: str) -> PermanentRefusal:
        return PermanentRefusal(
            f"label {issued} of {reference} was bought at EasyPost in another format, and "
            f"EasyPost {self.host} has no shipment or order {reference} with that tracking number "
            f"(nor one bought again under {reference}~<a voided label's number>) to fetch it as "
            f"{format.upper()} from: the label is kept in the format it was bought in"
        )

    def _document(self, shipments: Sequence[dict[str, Any]], format: str, what: str) -> bytes:
        """The labels of `shipments` in `format`, as one document."""
        files = [self._label_file(shipment, format, what) for shipment in shipments]
        if len(files) == 1:
            return files[0]
        if format == "zpl":
            return b"".join(f if f.endswith(b"\n") else f + b"\n" for f in files)
        return _merged_pdf(files, self.host, what)

    def _label_file(self, shipment: dict[str, Any], format: str, what: str) -> bytes:
        url = _label_url(shipment, format)
        if not url:
            # EasyPost makes the other formats on demand and answers with the shipment.
            path = f"/shipments/{_id(shipment, self.host, what)}/label"
            converted = self._call("GET", path, what, params={"file_format": FORMATS[format]})
            url = _label_url(_object(converted, self.host, what), format)
        if not url:
            raise DeliveryError(
                f"EasyPost {self.host} answered {what} without a {format.upper()} label file"
            )
        # The file lives elsewhere (a storage host): the API key is not sent there.
        try:
            answer = self.client.get(url)
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"EasyPost's label file host {host_of(url)} unreachable for {what}: "
                f"{type(error).__name__}"
            ) from None
        if answer.status_code >= 300 or not answer.content:
            raise DeliveryError(
                f"EasyPost's label file host {host_of(url)} answered {answer.status_code} for "
                f"{what}'s {format.upper()} file"
            )
        return answer.content

    # --- tracking ---------------------------------------------------------------------------

    def track(self, tracking_number: str) -> list[TrackingUpdate]:
        what = f"tracking number {tracking_number}"
        body = {"tracker": {"tracking_code": tracking_number, "carrier": self.config.carrier}}
        return self._scans_of(self._call("POST", "/trackers", what, body), what)

    def poll_tracking(self, tracking_numbers: Sequence[str]) -> list[TrackingUpdate]:
        """Each number's scans from the tracker EasyPost has of it (`GET /trackers`, the
        newest, as for a void's refund status), read as a webhook's are; nothing for a
        number with no tracker. Nothing is created: `track`'s `POST /trackers` would make
        (and bill) a tracker for a number EasyPost never sold a label for."""
        updates: list[TrackingUpdate] = []
        for number in dict.fromkeys(n.strip() for n in tracking_numbers if n.strip()):
            what = f"the tracking of {number}"
            for tracker in self._trackers(number, what)[:1]:
                updates.extend(self._scans_of(tracker, what))
        return updates

    def _scans_of(self, tracker: Any, what: str) -> list[TrackingUpdate]:
        """A tracker EasyPost answered with, read as its webhook's are; one Ordo cannot read
        is EasyPost's fault, a `DeliveryError` naming the field."""
        try:
            return tracker_updates(tracker)
        except WebhookPayloadError as error:
            at = ".".join(str(part) for part in error.loc) or "the tracker"
            raise DeliveryError(
                f"EasyPost {self.host} answered a tracker for {what} that Ordo cannot read: "
                f"{at}: {error.message}"
            ) from None

    def tracking_updates(self, headers: Mapping[str, str], body: bytes) -> list[TrackingUpdate]:
        self.check_signature(headers, body)
        try:
            event = json.loads(body)
        except (ValueError, RecursionError):
            raise WebhookPayloadError((), "must be EasyPost's Event as JSON") from None
        if not isinstance(event, dict):
            raise WebhookPayloadError((), f"must be a JSON object, got {type(event).__name__}")
        description = event.get("description")
        if not isinstance(description, str) or not description:
            raise WebhookPayloadError(("description",), "is required: the Event's kind")
        if description not in TRACKER_EVENTS:
            return []
        tracker = event.get("result")
        if not isinstance(tracker, dict):
            raise WebhookPayloadError(("result",), "must be the Tracker the event is about")
        carrier = tracker.get("carrier")
        if isinstance(carrier, str) and carrier.casefold() != self.config.carrier.casefold():
            return []  # the account's other carriers' trackers reach every webhook URL
        return tracker_updates(tracker, ("result",))

    def check_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise `WebhookRefused`, saying why, unless `body` carries EasyPost's signature
        under the webhook secret. `headers` is looked up as given: pass a case-insensitive
        mapping (Starlette's and httpx's are)."""
        if self.config.webhook_secret is None:
            raise WebhookRefused(
                f"no webhook secret is set for carrier {self.config.code or self.config.carrier} "
                "(webhook_secret in ORDO_CARRIER_APIS), so no delivery can be checked: set the "
                "secret the EasyPost webhook was created with"
            )
        sent = headers.get(SIGNATURE_HEADER, "").strip()
        if not sent:
            raise WebhookRefused(
                f"the delivery is not signed: it needs the {SIGNATURE_HEADER} header EasyPost "
                "sends for a webhook with a secret"
            )
        secret = unicodedata.normalize("NFKD", self.config.webhook_secret.get_secret_value())
        digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        expected = (SIGNATURE_PREFIX + digest).encode()
        if not hmac.compare_digest(expected, sent.lower().encode("utf-8", "replace")):
            raise WebhookRefused(
                f"the {SIGNATURE_HEADER} signature does not match the body: webhook_secret must "
                "be the EasyPost webhook's secret, and the body must be sent exactly as signed"
            )

    # --- voids ------------------------------------------------------------------------------

    def void(self, tracking_numbers: Sequence[str]) -> bool:
        numbers = [number for number in tracking_numbers if number]
        if not numbers:
            return False
        what = f"the void of label {', '.join(numbers)}"
        body = {"refund": {"carrier": self.config.carrier, "tracking_codes": numbers}}
        try:
            answer = self._call("POST", "/refunds", what, body)
        except PermanentRefusal as refused:
            # A label refunded already (a void asked again) is refused too: its shipment's
            # refund_status tells that one from a label EasyPost will not refund.
            return self._voided_before(numbers, refused)
        refunds = answer if isinstance(answer, list) else []
        statuses = {
            str(refund.get("tracking_code")): str(refund.get("status"))
            for refund in refunds
            if isinstance(refund, dict)
        }
        for number in numbers:
            status = statuses.get(number)
            if status is None:
                raise DeliveryError(
                    f"EasyPost {self.host} answered {what} without a refund of {number}"
                )
            if status not in _VOIDED:
                why = (
                    "the carrier rejected the refund (a parcel scanned already, or the void "
                    "window past)"
                    if status == "rejected"
                    else "that is not a refund Ordo can count on"
                )
                raise PermanentRefusal(
                    f"EasyPost {self.host} refused the void of label {number}: its refund is "
                    f"'{status}': {why}"
                )
        return True

    def _voided_before(self, numbers: Sequence[str], refused: PermanentRefusal) -> bool:
        """True when every label EasyPost would not refund is refunded (or being refunded)
        already; else `refused`, with the refund_status each label has at EasyPost. Where
        EasyPost cannot be asked now, a `DeliveryError`: the void is tried again later."""
        try:
            statuses = {number: self._refund_status(number) for number in numbers}
        except PermanentRefusal as unread:
            raise PermanentRefusal(
                f"{refused}; and its refund status could not be read: {unread}"
            ) from None
        if all(status in _VOIDED for status in statuses.values()):
            return True
        said = ", ".join(f"{number} {status or 'none'}" for number, status in statuses.items())
        raise PermanentRefusal(f"{refused} (refund_status at EasyPost: {said})") from None

    def _refund_status(self, number: str) -> str:
        """The `refund_status` of the shipment bought with tracking code `number` ("" for
        none, or no such shipment): found through its tracker (`GET /trackers`, by code and
        carrier, newest first), which EasyPost makes when a label is bought and which names
        the shipment."""
        what = f"the refund status of label {number}"
        for tracker in self._trackers(number, what):
            shipment_id = tracker.get("shipment_id")
            if not isinstance(shipment_id, str) or not shipment_id:
                continue  # a tracker of a label bought elsewhere: no shipment to ask
            path = f"/shipments/{quote(shipment_id, safe='')}"
            shipment = self._call("GET", path, what, missing_is_none=True)
            if isinstance(shipment, dict) and shipment.get("tracking_code") == number:
                status = shipment.get("refund_status")
                return status if isinstance(status, str) else ""
        return ""

    def _trackers(self, number: str, what: str) -> list[dict[str, Any]]:
        """EasyPost's trackers of tracking code `number` with this carrier, newest first
        (`GET /trackers`); none when it has none."""
        params = {"tracking_code": number, "carrier": self.config.carrier}
        answer = self._call("GET", "/trackers", what, params=params, missing_is_none=True)
        trackers = answer.get("trackers") if isinstance(answer, dict) else None
        found = trackers if isinstance(trackers, list) else []
        return [tracker for tracker in found if isinstance(tracker, dict)]

    # --- HTTP -------------------------------------------------------------------------------

    def _accounts(self) -> dict[str, Any]:
        if not self.config.carrier_accounts:
            return {}
        return {"carrier_accounts": [{"id": account} for account in self.config.carrier_accounts]}

    def _call(
        self, method: str, path: str, what: str, json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None, *, missing_is_none: bool = False,
    ) -> Any:  # fmt: skip
        """One request to the API: its JSON answer; None for a 404 when `missing_is_none`;
        else a `_refusal(status)` naming EasyPost's host, `what`, the status and its words."""
        auth = httpx.BasicAuth(self.config.api_key.get_secret_value(), "")
        try:
            answer = self.client.request(
                method, self.config.base_url + path, json=json, params=params, auth=auth,
                headers={"Accept": "application/json"},
            )  # fmt: skip
        except httpx.HTTPError as error:
            said = self._hidden(f"{type(error).__name__}: {error}")
            raise DeliveryError(f"EasyPost {self.host} unreachable for {what}: {said}") from None
        if answer.status_code == 404 and missing_is_none:
            return None
        if answer.status_code >= 300:
            said = self._hidden(easypost_error(answer))
            raise _refusal(answer.status_code)(
                f"EasyPost {self.host} refused {what}: {answer.status_code} {said}"
            )
        try:
            return answer.json()
        except ValueError:
            raise DeliveryError(
                f"EasyPost {self.host} answered {what} with something other than JSON"
            ) from None

    def _hidden(self, text: str) -> str:
        """`text` without the key or the secret, should EasyPost or httpx echo them."""
        secrets = [self.config.api_key, self.config.webhook_secret]
        hidden = [secret.get_secret_value() for secret in secrets if secret is not None]
        hidden.append(urlsplit(self.config.base_url).password or "")
        for secret in hidden:
            if secret:
                text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _refusal(status: int) -> type[DeliveryError]:
    """A request EasyPost refuses outright is not tried again, unless trying again could help
    (a key being fixed, a rate limit, EasyPost itself failing)."""
    if status >= 500 or status in _RETRYABLE_REFUSALS:
        return DeliveryError
    return PermanentRefusal


def easypost_error(answer: httpx.Response) -> str:
    """What EasyPost said, on one line: `error.code: error.message`, and each field's
    complaint; the start of the body when it is not EasyPost's JSON (a proxy's page)."""
    try:
        data = answer.json()
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        text = " ".join(answer.text.split())
        return text[:200] or answer.reason_phrase or "(no message)"
    said = ": ".join(str(error[key]) for key in ("code", "message") if error.get(key))
    fields = [
        f"{item.get('field')}: {item.get('message')}"
        for item in error.get("errors") or ()
        if isinstance(item, dict) and item.get("message")
    ]
    if fields:
        said += f" ({'; '.join(fields)})"
    return " ".join(said.split())[:400] or "(no message)"


# --- reading EasyPost's answers ------------------------------------------------------------


def tracker_updates(tracker: Any, loc: tuple[str | int, ...] = ()) -> list[TrackingUpdate]:
    """A Tracker's scans, oldest first; `WebhookPayloadError` names the field at fault
    (its path under `loc`)."""
    if not isinstance(tracker, dict):
        raise WebhookPayloadError(loc, "must be EasyPost's Tracker (a JSON object)")
    number = tracker.get("tracking_code")
    if not isinstance(number, str) or not number.strip():
        raise WebhookPayloadError((*loc, "tracking_code"), "is required: the parcel's number")
    details = tracker.get("tracking_details") or []
    if not isinstance(details, list):
        raise WebhookPayloadError((*loc, "tracking_details"), "must be a list of scans")
    updates = [
        _update(number.strip(), detail, (*loc, "tracking_details", place))
        for place, detail in enumerate(details)
    ]
    updates.sort(key=lambda update: update.at)
    expected = _day_of(tracker.get("est_delivery_date"))
    if updates and expected is not None:
        last = updates[-1]
        updates[-1] = TrackingUpdate(
            last.tracking_number, last.at, last.code, last.description, last.location,
            last.milestone, expected,
        )  # fmt: skip
    return updates


def _update(number: str, detail: Any, loc: tuple[str | int, ...]) -> TrackingUpdate:
    if not isinstance(detail, dict):
        raise WebhookPayloadError(loc, "must be a TrackingDetail (a JSON object)")
    stamp = detail.get("datetime")
    at = _moment(stamp) if isinstance(stamp, str) else None
    if at is None:
        raise WebhookPayloadError(
            (*loc, "datetime"), f"must be an ISO 8601 time, got {str(stamp)[:40]!r}"
        )
    status = _word(detail, "status", loc)
    code = _word(detail, "carrier_code", loc) or status or "unknown"
    place = detail.get("tracking_location")
    parts = (
        [_word(place, key, (*loc, "tracking_location")) for key in ("city", "state", "country")]
        if isinstance(place, dict)
        else []
    )
    return TrackingUpdate(
        tracking_number=number,
        at=at,
        code=code,
        description=_word(detail, "message", loc) or _word(detail, "description", loc),
        location=", ".join(part for part in parts if part),
        milestone=MILESTONES.get(status, ""),
    )


def _word(data: Mapping[str, Any], key: str, loc: tuple[str | int, ...]) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise WebhookPayloadError((*loc, key), f"must be text, got {type(value).__name__}")
    return value.strip()


def _moment(text: str) -> datetime | None:
    """A time EasyPost wrote, in UTC; one without a zone is UTC (EasyPost's default)."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _day_of(value: Any) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    at = _moment(value)
    if at is not None:
        return at.date()
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _object(answer: Any, host: str, what: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise DeliveryError(f"EasyPost {host} answered {what} with something other than an object")
    return answer


def _id(found: Mapping[str, Any], host: str, what: str) -> str:
    value = found.get("id")
    if not isinstance(value, str) or not value:
        raise DeliveryError(f"EasyPost {host} answered {what} without an id")
    return quote(value, safe="")


def _tracking_code(shipment: Mapping[str, Any], host: str, what: str) -> str:
    code = shipment.get("tracking_code")
    if not isinstance(code, str) or not code.strip():
        raise DeliveryError(f"EasyPost {host} answered {what} without a tracking code")
    return code.strip()


def _number_of(kind: str, found: Mapping[str, Any] | None) -> str:
    """The tracking number of the label of a shipment or an order (`kind`): an order's is its
    first parcel's, as Ordo's shipment's is; "" for none found, or none bought."""
    if found is None:
        return ""
    if kind == "orders":
        shipments = _order_shipments(found)
        found = shipments[0] if shipments else {}
    number = found.get("tracking_code")
    return number.strip() if isinstance(number, str) else ""


def _bought(shipment: Mapping[str, Any]) -> bool:
    return bool(shipment.get("tracking_code")) and isinstance(shipment.get("postage_label"), dict)


def _order_shipments(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    shipments = order.get("shipments")
    return [s for s in shipments if isinstance(s, dict)] if isinstance(shipments, list) else []


def _order_bought(order: Mapping[str, Any]) -> bool:
    shipments = _order_shipments(order)
    return bool(shipments) and all(_bought(shipment) for shipment in shipments)


def _label_url(shipment: Mapping[str, Any], format: str) -> str:
    label = shipment.get("postage_label")
    if not isinstance(label, dict):
        return ""
    url = label.get(f"label_{format}_url")
    if isinstance(url, str) and url:
        return url
    # The format it was bought in is `label_url`, whose type says which it is.
    kind = str(label.get("label_file_type") or "").lower()
    url = label.get("label_url")
    return url if format in kind and isinstance(url, str) else ""


def _amount(value: Any, host: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise DeliveryError(
            f"EasyPost {host} answered a rate that is no amount: {str(value)[:20]!r}"
        )
    return amount


def _days(rate: Mapping[str, Any]) -> int:
    """The rate's days in transit; 0 when the carrier gives none."""
    for key in ("delivery_days", "est_delivery_days"):
        value = rate.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return 0


def _merged_pdf(files: Sequence[bytes], host: str, what: str) -> bytes:
    # Imported here: only a packed shipment's PDF labels need it.
    from pypdf import PdfWriter
    from pypdf.errors import PyPdfError

    writer = PdfWriter()
    try:
        for content in files:
            writer.append(io.BytesIO(content))
        merged = io.BytesIO()
        writer.write(merged)
    except (PyPdfError, ValueError) as error:
        raise DeliveryError(
            f"EasyPost {host} answered {what} with a PDF label Ordo cannot read: {error}"
        ) from None
    return merged.getvalue()


# --- what Ordo sends ----------------------------------------------------------------------


def _fields(shipment: Any) -> Mapping[str, Any]:
    if not isinstance(shipment, Mapping):
        raise ShipmentError(
            f"shipment: expected a mapping of fields, got {type(shipment).__name__}"
        )
    return shipment


def _optional_text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ShipmentError(f"{name}: expected text, got {type(value).__name__}")
    return value.strip()


def _required_text(fields: Mapping[str, Any], name: str, why: str) -> str:
    text = _optional_text(fields, name)
    if not text:
        raise ShipmentError(f"{name}: missing ({why})")
    return text


# Ordo's address parts -> EasyPost's; those a label needs are refused when missing.
_ADDRESS = {"name": "name", "line1": "street1", "city": "city", "state": "state",
            "postal_code": "zip", "country": "country"}  # fmt: skip
_LABEL_NEEDS = ("name", "line1", "city", "postal_code", "country")


def _address(fields: Mapping[str, Any], end: str, *, label: bool) -> dict[str, str]:
    address = {}
    for part, theirs in _ADDRESS.items():
        name = f"{end}_{part}"
        if label and part in _LABEL_NEEDS:
            address[theirs] = _required_text(fields, name, "the carrier's label prints it")
        elif not label and part == "postal_code":
            address[theirs] = _required_text(fields, name, "the carrier rates by it")
        elif text := _optional_text(fields, name):
            address[theirs] = text
    return address


def _measure(fields: Mapping[str, Any], name: str, what: str, required: bool) -> float | None:
    value = fields.get(name)
    if value is None:
        if required:
            raise ShipmentError(f"{name}: missing ({what})")
        return None
    number = math.nan
    if isinstance(value, int | float | Decimal | str) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise ShipmentError(f"{name}: expected a number above 0, got {str(value)[:40]!r}")
    return number


def _parcel(fields: Mapping[str, Any]) -> dict[str, float]:
    """EasyPost's parcel: the weight in ounces and the sides in inches, to a tenth."""
    weight = _measure(fields, "weight_kg", "EasyPost rates and buys by the parcel's weight", True)
    assert weight is not None  # required above
    parcel = {"weight": round(max(weight * _OUNCES_PER_KG, 0.1), 1)}
    for side, theirs in (("length_cm", "length"), ("width_cm", "width"), ("height_cm", "height")):
        length = _measure(fields, side, "a length in cm", False)
        if length is not None:
            parcel[theirs] = round(max(length / _CM_PER_INCH, 0.1), 1)
    return parcel


def _parcels(fields: Mapping[str, Any]) -> list[dict[str, float]]:
    given = fields.get("parcels")
    if isinstance(given, str | bytes) or not isinstance(given, Sequence) or not given:
        raise ShipmentError("parcels: expected a list of one parcel or more")
    parcels = []
    for place, parcel in enumerate(given):
        if not isinstance(parcel, Mapping):
            raise ShipmentError(f"parcels[{place}]: expected a parcel (a mapping with weight_kg)")
        try:
            parcels.append(_parcel(parcel))
        except ShipmentError as error:
            raise ShipmentError(f"parcels[{place}].{error}") from None
    return parcels


def _options(fields: Mapping[str, Any], format: str) -> dict[str, str]:
    options = {"label_format": FORMATS[format]}
    rma = _optional_text(fields, "rma")
    if rma:
        options["print_custom_1"] = f"RMA {rma}"  # printed on the label, for the return's desk
    return options
