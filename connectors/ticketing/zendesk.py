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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr, field_validator

from connectors.base import ConnectorConfig, DeliveryError, HttpConnector, Ticketing, host_of

# Zendesk's four priorities, for Ordo's four severities.
PRIORITIES = {"low": "low", "medium": "normal", "high": "high", "critical": "urgent"}
# Zendesk puts a subject on one line and keeps the first 150 characters of it in views.
MAX_SUBJECT = 150
_SUBDOMAIN = re.compile(r"[a-z0-9][a-z0-9\-]{0,62}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_TIMEOUT = 60.0


def tag(text: str) -> str:
    """A label as a Zendesk tag: Zendesk splits a tag at spaces and keeps it in lower case."""
    return re.sub(r"\s+", "_", text.strip().lower())


class ZendeskConfig(ConnectorConfig):
    # `acme` (the subdomain of acme.zendesk.com) or the account's address, which a host
    # mapped to the account (https://help.acme.example) needs.
    url: str
    email: str  # the agent the tickets are opened as
    token: SecretStr  # an API token of the account (Admin Center > Apps and integrations)
    timeout_seconds: float = 10.0
    group_id: int | None = None  # the group new tickets go to; None: the account's default
    tags: tuple[str, ...] = ("ordo",)  # on every ticket, before the ticket's own labels

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

    def find(self, external_id: str) -> str:
        """The id of the oldest ticket carrying `external_id`; "" when there is none."""
        answer = self._call("GET", params={"external_id": external_id})
        tickets = answer.get("tickets")
        ids = [t["id"] for t in tickets or () if isinstance(t, dict) and "id" in t]
        return str(min(ids)) if ids else ""

    def _call(
        self, method: str, json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        url = f"{self.config.url}/api/v2/tickets.json"
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
