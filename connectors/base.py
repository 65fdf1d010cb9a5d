"""One base class per connector capability, each configured by a pydantic model.

A connector is a small class that talks to one outside system: a sales channel, a carrier, a
warehouse system, an ERP/CRM, a notification service, a ticketing tool. Each capability has
one abstract base here with the few methods the engine calls; a concrete connector subclasses
it, names itself with `slug`, and declares its settings as a pydantic `Config` model, which is
validated when the connector is built (a wrong setting fails at start-up, not on the first
order). Connectors are found through the `ordo.connectors` entry-point group, so a plugin
package adds one with a line in its own pyproject (after Netflix Dispatch's `plugins/bases`):

    [project.entry-points."ordo.connectors"]
    acme-post = "acme_ordo.carrier:AcmePostCarrier"
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

if TYPE_CHECKING:
    import httpx

ENTRY_POINT_GROUP = "ordo.connectors"
# How long an HTTP connector waits for an answer when its config does not say.
DEFAULT_TIMEOUT_SECONDS = 5.0


class ConnectorConfig(BaseModel):
    """Settings of one connector instance; unknown keys are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Connector:
    """What every connector shares: its identity and its validated configuration."""

    kind: ClassVar[str] = "connector"
    slug: ClassVar[str] = ""
    title: ClassVar[str] = ""
    Config: ClassVar[type[ConnectorConfig]] = ConnectorConfig

    def __init__(self, config: ConnectorConfig | Mapping[str, Any] | None = None) -> None:
        self.config = (
            config
            if isinstance(config, self.Config)
            else self.Config.model_validate(dict(config or {}))
        )


class HttpConnector(Connector):
    """A connector that talks HTTP: its `httpx.Client`, made on first use with the config's
    `timeout_seconds` (no connection at start-up), or the one given (tests pass one over an
    `httpx.MockTransport`). Put it before the capability: `class X(HttpConnector, ErpCrm)`.
    `clock` gives the time in Unix seconds that a signed request carries (`signed_headers`);
    tests pass a fixed one."""

    def __init__(
        self,
        config: ConnectorConfig | Mapping[str, Any] | None = None,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(config)
        self._client = client
        self.clock = clock

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            # Imported here: every process imports this module (the carriers' rate cards),
            # and only those with an HTTP connector configured need httpx.
            import httpx

            timeout = float(getattr(self.config, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
            self._client = httpx.Client(timeout=timeout)
        return self._client


# --- what connectors exchange with the engine (plain data, no I/O) -------------------------


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One message to a person: an email, or an alert posted to a webhook or chat."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str = ""
    kind: str = ""  # e.g. "order_confirmed", "alert"
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RateQuote:
    carrier: str
    service: str
    amount: Decimal
    currency: str
    transit_days: int
    promised_date: date | None = None


@dataclass(frozen=True, slots=True)
class ShippingLabel:
    tracking_number: str
    format: str  # "pdf" | "zpl"
    content: bytes
    # A label of several parcels (the shipment's `parcels`): each parcel's tracking number,
    # in their order, the first being `tracking_number`; empty for a one-parcel label.
    parcel_tracking_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """One scan a carrier reports of a parcel: its number, when (UTC), the carrier's code
    for it, and what the carrier says. `milestone` is what the scan means in Ordo's words
    (`engine.domain.tracking_codes.Milestone`'s values) when the connector knows, "" to
    have Ordo read it from `code`; `estimated_delivery` the day the carrier now expects to
    deliver, when the scan says."""

    tracking_number: str
    at: datetime
    code: str
    description: str = ""
    location: str = ""
    milestone: str = ""
    estimated_delivery: date | None = None


@dataclass(frozen=True, slots=True)
class TicketUpdate:
    """What a helpdesk's webhook says of one of its tickets: the ticket's id there, Ordo's
    external id on it (`reference`, "" when it carries none: a ticket Ordo did not open),
    its status in Ordo's words (new, open, pending, hold, solved, closed), the helpdesk's
    time of it (UTC), and its latest public comment's author and text when it sends one."""

    external_ticket_id: str
    reference: str
    status: str
    at: datetime
    comment_author: str = ""
    comment: str = ""


@dataclass(frozen=True, slots=True)
class FoundOrder:
    """What a warehouse system said when asked for the order it made for one of Ordo's ids
    (`WarehouseSystem.find_fulfilment_order`, `find_transfer_order`): `reference`, its own id
    for it, when it holds one; "" when it holds none. `supported` False when it cannot be
    asked at all (`said`: why, for the person an alert asks to look instead)."""

    reference: str = ""
    supported: bool = True
    said: str = ""

    @classmethod
    def unsupported(cls, said: str) -> FoundOrder:
        return cls(supported=False, said=said)


class WebhookRefused(Exception):
    """A delivery to Ordo's webhook route that is not the outside system's: no signature, a
    wrong one, or one too old to trust. The message says which (never the secret)."""


class WebhookPayloadError(ValueError):
    """A signed delivery whose body cannot be read: `loc` is the field's path in it
    (("status",), or () for the body as a whole), and the message says what is wrong."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


# --- capabilities --------------------------------------------------------------------------


class SalesChannel(Connector, abc.ABC):
    """Turns a channel's order payload into Ordo's `CreateOrder` command."""

    kind = "sales_channel"

    @abc.abstractmethod
    def to_command(self, payload: Mapping[str, Any]) -> Any:
        """The channel's payload as an `engine.domain.commands.CreateOrder`."""


class Carrier(Connector, abc.ABC):
    """Rates, labels and tracking for shipments."""

    kind = "carrier"

    @abc.abstractmethod
    def rates(self, shipment: Mapping[str, Any]) -> list[RateQuote]: ...

    @abc.abstractmethod
    def label(self, shipment: Mapping[str, Any], service: str, format: str) -> ShippingLabel: ...

    @abc.abstractmethod
    def track(self, tracking_number: str) -> list[TrackingUpdate]: ...

    def void(self, tracking_numbers: Sequence[str]) -> bool:
        """Tell the carrier that a label Ordo bought will not be used (its parcels' tracking
        numbers, the shipment's first), so that it is not charged for: True once the carrier
        has taken it, or raise `DeliveryError`; `PermanentRefusal` when the carrier will not
        void it (a parcel scanned already, the void window past). Voiding a label voided
        before is not an error (a redelivered event). A carrier whose labels cost nothing
        until used (the rate-card labels Ordo prints itself) keeps this: there is nothing
        to void, and False says so."""
        return False

    def poll_tracking(self, tracking_numbers: Sequence[str]) -> list[TrackingUpdate] | None:
        """The scans the carrier has of these parcels, asked of its API without creating
        anything there (the worker's tracking poll, for parcels its webhook has been silent
        about: `engine.service_layer.carrier_polls`); a number it knows nothing of gives
        none. Raise `DeliveryError` when the carrier cannot be asked now. None says the
        carrier cannot be asked at all, whatever the numbers: a carrier with no API (the
        rate-card connector) keeps this, and asking about no numbers (`()`), which costs an
        API carrier no call, tells the poll which carriers to pass over."""
        return None

    def tracking_updates(self, headers: Mapping[str, str], body: bytes) -> list[TrackingUpdate]:
        """The scans a delivery of the carrier's tracking webhook carries, once its signature
        is checked: raises `WebhookRefused` when the delivery is not the carrier's (checked
        before the body is read) and `WebhookPayloadError` for a body it cannot read. A
        delivery about nothing Ordo tracks (another kind of event) is an empty list. A
        carrier that pushes nothing keeps this refusal."""
        raise WebhookRefused(
            f"carrier connector {self.slug} takes no webhook: its carrier's tracking is not "
            "pushed to Ordo"
        )


class WarehouseSystem(Connector, abc.ABC):
    """Hands released fulfilment orders to a WMS and reads back picks and shipments."""

    kind = "warehouse"
    # The ORDO_WMS entry it was built from (`connectors.warehouse.build_warehouses` sets it),
    # so that an alert names the WMS as the operator does; "" for one built otherwise.
    entry_name: str = ""

    @abc.abstractmethod
    def release(self, fulfilment_order: Mapping[str, Any]) -> str:
        """Send one fulfilment order; returns the WMS's reference for it."""

    @abc.abstractmethod
    def update(self, reference: str, fulfilment_order: Mapping[str, Any], change_id: str) -> None:
        """Send a fulfilment order the WMS holds as `reference` as it is now (a short pick
        took units off it), or raise `DeliveryError`; `PermanentRefusal` when the WMS is
        past changing it (shipped already). `change_id` names this change on every attempt."""

    @abc.abstractmethod
    def cancel(self, reference: str, fulfilment_order: Mapping[str, Any]) -> None:
        """Tell the WMS that holds `reference` Ordo no longer wants it shipped, or raise
        `DeliveryError`; `PermanentRefusal` when the WMS is past stopping it."""

    @property
    def takes_transfers(self) -> bool:
        """Whether this WMS is sent transfers at all (transfer orders, expected receipts):
        what `ordo wms send-transfers` lists before sending. A connector that implements
        `send_transfer` or `send_inbound_transfer` says yes unless it overrides this; one
        whose sends may answer None by a setting says that setting here."""
        base = WarehouseSystem
        kind = type(self)
        return (
            kind.send_transfer is not base.send_transfer
            or kind.send_inbound_transfer is not base.send_inbound_transfer
        )

    def send_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        """Send one stock transfer out of a location the WMS runs, for it to pick and ship
        (`engine.service_layer.wms_transfers.transfer_facts`); returns the WMS's reference
        for it, or raise `DeliveryError`. The transfer's id names it on every attempt. A
        connector whose WMS takes no transfers keeps this: None skips the transfer, which
        the location's staff then ship by hand, as before Ordo sent transfers anywhere."""
        return None

    def cancel_transfer(self, reference: str, transfer: Mapping[str, Any]) -> None:
        """Tell the WMS that holds transfer `reference` Ordo no longer wants it shipped, or
        raise `DeliveryError`; `PermanentRefusal` when the WMS is past stopping it. Only a
        transfer `send_transfer` answered a reference for is cancelled, so a connector that
        sends transfers and keeps this says it cannot stop one: a person is asked to."""
        raise PermanentRefusal(
            f"warehouse connector {self.slug} cannot cancel a transfer it was sent"
        )

    def find_fulfilment_order(self, shipment_id: str) -> FoundOrder:
        """Ask the WMS whether it holds a fulfilment order for Ordo's shipment `shipment_id`
        (one it took, though Ordo never kept the reference it answered: the answer was lost,
        or the worker's commit failed): its reference, "" when it holds none, or raise
        `DeliveryError` when it cannot answer now. Asked before Ordo concludes a cancelled
        shipment has nothing to cancel. A connector that keeps this cannot be asked: the
        shipment is left as it is and a person is alerted to look in the WMS."""
        return FoundOrder.unsupported(
            f"warehouse connector {self.slug} cannot look up a fulfilment order by Ordo's id"
        )

    def find_transfer_order(self, transfer_id: str) -> FoundOrder:
        """As `find_fulfilment_order`, for the transfer order of Ordo's transfer
        `transfer_id`. A WMS sent no transfers (`takes_transfers`) holds none; one that
        takes them and keeps this cannot be asked, as above."""
        if not self.takes_transfers:
            return FoundOrder()
        return FoundOrder.unsupported(
            f"warehouse connector {self.slug} cannot look up a transfer order by Ordo's id"
        )

    def send_inbound_transfer(self, transfer: Mapping[str, Any]) -> str | None:
        """Tell the WMS of a location it runs that a transfer is on its way there, so its
        dock expects it (`engine.service_layer.wms_transfers.inbound_facts`, which adds the
        carrier, tracking number and shipping moment); returns the name the WMS knows that
        expected receipt by (never ""), or raise `DeliveryError`; `PermanentRefusal` when
        the WMS will not expect it. Keeping this (None) tells it nothing, as before: the
        location receives the transfer by hand."""
        return None

    def update_inbound_transfer(
        self, reference: str, transfer: Mapping[str, Any], change_id: str
    ) -> bool:
        """Send the expected receipt the WMS knows as `reference` (`send_inbound_transfer`
        answered it) as it is now (`inbound_facts`: its arrival day was revised); returns
        whether it was sent, or raise `DeliveryError`; `PermanentRefusal` when the WMS will
        not take the change. `change_id` names this change on every attempt. Keeping this
        (False) tells it nothing, as before: the dock keeps the day it was first sent."""
        return False


class ErpCrm(Connector, abc.ABC):
    """Keeps an ERP or CRM in step with orders, refunds and customers."""

    kind = "erp_crm"

    @abc.abstractmethod
    def sync(self, entity: str, data: Mapping[str, Any]) -> None: ...

    @abc.abstractmethod
    def erase(self, entity: str, data: Mapping[str, Any]) -> None:
        """Have the system forget one entity's personal data (a customer's erasure)."""


class Notification(Connector, abc.ABC):
    """Delivers messages to people: email, webhooks, chat."""

    kind = "notification"

    @abc.abstractmethod
    def send(self, message: OutboundMessage) -> None:
        """Deliver one message or raise `DeliveryError`."""


class Ticketing(Connector, abc.ABC):
    """Opens tickets for alerts that need a person (a helpdesk or issue tracker), and reads
    what its webhook reports of them back."""

    kind = "ticketing"

    @abc.abstractmethod
    def open(
        self, title: str, body: str, labels: tuple[str, ...] = (), *, external_id: str = "",
        priority: str = "",
    ) -> str:  # fmt: skip
        """Open a ticket, or raise `DeliveryError`; returns its id in the ticketing system.

        `external_id` is Ordo's name for what the ticket is about: asked again with the same
        one (a redelivered event), the ticket opened before is returned and no second one
        is opened. `priority` is an alert severity (low, medium, high, critical), which the
        connector says in its system's words; "" leaves the system's default."""

    @abc.abstractmethod
    def acknowledge(self, ticket_id: str, comment: str) -> bool:
        """Tell ticket `ticket_id` that its alert was acknowledged in Ordo: add `comment` (who
        and when) and set the status the connector is configured with, or raise
        `DeliveryError`. Once only: asked again about the same ticket (a redelivered event)
        it changes nothing and returns False, as it does for a ticket past changing."""

    def note_repeat(self, ticket_id: str, comment: str, window: int) -> bool:
        """Tell ticket `ticket_id` that its alert keeps repeating: add `comment` (how often,
        the latest time and message) as an internal note, or raise `DeliveryError`. Once per
        repeat `window` (its number, counted from when the alert was raised): asked again
        about that window or an earlier one (a redelivered or late event) it changes nothing
        and returns False, as it does for a ticket solved or closed. A connector whose system
        takes no notes keeps this: nothing is added."""
        return False

    def note_quiet(self, ticket_id: str, comment: str, window: int) -> bool:
        """Tell ticket `ticket_id` that a storm of its alert's repeats has ended: add
        `comment` (the repeats since the last note, the latest time and message, quiet since
        when) as an internal note, or raise `DeliveryError`. Once per storm, named by the
        repeat `window` of its last note: asked again about that window or an earlier one it
        changes nothing and returns False, as it does for a ticket solved or closed. A
        connector whose system takes no notes keeps this: nothing is added."""
        return False

    def resolve(self, ticket_id: str, comment: str) -> bool:
        """Tell ticket `ticket_id` that its alert was closed in Ordo: add `comment` (who,
        when, why) as an internal note and mark the ticket done (Zendesk: solved), or raise
        `DeliveryError`. Once only: asked again about the same ticket (a redelivered event)
        it changes nothing and returns False, as it does for a ticket past changing. A
        connector that says nothing of closing takes it as an acknowledgement, which it
        takes once: a ticket acknowledged before is left as it is."""
        return self.acknowledge(ticket_id, comment)

    def ticket_update(self, headers: Mapping[str, str], body: bytes) -> TicketUpdate:
        """The update a delivery of the system's webhook carries, once its signature is
        checked: raises `WebhookRefused` when the delivery is not the system's (checked
        before the body is read) and `WebhookPayloadError` for a body it cannot read. A
        connector whose system reports nothing back keeps this refusal."""
        raise WebhookRefused(
            f"ticketing connector {self.slug} takes no webhook: its system's ticket updates "
            "are not read by Ordo"
        )


CAPABILITIES: tuple[type[Connector], ...] = (
    SalesChannel, Carrier, WarehouseSystem, ErpCrm, Notification, Ticketing,
)  # fmt: skip


class DeliveryError(Exception):
    """A connector could not reach, or was refused by, the outside system."""


class PermanentRefusal(DeliveryError):
    """The outside system understood the request and says it will never accept it (a WMS
    asked to cancel what it shipped already): trying again cannot help, so the caller tells
    a person instead of retrying. Where it is not caught, it is a `DeliveryError` like any."""


def describe_config_error(error: ValidationError, docs: str) -> tuple[str, str]:
    """The first fault of a connector's settings as (the field's path, what is wrong in a
    person's words), for a start-up error naming both. Never the value: it may be a secret.
    `docs` is the page that lists the connector's settings."""
    first = error.errors()[0]
    at = ".".join(str(part) for part in first["loc"])
    words = {
        "missing": "is required",
        "extra_forbidden": f"is not a setting of this connector (see {docs})",
    }
    message = words.get(first["type"], str(first["msg"]).removeprefix("Value error, "))
    if not at:  # a check across fields names its field at the front of its message
        at, _, message = message.partition(": ")
    return at, message


def check_base_url(value: str) -> str:
    """A connector's base URL: http(s) with a host and no query; without its trailing slash.
    The message never quotes it: a URL may carry a password or a token."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or a fragment (Ordo appends the path)")
    return text


def host_of(url: str) -> str:
    """Where a URL points, as it is safe to show in an error: scheme, host and port only.
    Receivers (Slack, Teams, a token-checking proxy) put their token in the path or the
    query, and a password may stand before the host: none of them shows."""
    parts = urlsplit(url.strip())
    host = parts.netloc.rpartition("@")[2]  # as written: a port that is no number stays
    return f"{parts.scheme}://{host}" if parts.scheme else "(a URL without a scheme)"


def url_parts(url: str) -> list[str]:
    """What of a URL must not show in an error should something echo it (an httpx error, a
    receiver's 404 quoting the path it was asked for): the URL, its path and query, and its
    password, longest first so the whole goes before its parts. Pass to `refusal_message`."""
    parts = urlsplit(url.strip())
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    hidden = [url.strip(), url.strip().rstrip("/"), parts.password or "", parts.query]
    if parts.path.strip("/"):  # "/" alone hides nothing and would mangle every message
        hidden += [tail, parts.path.rstrip("/")]
    return sorted({part for part in hidden if part}, key=len, reverse=True)


def signature(secret: str, content: bytes) -> str:
    """`sha256=<hex>`, the HMAC-SHA256 of a body with a shared secret: Ordo's older signature
    (header `X-Ordo-Signature`), over the body alone, kept for the receivers built on it."""
    return "sha256=" + hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


def message_id_of(*parts: str) -> str:
    """A Standard Webhooks message id made of what names one delivery: the receiver's URL and
    what a retry repeats (an event's id, a shipment's id). The same parts give the same id on
    every attempt, so a receiver can drop a repeat. `msg_` and 32 hex digits: no `.` to blur
    the signed content, and nothing of the parts (a token in a URL) shows through."""
    digest = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
    return f"msg_{digest[:32]}"


def standard_signature(key: bytes, message_id: str, timestamp: int, content: bytes) -> str:
    """`v1,<base64>`: the HMAC-SHA256 of `{id}.{timestamp}.{body}` under `key`, as the Standard
    Webhooks specification signs (https://www.standardwebhooks.com)."""
    signed = f"{message_id}.{timestamp}.".encode() + content
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, content: bytes, at: float) -> dict[str, str]:
    """The headers that sign one request: Standard Webhooks' `webhook-id`, `webhook-timestamp`
    (`at`, in whole Unix seconds) and `webhook-signature` (keyed with the secret's UTF-8
    bytes, as its libraries take a raw key: `Webhook(secret.encode())`), which cover the body,
    the id and the time of this attempt; and Ordo's older `X-Ordo-Signature`, unchanged.

    `message_id` must be the same on every attempt of one delivery (see `message_id_of`); the
    time is the attempt's own, so a receiver refuses a request replayed after its tolerance."""
    # A `.` in the id would let two (id, timestamp) pairs sign the same content.
    if not message_id or "." in message_id or not all("!" <= ch <= "~" for ch in message_id):
        raise ValueError(
            f"a message id must be printable ASCII without '.' or spaces, got {message_id!r}"
        )
    timestamp = math.floor(at)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secret.encode(), message_id, timestamp, content),
        "X-Ordo-Signature": signature(secret, content),
    }


def refusal_message(text: str, hidden: Iterable[str] = ()) -> str:
    """What an outside system said when it refused a request, for an error message: the
    `message`, `detail`, `error` or `title` of a JSON answer, else its text, on one line and
    at most 200 characters. A secret of `hidden` (what the request carried) never shows,
    should the answer echo it."""
    said = text
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        for key in ("message", "detail", "error", "title"):
            if isinstance(answer.get(key), str) and answer[key].strip():
                said = answer[key]
                break
    said = " ".join(said.split())
    for secret in hidden:
        if secret:
            said = said.replace(secret, "***")
    return said[:200] or "(no message)"


class ConnectorRegistry:
    """Connector classes by (kind, slug): registered in code or found through entry points."""

    def __init__(self) -> None:
        self._classes: dict[tuple[str, str], type[Connector]] = {}

    def register(self, cls: type[Connector]) -> type[Connector]:
        if not cls.slug:
            raise ValueError(f"{cls.__name__} needs a slug to be registered")
        self._classes[(cls.kind, cls.slug)] = cls
        return cls

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register every installed plugin's connector; returns their slugs."""
        found = []
        for point in entry_points(group=group):
            cls = point.load()
            if not (isinstance(cls, type) and issubclass(cls, Connector)):
                raise TypeError(f"entry point {point.name} is not an Ordo connector: {cls!r}")
            self.register(cls)
            found.append(cls.slug)
        return found

    def build(self, kind: str, slug: str, config: Mapping[str, Any] | None = None) -> Connector:
        try:
            cls = self._classes[(kind, slug)]
        except KeyError:
            known = ", ".join(sorted(s for k, s in self._classes if k == kind)) or "none"
            raise LookupError(f"no {kind} connector '{slug}' (known: {known})") from None
        return cls(config)

    def kinds(self) -> dict[str, list[str]]:
        listing: dict[str, list[str]] = {}
        for kind, slug in sorted(self._classes):
            listing.setdefault(kind, []).append(slug)
        return listing
