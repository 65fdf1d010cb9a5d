"""Zendesk Support: tickets opened through its Tickets API, once per external id.

`open` first lists the tickets that carry Ordo's external id (`GET /api/v2/tickets.json?
external_id=...`) and returns the oldest one's id when there is one; only then does it create
the ticket (`POST /api/v2/tickets.json`). Ordo's deliveries are at least once, so the same
alert may be handed over twice; this is what keeps it one ticket. The list endpoint is used
rather than the search API because search is indexed a while after a ticket is made, and a
redelivery comes seconds after the first attempt.

Authentication is Zendesk's API token: basic auth as `{email}/token` with the token as the
password. The token is never part of an error message. The HTTP client is passed in (tests
give one with a mock transport) or built on first use, never at import.

The way back is a Zendesk webhook that a trigger posts to Ordo on every ticket update, with
the body `TRIGGER_BODY` (docs/events.md#ticket-updates). Zendesk signs each delivery: the
base64 HMAC-SHA256, under the webhook's signing secret (`webhook_secret`), of the timestamp
(`X-Zendesk-Webhook-Signature-Timestamp`) followed by the raw body, in
`X-Zendesk-Webhook-Signature`. `ticket_update` checks it, in constant time, and refuses a
timestamp more than five minutes from Ordo's clock, before it reads a byte of the body.

`acknowledge` tells an alert's ticket that the alert was acknowledged in Ordo: an internal
comment, the status `acknowledged_status` (solved unless set otherwise) and the tag
`ordo_acknowledged` in one `PUT /api/v2/tickets/{id}.json`. It reads the ticket first and
leaves alone one that has the tag (a redelivered acknowledgement) or is closed.

`resolve` tells an alert's ticket that the alert was closed in Ordo: an internal comment, the
status solved (whatever `acknowledged_status` says: the alert is over) and the tags
`ordo_closed` and `ordo_acknowledged` (so a late acknowledgement changes nothing after it) in
one update. It reads the ticket first and leaves alone one that has `ordo_closed` (a
redelivered close) or is closed.

`note_repeat` tells an alert's ticket that the alert keeps firing: an internal comment and
the tag `ordo_repeat_<window>` (the previous window's tag removed) in one update, status
untouched. It reads the ticket first and leaves alone one that has that window's tag or a
later one's (a redelivered or late repeat), and one solved or closed.

`note_quiet` tells it that a storm of repeats has ended: the last note, with the repeats
since the window's note, and the tag `ordo_quiet_<window>` (the earlier one's removed). It
leaves alone one that has that window's quiet tag or a later one's, and one solved or closed.

`{{ticket.status}}` renders a status as the account's agents read it: `Solved`, `On-hold` in
English, `Gelöst` or `Résolu` in a German or French account, and a custom status's own label
where custom ticket statuses are on. Zendesk's stable names are its six system statuses (a
custom status belongs to the category of one of them), so those are taken in any case and
spelling, and `status_labels` (ORDO_ZENDESK_STATUS_LABELS) says which category any other
label stands for. `system_status` does the matching, for both the webhook and the
configured `acknowledged_status`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr, ValidationInfo, field_validator

from connectors.base import (
    ConnectorConfig,
    DeliveryError,
    HttpConnector,
    Ticketing,
    TicketUpdate,
    WebhookPayloadError,
    WebhookRefused,
    host_of,
)

# Zendesk's four priorities, for Ordo's four severities.
PRIORITIES = {"low": "low", "medium": "normal", "high": "high", "critical": "urgent"}
# Zendesk puts a subject on one line and keeps the first 150 characters of it in views.
MAX_SUBJECT = 150
_SUBDOMAIN = re.compile(r"[a-z0-9][a-z0-9\-]{0,62}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_TIMEOUT = 60.0

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
# A delivery signed further than this from Ordo's clock is refused: a copy of a genuine one
# replayed later would otherwise be taken again.
MAX_SKEW_SECONDS = 300
# Zendesk's statuses; {{ticket.status}} renders them capitalised ("Solved").
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
# How an English account renders "hold" (and how people write it), besides its own name.
_HOLD_SPELLINGS = ("on-hold", "on hold", "on_hold")
# What an update may set: Zendesk closes a solved ticket itself, and "new" is before any agent.
SETTABLE_STATUSES = ("open", "pending", "hold", "solved")
# The tag an alert's ticket gets with the acknowledgement's comment: a redelivered
# acknowledgement finds it and adds no second comment, whatever an agent did to the status.
ACKNOWLEDGED_TAG = "ordo_acknowledged"
# The tag an alert's ticket gets with the close's note: one note, however often it comes.
CLOSED_TAG = "ordo_closed"
# The tag of a repeat's note, followed by its window's number: one note per window.
REPEAT_TAG = "ordo_repeat_"
# The tag of the note that ends a storm of repeats, followed by its last window's number.
QUIET_TAG = "ordo_quiet_"
MAX_EXCERPT = 500
# The body of the trigger's webhook action, as pasted into Zendesk (docs/events.md). Zendesk
# escapes what the placeholders render for JSON. The comment comes from the newest of the
# ticket's public comments (Zendesk lists them newest first); a ticket without one sends "".
TRIGGER_BODY: dict[str, str] = {
    "ticket_id": "{{ticket.id}}",
    "external_id": "{{ticket.external_id}}",
    "status": "{{ticket.status}}",
    "updated_at": "{{ticket.updated_at_with_timestamp}}",
    "comment_author": (
        "{% for comment in ticket.public_comments limit:1 %}{{comment.author.name}}{% endfor %}"
    ),
    "comment": "{% for comment in ticket.public_comments limit:1 %}{{comment.value}}{% endfor %}",
}


def tag(text: str) -> str:
    """A label as a Zendesk tag: Zendesk splits a tag at spaces and keeps it in lower case."""
    return re.sub(r"\s+", "_", text.strip().lower())


def status_key(text: str) -> str:
    """A status as written, made comparable: one Unicode form (an "ö" may come as "o" and a
    combining mark), no case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def system_status(text: str, labels: Mapping[str, str] | None = None) -> str | None:
    """The system status (one of `STATUSES`) that `text` names: the status itself in any
    case, "On-hold", or a label of `labels` (keys made with `status_key`); None otherwise."""
    key = status_key(text)
    if key in STATUSES:
        return key
    if key in _HOLD_SPELLINGS:
        return "hold"
    return (labels or {}).get(key)


def accepted_statuses(labels: Mapping[str, str] | None = None) -> str:
    """What a status may be, for an error: the six, and the configured labels if any."""
    text = ", ".join(STATUSES)
    if labels:
        shown = ", ".join(sorted(labels)[:10]) + (", ..." if len(labels) > 10 else "")
        text += f", or a label of ORDO_ZENDESK_STATUS_LABELS ({shown})"
    return text


def read_status_labels(value: Any) -> dict[str, str]:
    """`Gelöst=solved,Résolu=solved` (or a mapping) as {status_key(label): status}; a
    ValueError names the entry at fault."""
    if isinstance(value, Mapping):
        entries = [(str(label), str(status)) for label, status in value.items()]
    else:
        entries = []
        for item in str(value or "").split(","):
            if not item.strip():
                continue
            label, equals, status = item.rpartition("=")
            if not equals:
                raise ValueError(
                    f"{item.strip()[:60]!r} must be label=status, such as Gelöst=solved "
                    "(entries separated by commas)"
                )
            entries.append((label, status))
    labels: dict[str, str] = {}
    for label, status in entries:
        key, category = status_key(label), system_status(status)
        if not key:
            raise ValueError(f"'={status.strip()[:40]}' names no label before the =")
        if category is None:
            raise ValueError(
                f"{label.strip()[:60]!r} stands for {status.strip()[:40]!r}, which is not one "
                f"of Zendesk's statuses ({', '.join(STATUSES)})"
            )
        if system_status(key) not in (None, category):
            raise ValueError(
                f"{label.strip()[:60]!r} is Zendesk's own name of {system_status(key)}: it "
                "cannot stand for another status"
            )
        if labels.get(key, category) != category:
            raise ValueError(f"{label.strip()[:60]!r} stands for both {labels[key]} and {category}")
        labels[key] = category
    return labels


class ZendeskConfig(ConnectorConfig):
    # `acme` (the subdomain of acme.zendesk.com) or the account's address, which a host
    # mapped to the account (https://help.acme.example) needs.
    url: str
    email: str  # the agent the tickets are opened as
    token: SecretStr  # an API token of the account (Admin Center > Apps and integrations)
    timeout_seconds: float = 10.0
    group_id: int | None = None  # the group new tickets go to; None: the account's default
    tags: tuple[str, ...] = ("ordo",)  # on every ticket, before the ticket's own labels
    # The signing secret of the Zendesk webhook that posts ticket updates to Ordo (its page
    # in Admin Center > Apps and integrations > Webhooks); None: updates are refused.
    webhook_secret: SecretStr | None = None
    # What {{ticket.status}} renders in a Zendesk that is not in English, and custom
    # statuses' labels, by the system status they stand for: {"gelöst": "solved"}. Before
    # `acknowledged_status`, which may be one of them.
    status_labels: dict[str, str] = {}
    # The status an alert's ticket is given when the alert is acknowledged in Ordo.
    acknowledged_status: str = "solved"

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str:
        text = str(value).strip().rstrip("/")
        if _SUBDOMAIN.fullmatch(text):
            return f"https://{text}.zendesk.com"
        try:
            parts = httpx.URL(text) if "://" in text else None
        except httpx.InvalidURL:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.host:
            shown = repr(text[:80]) if "@" not in text else "a URL with credentials (not shown)"
            raise ValueError(
                "must be the account's subdomain (acme, for acme.zendesk.com) or its address "
                f"(https://acme.zendesk.com), got {shown}"
            )
        if parts.userinfo or parts.query or parts.path not in ("", "/"):
            raise ValueError(
                f"must be the account's address alone, such as https://{parts.host} (no "
                "path, query or credentials: the email and token are settings of their own)"
            )
        return f"{parts.scheme}://{parts.netloc.decode()}"

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str:
        text = str(value).strip()
        if not _EMAIL.fullmatch(text):
            raise ValueError(f"must be the email address of a Zendesk agent, got {text[:80]!r}")
        return text

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must be an API token of the account (the value is not shown)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError(
                "must be the signing secret of the Zendesk webhook (the value is not shown)"
            )
        return value

    @field_validator("status_labels", mode="before")
    @classmethod
    def _status_labels(cls, value: Any) -> dict[str, str]:
        return read_status_labels(value)

    @field_validator("acknowledged_status", mode="before")
    @classmethod
    def _acknowledged_status(cls, value: Any, info: ValidationInfo) -> str:
        text = str(value).strip()
        status = system_status(text, info.data.get("status_labels"))
        if status not in SETTABLE_STATUSES:
            # Zendesk's API sets the six by their English names only: a label is taken for
            # the status it stands for, and "closed" and "new" are Zendesk's own to set.
            raise ValueError(
                f"must be one of {', '.join(SETTABLE_STATUSES)}, or a label of "
                "ORDO_ZENDESK_STATUS_LABELS standing for one (the status an alert's ticket "
                f"gets when the alert is acknowledged in Ordo), got {text[:40]!r}"
            )
        return status

    @field_validator("timeout_seconds")
    @classmethod
    def _timeout(cls, value: float) -> float:
        if not 0 < value <= _MAX_TIMEOUT:  # also refuses nan
            raise ValueError(f"must be more than 0 and at most {_MAX_TIMEOUT:g} seconds")
        return value

    @field_validator("group_id")
    @classmethod
    def _group(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be the id of a Zendesk group (a positive number)")
        return value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> tuple[str, ...]:
        items = str(value).split(",") if isinstance(value, str) else list(value or ())
        return tuple(dict.fromkeys(tag(str(item)) for item in items if str(item).strip()))


class ZendeskTicketing(HttpConnector, Ticketing):
    slug = "zendesk"
    title = "Zendesk Support"
    Config = ZendeskConfig
    config: ZendeskConfig

    def open(
        self, title: str, body: str, labels: tuple[str, ...] = (), *, external_id: str = "",
        priority: str = "",
    ) -> str:  # fmt: skip
        if external_id:
            found = self.find(external_id)
            if found:
                return found
        ticket: dict[str, Any] = {
            "subject": " ".join(title.split())[:MAX_SUBJECT],
            "comment": {"body": body},
            "tags": list(dict.fromkeys((*self.config.tags, *(tag(x) for x in labels if x)))),
        }
        if external_id:
            ticket["external_id"] = external_id
        if priority in PRIORITIES:
            ticket["priority"] = PRIORITIES[priority]
        if self.config.group_id is not None:
            ticket["group_id"] = self.config.group_id
        answer = self._call("POST", {"ticket": ticket})
        made = answer.get("ticket")
        if not isinstance(made, dict) or made.get("id") in (None, ""):
            raise DeliveryError(f"Zendesk {host_of(self.config.url)} answered without a ticket id")
        return str(made["id"])

    def acknowledge(self, ticket_id: str, comment: str) -> bool:
        """Read the ticket first (`GET /api/v2/tickets/{id}.json`): one that carries
        `ACKNOWLEDGED_TAG` was updated before, and a closed one cannot be (Zendesk refuses
        it), so neither is changed. Otherwise `PUT` the comment, as an internal note, with
        the configured status and the tag, in one update."""
        path, ticket = self._ticket(ticket_id)
        if ACKNOWLEDGED_TAG in (ticket.get("tags") or ()) or ticket.get("status") == "closed":
            return False
        update = {
            "status": self.config.acknowledged_status,
            # Internal: the requester of an alert's ticket is Ordo's own agent, whom a public
            # comment would email.
            "comment": {"body": comment, "public": False},
            "additional_tags": [ACKNOWLEDGED_TAG],
        }
        self._call("PUT", {"ticket": update}, path=path)
        return True

    def resolve(self, ticket_id: str, comment: str) -> bool:
        """Read the ticket first: one that carries `CLOSED_TAG` was told before, and a closed
        one cannot be changed, so neither is. Otherwise `PUT` the comment, as an internal
        note, with the status solved and the tags, in one update."""
        path, ticket = self._ticket(ticket_id)
        if CLOSED_TAG in (ticket.get("tags") or ()) or ticket.get("status") == "closed":
            return False
        update = {
            "status": "solved",
            "comment": {"body": comment, "public": False},
            "additional_tags": [CLOSED_TAG, ACKNOWLEDGED_TAG],
        }
        self._call("PUT", {"ticket": update}, path=path)
        return True

    def note_repeat(self, ticket_id: str, comment: str, window: int) -> bool:
        """Read the ticket first: one tagged with this window's `REPEAT_TAG` or a later
        one's has had the note (a redelivery, or a repeat that arrived late), and a solved or
        closed one is seen to; neither is changed. Otherwise `PUT` the comment, as an
        internal note, with this window's tag, removing the earlier window's, so the ticket
        carries one such tag however long the alert repeats."""
        return self._note_once(ticket_id, comment, REPEAT_TAG, window)

    def note_quiet(self, ticket_id: str, comment: str, window: int) -> bool:
        """As `note_repeat`, with `QUIET_TAG`: the note ending a storm whose last repeat
        `window` ended quiet, once per window however often it is asked."""
        return self._note_once(ticket_id, comment, QUIET_TAG, window)

    def _note_once(self, ticket_id: str, comment: str, prefix: str, window: int) -> bool:
        """`PUT` `comment` as an internal note tagged `<prefix><window>` (the earlier
        window's tag removed), unless the ticket is solved or closed, or has that tag or a
        later window's already."""
        path, ticket = self._ticket(ticket_id)
        if ticket.get("status") in ("solved", "closed"):
            return False
        noted = [str(t) for t in ticket.get("tags") or () if str(t).startswith(prefix)]
        windows = [int(t[len(prefix) :]) for t in noted if t[len(prefix) :].isdigit()]
        if any(seen >= window for seen in windows):
            return False
        update: dict[str, Any] = {
            "comment": {"body": comment, "public": False},
            "additional_tags": [f"{prefix}{window}"],
        }
        if noted:
            update["remove_tags"] = noted
        self._call("PUT", {"ticket": update}, path=path)
        return True

    def _ticket(self, ticket_id: str) -> tuple[str, dict[str, Any]]:
        """The ticket's API path and the ticket as Zendesk has it now."""
        path = f"/api/v2/tickets/{quote(ticket_id, safe='')}.json"
        ticket = self._call("GET", path=path).get("ticket")
        if not isinstance(ticket, dict):
            raise DeliveryError(f"Zendesk {host_of(self.config.url)} answered without ticket "
                                f"{ticket_id}")  # fmt: skip
        return path, ticket

    def find(self, external_id: str) -> str:
        """The id of the oldest ticket carrying `external_id`; "" when there is none."""
        answer = self._call("GET", params={"external_id": external_id})
        tickets = answer.get("tickets")
        ids = [t["id"] for t in tickets or () if isinstance(t, dict) and "id" in t]
        return str(min(ids)) if ids else ""

    def ticket_update(self, headers: Mapping[str, str], body: bytes) -> TicketUpdate:
        self.check_signature(headers, body)
        return read_trigger_body(body, self.config.status_labels)

    def check_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise `WebhookRefused`, saying why, unless `body` is signed with the webhook's
        secret at a time within five minutes of Ordo's clock. `headers` is looked up as
        given: pass a case-insensitive mapping (Starlette's and httpx's are)."""
        if self.config.webhook_secret is None:
            raise WebhookRefused(
                "no webhook secret is set for connector zendesk (webhook_secret), so no "
                "delivery can be checked: set the signing secret of the Zendesk webhook"
            )
        sent, stamp = headers.get(SIGNATURE_HEADER, ""), headers.get(TIMESTAMP_HEADER, "")
        if not sent or not stamp:
            raise WebhookRefused(
                f"the delivery is not signed: it needs the {SIGNATURE_HEADER} and "
                f"{TIMESTAMP_HEADER} headers Zendesk sends"
            )
        signed_at = _timestamp(stamp)
        if signed_at is None:
            raise WebhookRefused(
                f"{TIMESTAMP_HEADER} must be an ISO 8601 time with its zone, such as "
                "2026-11-27T10:15:00Z"
            )
        skew = abs(self.clock() - signed_at.timestamp())
        if skew > MAX_SKEW_SECONDS:
            raise WebhookRefused(
                f"{TIMESTAMP_HEADER} is {skew / 60:.0f} minutes from Ordo's clock, more than "
                f"the {MAX_SKEW_SECONDS // 60} allowed: a replayed delivery, or a clock that is off"
            )
        secret = self.config.webhook_secret.get_secret_value().encode()
        expected = hmac.new(secret, stamp.encode() + body, hashlib.sha256).digest()
        try:
            given = base64.b64decode(sent.strip().encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            given = b""
        if not hmac.compare_digest(expected, given):
            raise WebhookRefused(
                f"the {SIGNATURE_HEADER} signature does not match the body: the connector's "
                "webhook_secret must be the Zendesk webhook's signing secret, and the body "
                "must be sent exactly as signed"
            )

    def _call(
        self, method: str, json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None, path: str = "/api/v2/tickets.json",
    ) -> dict[str, Any]:  # fmt: skip
        url = f"{self.config.url}{path}"
        auth = httpx.BasicAuth(f"{self.config.email}/token", self.config.token.get_secret_value())
        try:
            response = self.client.request(
                method, url, json=json, params=params, auth=auth,
                headers={"Accept": "application/json"},
            )  # fmt: skip
        except httpx.HTTPError as error:
            said = f"{type(error).__name__}: {error}"
            raise DeliveryError(
                self._hidden(f"Zendesk {host_of(self.config.url)} unreachable: {said}")
            ) from error
        if response.status_code >= 300:
            said = f"answered {response.status_code}: {zendesk_error(response)}"
            raise DeliveryError(self._hidden(f"Zendesk {host_of(self.config.url)} {said}"))
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise DeliveryError(
                f"Zendesk {host_of(self.config.url)} answered something other than JSON"
            )
        return answer

    def _hidden(self, message: str) -> str:
        # Nothing Zendesk or httpx says should carry the token, but a message that did would
        # end up in a log, a dead letter or an API answer: take it out whatever said it.
        secret = self.config.token.get_secret_value()
        return message.replace(secret, "***") if secret else message

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def zendesk_error(response: httpx.Response) -> str:
    """What Zendesk said was wrong, in one line: its error and description, and each field's
    complaint (`RecordInvalid: Record validation errors (group: Group is invalid)`), or the
    start of the body when it is not Zendesk's JSON (a proxy's page, say)."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or "error" not in data:
        text = " ".join(response.text.split())
        return text[:200] or response.reason_phrase or "no reason given"
    error = data["error"]
    if isinstance(error, dict):  # {"title": ..., "message": ...} on some refusals
        error = ": ".join(str(error[k]) for k in ("title", "message") if error.get(k))
    said = [str(error)]
    if data.get("description"):
        said.append(str(data["description"]))
    complaints = []
    details = data.get("details")
    for field, problems in details.items() if isinstance(details, dict) else ():
        for problem in problems if isinstance(problems, list) else [problems]:
            words = problem.get("description") if isinstance(problem, dict) else problem
            complaints.append(f"{field}: {words}")
    message = ": ".join(said)
    if complaints:
        message += f" ({'; '.join(complaints)})"
    return message[:500]


def read_trigger_body(body: bytes, labels: Mapping[str, str] | None = None) -> TicketUpdate:
    """The update in a delivery of `TRIGGER_BODY`, its status as the system status it names
    (`system_status`, with the configured `labels`); `WebhookPayloadError` names the field at
    fault. Fields a trigger adds to it are ignored."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise WebhookPayloadError((), "must be the trigger's JSON body (docs/events.md)") from None
    if not isinstance(data, dict):
        raise WebhookPayloadError((), f"must be a JSON object, got {type(data).__name__}")
    ticket_id = _text(data, "ticket_id", required=True)
    if len(ticket_id) > 128:
        raise WebhookPayloadError(
            ("ticket_id",), "must be a Zendesk ticket id (at most 128 characters)"
        )
    shown = _text(data, "status", required=True)
    status = system_status(shown, labels)
    if status is None:
        hint = (
            "add it to ORDO_ZENDESK_STATUS_LABELS if it is one of the account's labels"
            if labels
            else "a Zendesk in another language, or with custom statuses, names its labels in "
            "ORDO_ZENDESK_STATUS_LABELS (label=status, docs/events.md)"
        )
        raise WebhookPayloadError(
            ("status",),
            f"must be one of {accepted_statuses(labels)} ({{{{ticket.status}}}}), got "
            f"{shown[:40]!r}: {hint}",
        )
    stamp = _text(data, "updated_at", required=True)
    at = _timestamp(stamp)
    if at is None:
        raise WebhookPayloadError(
            ("updated_at",),
            "must be an ISO 8601 time with its zone ({{ticket.updated_at_with_timestamp}}, "
            f"such as 2026-11-27T10:15Z), got {stamp[:40]!r}",
        )
    return TicketUpdate(
        external_ticket_id=ticket_id,
        reference=_text(data, "external_id"),
        status=status,
        at=at,
        comment_author=_text(data, "comment_author"),
        comment=_text(data, "comment")[:MAX_EXCERPT],
    )


def _text(data: Mapping[str, Any], field: str, required: bool = False) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise WebhookPayloadError((field,), f"must be text, got {type(value).__name__}")
    text = str(value).strip()
    if required and not text:
        raise WebhookPayloadError(
            (field,), f"is required: {TRIGGER_BODY[field]} in the trigger's body"
        )
    return text


def _timestamp(text: str) -> datetime | None:
    """An ISO 8601 time with its zone, in UTC; None for anything else (a naive one too: its
    zone would be a guess)."""
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo is not None else None
