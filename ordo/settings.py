"""Ordo's settings: one validated object built at start-up from ORDO_ variables and a file.

Precedence, strongest first: explicit overrides (CLI flags, tests) > `ORDO_*` environment
variables > the settings file (`ORDO_SETTINGS_FILE` or `--settings`, a `.env` or YAML file) >
defaults. Every problem becomes a `SettingsError` whose message is one line naming the setting
and what is wrong with it, so the CLI can print it without a traceback.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit

from dotenv import dotenv_values
from dotenv.parser import parse_stream
from pydantic import SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from connectors.channels.base import CHANNEL_PATTERN
from engine.adapters.field_crypto import parse_data_keys
from engine.adapters.rate_limits import Rate, parse_rate, parse_rates, written_rates
from engine.domain.access import Role
from ordo.hosts import is_loopback

ENV_PREFIX = "ORDO_"
SETTINGS_FILE_VARIABLE = "ORDO_SETTINGS_FILE"
# Refused outside development: a known secret signs nothing worth trusting.
DEFAULT_SECRET_KEY = "change-me-in-production"
# Shorter secrets can be guessed; development keeps the default for a no-setup start.
MIN_SECRET_LENGTH = 16
# A WMS issues its own bearer tokens, so their length is not Ordo's to set; anything shorter
# than this is a placeholder ("test", "x") left in the settings, not a token a system issued.
MIN_WMS_TOKEN_LENGTH = 8

Environment = Literal["development", "test", "production"]
Optimiser = Literal["greedy", "exact", "auto"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_ENVIRONMENTS = ("development", "test", "production")
_OPTIMISERS = ("greedy", "exact", "auto")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# SQLAlchemy's default PostgreSQL driver is psycopg2, which Ordo does not ship: name psycopg 3.
_DATABASE_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_ADMIN_KEY = re.compile(r"ordo_[A-Za-z0-9]+_[A-Za-z0-9_\-]{24,}")
# A bare address, as the SMTP connector uses it: the From header and, after its "@", the
# Message-ID's domain, which a display name ("Ordo <ordo@shop.example>") would garble.
_EMAIL_ADDRESS = re.compile(r"[^@\s<>\",;]+@[^@\s<>\",;]+")
# Values never echoed in an error message.
_SECRET_FIELDS = {
    "secret_key", "smtp_password", "bootstrap_admin_key", "webhook_secret",
    "previous_secret_keys",
    "channel_connectors",  # holds each channel's webhook secret
    "wms", "erp_sync_secret",  # ORDO_WMS holds each warehouse system's token or secret
    "zendesk_token",
    "carrier_apis",  # holds each carrier API's key and webhook secret
    "data_keys",  # the keys that encrypt personal data at rest
}  # fmt: skip
# A channel connector's name: the last part of its webhook URL (/v1/channels/<name>/orders).
_CONNECTOR_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]{0,39}")
# An Ordo carrier code as ORDO_CARRIER_APIS names it: a rate card's `code` ("PCL").
_CARRIER_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")
# URLs that may carry a password (user:password@host): echoed only with it masked.
_URL_FIELDS = {"database_url", "redis_url", "webhook_url", "api_url", "zendesk_url", "erp_sync_url"}
# A password written as a query parameter (libpq takes ?password=...).
_QUERY_PASSWORD = re.compile(r"(?i)([?&](?:password|pass|pwd)=)[^&#]*")
_SEVERITIES = ("low", "medium", "high", "critical")  # dsl.model.SEVERITIES, lowest first
# A worker waits this long at most for the webhook receiver before counting a failed delivery.
_MAX_WEBHOOK_TIMEOUT = 60.0
# A longer hold is no reservation but a stock write-off; it also keeps expiry dates in range.
_MAX_RESERVATION_TTL_MINUTES = 366 * 24 * 60
# More API processes than this is a typo, not a deployment (run more hosts instead).
_MAX_API_WORKERS = 64
# A request body's ceiling: smaller refuses an ordinary order; larger lets a few requests
# exhaust an API process's memory. Units a body limit is written in, as multiples of a byte.
_MIN_REQUEST_BYTES, _MAX_REQUEST_BYTES = 1 << 10, 1 << 30
_BYTE_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}
# Longer, and a rollback made in an emergency would take too long to reach every process.
_MAX_RULESET_REFRESH = 3600.0
# A lockout shorter than a second slows no one; longer than a day, and a mistake that
# tripped it (a proxy that hides its clients' addresses) takes a day to go away.
_MAX_LOCKOUT_SECONDS = 86400.0
# More failed sign-ins a period than this is no guard: the guard keeps each one's time
# (engine/adapters/rate_limits.py), and a person who mistypes a key never gets near it.
_MAX_FAILED_SIGN_INS = 10_000
# Ten years: a longer retention is no retention.
_MAX_RETENTION_DAYS = 3650
_TRUE = ("1", "true", "yes", "on")
# What an ERP or CRM can be kept in step with (connectors.erp.ENTITIES).
_ERP_ENTITIES = ("orders", "customers", "returns", "stock")
_FALSE = ("0", "false", "no", "off")


class SettingsError(Exception):
    """A setting is missing, malformed or not allowed; the message is one line for a person.

    `field` names the setting at fault when one value is (`api_port`), so a command whose
    flag gave that value can name the flag instead."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _whole_number(value: Any, most: int, unit: str = "", note: str = "") -> int:
    """A whole number from 1 to `most`, or the one-line reason it is not."""
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= most:
        of = f" of {unit}" if unit else ""
        raise ValueError(f"must be a whole number{of} from 1 to {most}{note}, got {value!r}")
    return int(text)


def _byte_count(value: Any, least: int, most: int) -> int:
    """A number of bytes written as `104857600` or `100MiB` (KiB, MiB, GiB, any case),
    from `least` to `most`, or the one-line reason it is not."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d+)\s*([A-Za-z]*)", text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _BYTE_UNITS:
        raise ValueError(
            f"must be a number of bytes, alone or with KiB, MiB or GiB (such as 104857600 or "
            f"100MiB), got {value!r}"
        )
    count = int(match.group(1)) * _BYTE_UNITS[unit]
    if not least <= count <= most:
        raise ValueError(
            f"must be from {least} bytes (1 KiB) to {most} bytes (1 GiB), got {value!r}"
        )
    return count


def _seconds(value: Any) -> tuple[str, float]:
    """The text as given and the number of seconds it says (range checks are the caller's)."""
    text = str(value).strip()
    try:
        return text, float(text)
    except ValueError:
        raise ValueError(f"must be a number of seconds, got {text!r}") from None


class Settings(BaseSettings):
    """Everything Ordo can be configured with; see the module docstring for precedence."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Path("./data")
    database_url: str = ""
    redis_url: str | None = None
    environment: Environment = "development"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    # Secret keys rotated out, comma-separated: what they signed and hashed is still accepted.
    previous_secret_keys: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    # Keys that encrypt personal data at rest (docs/security.md#encryption), comma-separated
    # `kid:base64key`: the first encrypts, all decrypt. Unset: stored in clear.
    data_keys: SecretStr | None = None
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # API server processes (`ordo serve`): one per core the API may use. Each decides orders
    # with the published rulesets, reloaded every `ruleset_refresh_seconds`.
    api_workers: int = 1
    # The largest request body the API reads (413 past it), as bytes or with KiB, MiB, GiB.
    # The largest the schemas accept, a batch of 500 orders of 500 lines with every field at
    # its longest, is 48 MiB of JSON (75 MiB indented by 4); a full batch with everyday SKUs
    # and line ids about 19 MiB; a 200,000-character ruleset at most 2.3 MiB. 100 MiB takes
    # all of these and still stops a body of gigabytes.
    max_request_bytes: int = 100 * 1024 * 1024
    # Requests each API key (with the tokens minted from it) may send, by role:
    # `channel=600/s,support=50/s`, `*` for every role not named, 0 for none; and
    # `anonymous=60/min`, requests without a credential per client address (not covered by
    # `*`). Unset: no limit. Paced by GCRA, not in fixed windows: a caller may spend its
    # whole count at once, then gets one request back every period / count, so never twice
    # its count within moments; shared through Redis when it is set
    # (docs/security.md#rate-limits).
    rate_limits: str = ""
    # Refused credentials from one client address within any stretch of the period that lock
    # it out for `failed_sign_in_lockout_seconds` (`20/min`: the 20th within any minute;
    # 0: never). A sliding window, as fail2ban's maxretry within findtime, not fixed ones
    # that a guesser could straddle; shared through Redis when it is set. Nobody signing in
    # with a right key comes near it; a key guesser does at once.
    failed_sign_in_limit: str = "20/min"
    failed_sign_in_lockout_seconds: float = 300.0
    console_port: int = 8501
    api_url: str = ""
    optimiser: Optimiser = "auto"
    # The box catalogue shipments are packed into and priced by parcel (docs/packaging.md);
    # unset: each shipment is priced as one parcel. Read and checked when Ordo starts
    # (ordo/bootstrap.py: build_packaging).
    packaging_file: Path | None = None
    log_level: LogLevel = "INFO"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "ordo@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    bootstrap_admin_key: SecretStr | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_events: str = "alert.raised"  # comma-separated event names
    webhook_min_severity: Literal["low", "medium", "high", "critical"] = "low"
    webhook_timeout_seconds: float = 5.0
    # Release fulfilment orders to their locations as soon as a carrier is assigned.
    auto_release: bool = True
    # Reservations of orders not yet released expire after this long (None: never). Only with
    # auto_release off: a released order's reservations are the location's to consume.
    reservation_ttl_minutes: int | None = None
    # How often an API process checks the database for rulesets published or rolled back by
    # another process (another API worker, the CLI); 0: never (one process that publishes
    # everything itself).
    ruleset_refresh_seconds: float = 5.0
    # How long the lateness clock keeps a "reported" marker that stops no report; finished
    # shipments' and orders' markers go at once, still-late or still-held ones stay.
    lateness_flag_retention_days: int = 30
    # Hours a write's answer is replayed to retries with its Idempotency-Key; then deleted.
    idempotency_retention_hours: int = 72
    # Days a shop's cancellation of an order Ordo has not seen yet waits for that order (to
    # cancel it as it arrives, docs/channels.md); then the worker forgets it.
    channel_cancellation_retention_days: int = 30
    # Sales channels that post their orders by webhook (docs/channels.md): connector name ->
    # {"connector": "shopify", "channel": "shopify-us", "secret": "...", ...}, as JSON in the
    # environment or a mapping in a YAML settings file. Each entry is checked against its
    # connector's own settings when Ordo starts (ordo/bootstrap.py: build_channels).
    channel_connectors: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # The EDI channels whose trading partners get an 855 for each purchase order decided
    # (docs/edi.md#the-855-purchase-order-acknowledgement), and an 865 for each 860 they send,
    # comma-separated; `*`: every one.
    # Unset: none, as a partner's translator may refuse a document it does not expect.
    edi_acknowledgement_channels: Annotated[tuple[str, ...], NoDecode] = ()
    # Warehouse systems released shipments are sent to (docs/integrations.md): a name ->
    # {"base_url": ..., "token": ..., "locations": ["DAL-01"]}, as JSON in the environment or
    # a mapping in a YAML settings file, each entry checked by its connector when Ordo starts
    # (ordo/bootstrap.py: build_warehouses).
    wms: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # Carriers reached over an API (docs/integrations.md#carriers-over-an-api): an Ordo
    # carrier code (a rate card's) -> {"provider": "easypost", "api_key": ..., ...}, as JSON
    # in the environment or a mapping in a YAML settings file, each entry checked by its
    # connector when Ordo starts (ordo/bootstrap.py: build_carriers).
    carrier_apis: Annotated[dict[str, dict[str, Any]], NoDecode] = {}
    # The worker asks a carrier with an API about its shipped parcels that have had no scan
    # for this many hours (a webhook not set up, or a delivery the carrier gave up on), and
    # records what it says (engine/service_layer/carrier_polls.py); 0: never asks.
    carrier_poll_hours: int = 6
    # An ERP or CRM kept in step with orders, customers, returns and stock (off without a
    # URL), checked by its connector when Ordo starts (ordo/bootstrap.py: build_erp_sync).
    erp_sync_url: str | None = None
    erp_sync_secret: SecretStr | None = None
    erp_sync_entities: str = ",".join(_ERP_ENTITIES)  # comma-separated
    erp_sync_timeout_seconds: float = 5.0
    # Tickets in a helpdesk (docs/events.md#ticketing): the connector (None: off), how severe
    # an alert must be to open one, and the connector's options, which it checks itself when
    # Ordo starts (ordo/bootstrap.py: build_ticketing).
    ticketing: Literal["zendesk"] | None = None
    ticket_min_severity: Literal["low", "medium", "high", "critical"] = "high"
    zendesk_url: str | None = None
    zendesk_email: str | None = None
    zendesk_token: SecretStr | None = None
    zendesk_group_id: int | None = None
    zendesk_tags: str = "ordo"  # comma-separated, on every ticket
    zendesk_timeout_seconds: float = 10.0
    # Signs the webhook that reports ticket updates back (POST /v1/ticketing/zendesk/events).
    zendesk_webhook_secret: SecretStr | None = None
    # The status an alert's ticket gets when the alert is acknowledged in Ordo (None: solved).
    zendesk_acknowledged_status: str | None = None
    # What {{ticket.status}} renders in a non-English Zendesk, or custom statuses' labels, by
    # the status they stand for: "Gelöst=solved,Résolu=solved" (None: the six names only).
    zendesk_status_labels: str | None = None
    # An open alert that keeps firing raises `alert.repeated` (and notes its ticket) at most
    # once per this many minutes, counted from its raising.
    alert_repeat_window_minutes: int = 60
    # An acknowledged alert neither firing nor acknowledged for this many hours is closed by
    # the worker, so the same rule and key firing later opens a new alert (0: never).
    alert_close_after_hours: int = 24
    # Closed and acknowledged alerts nothing has changed for this many days are deleted by
    # the worker, with their tickets' rows (0: kept for ever); open ones are always kept.
    alert_retention_days: int = 365

    @field_validator("api_port", "console_port", "smtp_port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> int:
        return _parse_port(value)

    @field_validator("api_host", mode="before")
    @classmethod
    def _api_host(cls, value: Any) -> str:
        # An empty host makes uvicorn listen on every interface: say 0.0.0.0 to mean that.
        text = str(value).strip()
        if not text or any(ch.isspace() for ch in text):
            raise ValueError(
                f"must be an address to listen on, such as 127.0.0.1 (or 0.0.0.0 for every "
                f"interface), got {value!r}"
            )
        return text

    @field_validator("smtp_host", mode="before")
    @classmethod
    def _smtp_host(cls, value: Any) -> str | None:
        # Blank is unset (no email); a host with a space in it could only fail on every send.
        text = "" if value is None else str(value).strip()
        if any(ch.isspace() for ch in text):
            raise ValueError(f"must be a host name such as smtp.example.com, got {value!r}")
        return text or None

    @field_validator("smtp_sender", mode="before")
    @classmethod
    def _smtp_sender(cls, value: Any) -> str:
        text = str(value).strip()
        if not _EMAIL_ADDRESS.fullmatch(text):
            raise ValueError(f"must be an email address such as orders@shop.example, got {value!r}")
        return text

    @field_validator("environment", mode="before")
    @classmethod
    def _environment(cls, value: Any) -> str:
        return _choice(value, _ENVIRONMENTS, str.lower)

    @field_validator("optimiser", mode="before")
    @classmethod
    def _optimiser(cls, value: Any) -> str:
        return _choice(value, _OPTIMISERS, str.lower)

    @field_validator("packaging_file", mode="before")
    @classmethod
    def _packaging_file(cls, value: Any) -> Path | None:
        # Blank is unset (packaging off); the file itself is read when Ordo starts.
        text = "" if value is None else str(value).strip()
        return Path(text) if text else None

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> str:
        return _choice(value, _LOG_LEVELS, str.upper)

    @field_validator("smtp_starttls", "auto_release", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> bool:
        text = str(value).strip().lower()
        if text not in _TRUE + _FALSE:
            raise ValueError(f"must be true or false, got {value!r}")
        return text in _TRUE

    @field_validator("reservation_ttl_minutes", mode="before")
    @classmethod
    def _reservation_ttl(cls, value: Any) -> int | None:
        if value is None or not str(value).strip():
            return None
        return _whole_number(value, _MAX_RESERVATION_TTL_MINUTES, "minutes", " (a year)")

    @field_validator("api_workers", mode="before")
    @classmethod
    def _api_workers(cls, value: Any) -> int:
        return _whole_number(value, _MAX_API_WORKERS)

    @field_validator("rate_limits", mode="before")
    @classmethod
    def _rate_limits(cls, value: Any) -> str:
        if isinstance(value, Mapping):  # a mapping of role: rate in a YAML settings file
            value = ",".join(f"{role}={rate}" for role, rate in value.items())
        return written_rates(parse_rates(value, tuple(Role)))

    @field_validator("failed_sign_in_limit", mode="before")
    @classmethod
    def _failed_sign_in_limit(cls, value: Any) -> str:
        rate = parse_rate(value)
        if rate is not None and rate.requests > _MAX_FAILED_SIGN_INS:
            raise ValueError(
                f"must be at most {_MAX_FAILED_SIGN_INS} failed sign-ins a period, got "
                f"{rate.written()!r}"
            )
        return rate.written() if rate is not None else "0"

    @field_validator("failed_sign_in_lockout_seconds", mode="before")
    @classmethod
    def _failed_sign_in_lockout(cls, value: Any) -> float:
        text, seconds = _seconds(value)
        if not 1 <= seconds <= _MAX_LOCKOUT_SECONDS:  # also refuses nan
            raise ValueError(f"must be from 1 to {_MAX_LOCKOUT_SECONDS:g} seconds, got {text!r}")
        return seconds

    @field_validator("max_request_bytes", mode="before")
    @classmethod
    def _max_request_bytes(cls, value: Any) -> int:
        return _byte_count(value, _MIN_REQUEST_BYTES, _MAX_REQUEST_BYTES)

    @field_validator("ruleset_refresh_seconds", mode="before")
    @classmethod
    def _ruleset_refresh(cls, value: Any) -> float:
        text, seconds = _seconds(value)
        if not 0 <= seconds <= _MAX_RULESET_REFRESH:  # also refuses nan
            raise ValueError(
                f"must be from 0 (never) to {_MAX_RULESET_REFRESH:g} seconds, got {text!r}"
            )
        return seconds

    @field_validator(
        "lateness_flag_retention_days", "channel_cancellation_retention_days", mode="before"
    )
    @classmethod
    def _retention_days(cls, value: Any) -> int:
        return _whole_number(value, _MAX_RETENTION_DAYS, "days")

    @field_validator("alert_repeat_window_minutes", mode="before")
    @classmethod
    def _alert_repeat_window(cls, value: Any) -> int:
        return _whole_number(value, 7 * 24 * 60, "minutes", " (a week)")

    @field_validator("alert_close_after_hours", mode="before")
    @classmethod
    def _alert_close_after(cls, value: Any) -> int:
        text = str(value).strip()
        if text == "0":
            return 0
        return _whole_number(value, 365 * 24, "hours", " (a year), or 0 for never")

    @field_validator("alert_retention_days", mode="before")
    @classmethod
    def _alert_retention(cls, value: Any) -> int:
        if str(value).strip() == "0":
            return 0
        return _whole_number(value, _MAX_RETENTION_DAYS, "days", " (ten years), or 0 for ever")

    @field_validator("carrier_poll_hours", mode="before")
    @classmethod
    def _carrier_poll_hours(cls, value: Any) -> int:
        if str(value).strip() == "0":
            return 0
        return _whole_number(value, 30 * 24, "hours", " (a month), or 0 for never")

    @field_validator("idempotency_retention_hours", mode="before")
    @classmethod
    def _idempotency_retention(cls, value: Any) -> int:
        return _whole_number(value, _MAX_RETENTION_DAYS * 24, "hours", " (ten years)")

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> str:
        return "" if value in (None, "") else normalise_database_url(str(value))

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        return check_redis_url(str(value))

    @field_validator("bootstrap_admin_key", mode="before")
    @classmethod
    def _admin_key(cls, value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text in (None, ""):
            return None
        if not _ADMIN_KEY.fullmatch(str(text)):
            # Never echo a secret back, not even a malformed one.
            raise ValueError(
                "must look like ordo_<id>_<secret> with letters and digits for the id and "
                "at least 24 characters of secret (the value is not shown)"
            )
        return text

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _previous_secret_keys(cls, value: Any) -> tuple[str, ...]:
        # A list in a YAML file, comma-separated elsewhere; blanks (a trailing comma) dropped.
        items = value if isinstance(value, list | tuple) else str(value or "").split(",")
        texts = (item.get_secret_value() if isinstance(item, SecretStr) else item for item in items)
        return tuple(str(text).strip() for text in texts if str(text).strip())

    @field_validator("data_keys", mode="before")
    @classmethod
    def _data_keys(cls, value: Any) -> str | None:
        # A list in a YAML file, comma-separated elsewhere; checked now, so a bad key stops
        # start-up with its number and what is wrong (never its bytes).
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        items = value if isinstance(value, list | tuple) else str(value or "").split(",")
        texts = [str(item).strip() for item in items if str(item).strip()]
        return ",".join(texts) if parse_data_keys(texts) else None

    @field_validator("api_url", mode="before")
    @classmethod
    def _api_url(cls, value: Any) -> str:
        text = "" if value is None else str(value).strip().rstrip("/")
        if text and not text.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {mask_url(text)!r}")
        return text

    @field_validator("webhook_url", "erp_sync_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: Any) -> str | None:
        text = "" if value is None else str(value).strip()
        if text and (urlsplit(text).scheme not in ("http", "https") or not urlsplit(text).netloc):
            raise ValueError(
                "must be an http:// or https:// URL with a host, got "
                f"{_shown_url('webhook_url', text)!r}"
            )
        return text or None

    @field_validator("webhook_secret", "erp_sync_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if text is None or not str(text).strip() else str(text)

    @field_validator("webhook_events", mode="before")
    @classmethod
    def _webhook_events(cls, value: Any) -> str:
        from engine.domain.events import EVENT_TYPES

        return _names(
            value,
            tuple(EVENT_TYPES),
            "names no event (e.g. alert.raised,shipment.late)",
            "which is not an event Ordo emits",
        )

    @field_validator("webhook_min_severity", "ticket_min_severity", mode="before")
    @classmethod
    def _severity(cls, value: Any) -> str:
        return _choice(value, _SEVERITIES, str.lower)

    @field_validator(
        "webhook_timeout_seconds", "zendesk_timeout_seconds", "erp_sync_timeout_seconds",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _webhook_timeout(cls, value: Any) -> float:
        text, seconds = _seconds(value)
        if not 0 < seconds <= _MAX_WEBHOOK_TIMEOUT:  # also refuses nan
            raise ValueError(
                f"must be more than 0 and at most {_MAX_WEBHOOK_TIMEOUT:g} seconds, got {text!r}"
            )
        return seconds

    @field_validator("channel_connectors", mode="before")
    @classmethod
    def _channel_connectors(cls, value: Any) -> dict[str, dict[str, Any]]:
        return parse_channel_connectors(value)

    @field_validator("edi_acknowledgement_channels", mode="before")
    @classmethod
    def _edi_acknowledgement_channels(cls, value: Any) -> tuple[str, ...]:
        items = value if isinstance(value, list | tuple) else str(value or "").split(",")
        names = [str(name).strip() for name in items if str(name).strip()]
        for name in names:
            if name != "*" and not re.fullmatch(CHANNEL_PATTERN, name):
                raise ValueError(
                    f"got {name[:70]!r}, which is no channel name (1 to 64 letters, digits, "
                    "'.', '_', ':' or '-', starting with a letter or a digit) nor '*' (every "
                    "channel)"
                )
        return tuple(dict.fromkeys(names))

    @field_validator("wms", mode="before")
    @classmethod
    def _wms(cls, value: Any) -> dict[str, dict[str, Any]]:
        return parse_wms(value)

    @field_validator("carrier_apis", mode="before")
    @classmethod
    def _carrier_apis(cls, value: Any) -> dict[str, dict[str, Any]]:
        return parse_carrier_apis(value)

    @field_validator("erp_sync_entities", mode="before")
    @classmethod
    def _erp_sync_entities(cls, value: Any) -> str:
        return _names(
            value,
            _ERP_ENTITIES,
            f"names no entity (some of {','.join(_ERP_ENTITIES)})",
            f"which is not one of {', '.join(_ERP_ENTITIES)}",
        )

    @field_validator("ticketing", mode="before")
    @classmethod
    def _ticketing(cls, value: Any) -> str | None:
        if value is None or not str(value).strip():
            return None  # blank is unset: no tickets
        return _choice(value, ("zendesk",), str.lower)

    @field_validator(
        "zendesk_url",
        "zendesk_email",
        "zendesk_group_id",
        "zendesk_acknowledged_status",
        "zendesk_status_labels",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # The connector checks the values when Ordo starts; an empty one is not set.
        return None if value is None or not str(value).strip() else value

    @field_validator("zendesk_token", "zendesk_webhook_secret", mode="before")
    @classmethod
    def _zendesk_token(cls, value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if text is None or not str(text).strip() else str(text)

    @model_validator(mode="after")
    def _derived_defaults(self) -> Settings:
        """Fill the URLs that default to other settings, and refuse a known secret."""
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'ordo.sqlite3'}"
        if not self.api_url:
            self.api_url = f"http://{self.api_host}:{self.api_port}"
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and secret == DEFAULT_SECRET_KEY:
            raise ValueError(
                f"secret_key: the default is refused when environment is {self.environment}; "
                "set ORDO_SECRET_KEY to a long random value"
            )
        if self.environment != "development" and len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"secret_key: must be at least {MIN_SECRET_LENGTH} characters when environment "
                f"is {self.environment} (it signs tokens and hashes API keys)"
            )
        self._check_webhook()
        if self.environment != "development":
            self._check_previous_secret_keys()
            self._check_signing_secrets()
        if self.environment == "production":
            self._check_transport()
        return self

    def _check_webhook(self) -> None:
        """A webhook is signed or not sent: the receiver must be able to tell Ordo's posts."""
        if self.webhook_url is None:
            return
        if self.webhook_secret is None:
            raise ValueError(
                "webhook_secret: required when ORDO_WEBHOOK_URL is set (it signs each post: "
                "webhook-signature and X-Ordo-Signature)"
            )
        if self.environment != "development":
            _check_length(
                "webhook_secret", self.webhook_secret, MIN_SECRET_LENGTH, self.environment
            )

    def _check_previous_secret_keys(self) -> None:
        """A previous secret is still accepted, so it is held to the current one's rules."""
        for number, previous in enumerate(self.previous_secret_keys, start=1):
            at = f"previous_secret_keys: key {number} of {len(self.previous_secret_keys)}"
            if previous.get_secret_value() == DEFAULT_SECRET_KEY:
                raise ValueError(
                    f"{at} is the development default, refused when environment is "
                    f"{self.environment}: anyone could sign tokens with it"
                )
            _check_length(at, previous, MIN_SECRET_LENGTH, self.environment)

    def _check_signing_secrets(self) -> None:
        """Every secret that signs or authenticates Ordo's traffic is as long as the secret
        key: a short one can be guessed, and whoever guesses it can forge orders or posts.
        Blank or missing ones are left to the connectors, which name them as required."""
        environment = self.environment
        _check_length("erp_sync_secret", self.erp_sync_secret, MIN_SECRET_LENGTH, environment)
        _check_length(
            "zendesk_webhook_secret", self.zendesk_webhook_secret, MIN_SECRET_LENGTH, environment
        )
        for name, entry in self.channel_connectors.items():
            at = f"channel_connectors: {name}.secret"
            _check_length(at, entry.get("secret"), MIN_SECRET_LENGTH, environment)
        for name, entry in self.wms.items():
            _check_length(
                f"wms: {name}.secret", entry.get("secret"), MIN_SECRET_LENGTH, environment
            )
            _check_length(
                f"wms: {name}.token", entry.get("token"), MIN_WMS_TOKEN_LENGTH, environment
            )
        for code, entry in self.carrier_apis.items():
            at = f"carrier_apis: {code}.webhook_secret"
            _check_length(at, entry.get("webhook_secret"), MIN_SECRET_LENGTH, environment)

    def _check_transport(self) -> None:
        """In production nothing signed or authenticated leaves in clear, except to a sidecar
        on this machine (a loopback host), which no network between them can read."""
        urls = [
            ("webhook_url", self.webhook_url),
            ("erp_sync_url", self.erp_sync_url),
            ("zendesk_url", self.zendesk_url),
        ]
        urls += [
            (f"wms: {name}.base_url", entry.get("base_url")) for name, entry in self.wms.items()
        ]
        urls += [
            (f"carrier_apis: {code}.base_url", entry.get("base_url"))
            for code, entry in self.carrier_apis.items()
        ]
        for at, url in urls:
            _check_https(at, url)
        password = self.smtp_password is not None and self.smtp_password.get_secret_value()
        if (
            self.smtp_host
            and password
            and not self.smtp_starttls
            and not is_loopback(self.smtp_host)
        ):
            raise ValueError(
                "smtp_starttls: must be true when environment is production and "
                "ORDO_SMTP_PASSWORD is set, or the password and every email travel in clear "
                f"to {self.smtp_host} (false is accepted for a loopback ORDO_SMTP_HOST only)"
            )

    @property
    def webhook_event_names(self) -> tuple[str, ...]:
        return tuple(self.webhook_events.split(","))

    @property
    def role_rate_limits(self) -> dict[str, Rate | None]:
        """ORDO_RATE_LIMITS by role name (`*`: the roles not named; `anonymous`: requests
        without a credential, per client address; None: no limit)."""
        return parse_rates(self.rate_limits, tuple(Role))

    @property
    def failed_sign_in_rate(self) -> Rate | None:
        """ORDO_FAILED_SIGN_IN_LIMIT, None when lockouts are off."""
        return parse_rate(self.failed_sign_in_limit)

    @property
    def erp_sync_entity_names(self) -> tuple[str, ...]:
        return tuple(self.erp_sync_entities.split(","))

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _check_length(at: str, value: Any, least: int, environment: str) -> None:
    """Refuse a secret shorter than `least`, naming `at` ("field" or "field: entry.key") and
    never the value. A blank or absent one passes: whether it is required is checked apart."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text is None or not str(text).strip() or len(str(text)) >= least:
        return
    raise ValueError(f"{at}: must be at least {least} characters when environment is {environment}")


def _check_https(at: str, url: Any) -> None:
    """Refuse an http:// URL to anything but a loopback host; what is not a URL, or not an
    http(s) one, is left to the setting's own check or its connector's."""
    if not isinstance(url, str):
        return
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "http://[::1": the connector names what is wrong with it
        return
    if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
        return
    from connectors.base import host_of  # here: only a production setting with http:// needs it

    raise ValueError(
        f"{at}: must be an https:// URL when environment is production, got {host_of(url)} "
        "(http:// sends bodies, signatures and tokens in clear; it is accepted for a loopback "
        "host only, such as a sidecar on 127.0.0.1)"
    )


def parse_channel_connectors(value: Any) -> dict[str, dict[str, Any]]:
    """The channel connectors' entries as name -> options, from JSON text or a mapping; the
    options are checked by each connector when Ordo starts. Messages never quote a value:
    an entry holds its channel's secret."""
    return _parse_entries(
        value,
        example='{"shopify-us": {"connector": "shopify", "channel": "shopify-us", '
        '"secret": "..."}}',
        keyed_by="connector name",
        key=_CONNECTOR_NAME,
        key_rule="1 to 40 lower-case letters, digits, '_' or '-', starting with a letter or a "
        "digit (it ends the webhook's URL, /v1/channels/<name>/orders)",
        kind=("connector", "the kind of connector (such as shopify)"),
    )


def parse_wms(value: Any) -> dict[str, dict[str, Any]]:
    """The warehouse systems' entries as name -> options, from JSON text or a mapping; the
    options are checked by each connector when Ordo starts. Messages never quote a value:
    an entry holds its WMS's token or secret."""
    return _parse_entries(
        value,
        example='{"dallas": {"base_url": "https://wms.example.com/ordo", "token": "...", '
        '"locations": ["DAL-01"]}}',
        keyed_by="WMS name",
        key=_CONNECTOR_NAME,
        key_rule="1 to 40 lower-case letters, digits, '_' or '-', starting with a letter or a "
        "digit",
    )


def parse_carrier_apis(value: Any) -> dict[str, dict[str, Any]]:
    """The carriers reached over an API as carrier code -> options, from JSON text or a
    mapping; the options are checked by each connector when Ordo starts. Messages never
    quote a value: an entry holds its API key and webhook secret."""
    return _parse_entries(
        value,
        example='{"UPS": {"provider": "easypost", "api_key": "...", "carrier": "UPS", '
        '"services": {"GROUND": "Ground"}}}',
        keyed_by="carrier code",
        key=_CARRIER_CODE,
        key_rule="a rate card's code: 1 to 40 letters, digits, '_' or '-' (it ends the "
        "tracking webhook's URL, /v1/carriers/<code>/tracking)",
        kind=("provider", "the carrier's API (such as easypost)"),
    )


def _parse_entries(
    value: Any,
    *,
    example: str,
    keyed_by: str,
    key: re.Pattern[str],
    key_rule: str,
    kind: tuple[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Connector entries (`keyed_by` -> options) from JSON text or a mapping, each key
    matching `key`, each entry an object naming its `kind` field when one is given (the
    field and what it is). Messages show `example`, never a value given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"is not valid JSON (line {error.lineno}, column {error.colno}); expected an "
                f"object such as {example} (the value is not shown)"
            ) from None
    if not isinstance(value, Mapping):
        raise ValueError(f"must be an object of {keyed_by} -> its settings, such as {example}")
    entries: dict[str, dict[str, Any]] = {}
    for name, options in value.items():
        if not isinstance(name, str) or not key.fullmatch(name):
            raise ValueError(f"{keyed_by} {str(name)[:40]!r} must be {key_rule}")
        if not isinstance(options, Mapping):
            raise ValueError(f"{name}: must be an object of settings, such as {example}")
        if kind is not None:
            field, meaning = kind
            given = options.get(field)
            if not isinstance(given, str) or not given.strip():
                raise ValueError(f"{name}.{field}: is required, {meaning}")
        entries[name] = {str(option): setting for option, setting in options.items()}
    return entries


def normalise_database_url(url: str) -> str:
    """Check a database URL is one Ordo can use and name the psycopg 3 driver explicitly.

    Raises ValueError with a one-line explanation for a malformed URL or a foreign database.
    """
    text = url.strip()
    shown = mask_url(text)
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise ValueError(
            "is not a database URL (expected e.g. sqlite:///data/ordo.sqlite3 or "
            f"postgresql://user@host:5432/ordo), got {shown!r}"
        ) from None
    except ValueError:  # SQLAlchemy reads the port with int() and lets its error out
        raise ValueError(f"{_bad_port(_url_port(text))}, got {shown!r}") from None
    scheme = parsed.drivername
    if scheme not in _DATABASE_SCHEMES:
        raise ValueError(f"must be an sqlite:/// or postgresql:// URL, got {shown!r}")
    if scheme.startswith("postgres") and not parsed.database:
        raise ValueError(f"names no database (e.g. postgresql://host:5432/ordo), got {shown!r}")
    if parsed.port is not None and not 1 <= parsed.port <= 65535:
        raise ValueError(f"{_bad_port(str(parsed.port))}, got {shown!r}")
    database = parsed.database or ""
    if scheme.startswith("sqlite") and (
        database in ("", ":memory:") or database.startswith("file::memory:")
    ):
        # Each command would get a database of its own that is gone when it ends: `ordo db
        # upgrade` would report success and keep nothing.
        raise ValueError(
            f"is an in-memory SQLite database, which keeps nothing once the command ends; "
            f"name a file, e.g. sqlite:///data/ordo.sqlite3 (got {shown!r})"
        )
    return text.replace(f"{scheme}://", f"{_DATABASE_SCHEMES[scheme]}://", 1)


def check_redis_url(url: str) -> str:
    """Check a Redis URL is one redis-py reads as written, or raise ValueError with a
    one-line explanation that shows the URL with its password masked.

    redis-py lets a port that is no number out as a bare ValueError when it first connects,
    and reads a database that is no number (`redis://host/zero`) as database 0.
    """
    text = url.strip()
    shown = mask_url(text)
    if not text.startswith(_REDIS_SCHEMES):
        raise ValueError(f"must start with redis://, rediss:// or unix://, got {shown!r}")
    parts = urlsplit(text)
    port = _url_port(text)
    if port and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"{_bad_port(port)}, got {shown!r}")
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError(f"names no socket (e.g. unix:///run/redis.sock), got {shown!r}")
    else:
        database = parts.path.replace("/", "")
        if database and not database.isdigit():
            raise ValueError(
                f"database {database!r} is not a number (e.g. redis://host:6379/0), got {shown!r}"
            )
    for database in parse_qs(parts.query).get("db", []):
        if not database.strip().isdigit():
            raise ValueError(f"db={database!r} is not a number, got {shown!r}")
    from redis.connection import parse_url  # here: only a Redis URL needs redis-py loaded

    try:
        parse_url(text)
    except ValueError as error:  # what is left, e.g. ?socket_timeout=soon
        raise ValueError(f"is not a Redis URL redis-py can use ({error}), got {shown!r}") from None
    return text


def mask_url(url: str) -> str:
    """A URL as it is safe to show: its password masked, even when it does not parse."""
    from engine.adapters.database import mask_url as masked  # loads SQLAlchemy: only when used

    shown = _QUERY_PASSWORD.sub(r"\1***", masked(url))
    if "://" not in shown:
        # No scheme, so the masker cannot tell credentials (`user:secret@host/db`) apart.
        credentials, at, rest = shown.rpartition("@")
        if at and ":" in credentials:
            shown = f"{credentials.split(':', 1)[0]}:***@{rest}"
    return shown


def _shown_url(field: str, url: str) -> str:
    """A URL setting as it is safe to show. A webhook's path and query are hidden too: many
    services (Slack, Teams, Discord) put the hook's token there, not in a password."""
    if field not in ("webhook_url", "erp_sync_url"):
        return mask_url(url)
    parts = urlsplit(mask_url(url))
    if not (parts.scheme and parts.netloc):
        return mask_url(url)
    hidden = "/…" if (parts.path.strip("/") or parts.query) else ""
    return f"{parts.scheme}://{parts.netloc}{hidden}"


def _url_port(url: str) -> str:
    """The port as written in a URL (`'notaport'` in `scheme://u:p@host:notaport/db`)."""
    authority = re.split(r"[/?#]", url.partition("://")[2], maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):  # an IPv6 address: [::1]:5432
        return host.partition("]")[2].removeprefix(":")
    return host.partition(":")[2]


def _bad_port(port: str) -> str:
    if port.isdigit():
        return f"port {port} is out of range (1 to 65535)"
    return f"port {port!r} is not a number"


def load_settings(settings_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build and validate the settings, or raise SettingsError with a one-line message.

    `settings_file` wins over `ORDO_SETTINGS_FILE`; `overrides` use field names
    (`api_port=9000`) and win over everything.
    """
    path = settings_file or os.environ.get(SETTINGS_FILE_VARIABLE) or None
    from_file = _read_settings_file(Path(path)) if path else {}
    unknown = [key for key in overrides if key not in Settings.model_fields]
    if unknown:
        raise SettingsError(_unknown_setting(unknown[0], "override"))
    # Environment variables beat the file: drop what the environment sets before merging.
    environment = {key.upper() for key in os.environ}
    file_values = {
        key: value for key, value in from_file.items() if _env_name(key) not in environment
    }
    try:
        return Settings(**{**file_values, **overrides})
    except ValidationError as error:
        field, message = _describe(error, file_values, overrides, path)
        raise SettingsError(message, field if field in overrides else None) from None


def setting_sources(settings_file: str | Path | None = None) -> dict[str, str]:
    """Where each setting's value comes from: the environment, the file, or the default."""
    path = settings_file or os.environ.get(SETTINGS_FILE_VARIABLE) or None
    from_file = _read_settings_file(Path(path)) if path else {}
    environment = {key.upper() for key in os.environ}
    sources = {}
    for name in Settings.model_fields:
        if _env_name(name) in environment:
            sources[name] = "environment"
        elif name in from_file:
            sources[name] = f"file {path}"
        else:
            sources[name] = "default"
    return sources


def shown_value(settings: Settings, name: str) -> str:
    """A setting as it is safe to print: secrets only as set/unset, URL passwords masked."""
    value = getattr(settings, name)
    if name == "channel_connectors":
        # Which connectors and channels, never their secrets.
        shown = [
            f"{key} ({entry['connector']}, channel {entry.get('channel', '?')})"
            for key, entry in value.items()
        ]
        return ", ".join(shown) or "(none)"
    if name == "wms":
        # Which systems serve which locations, never their tokens or secrets.
        served = []
        for key, entry in value.items():
            codes = entry.get("locations")
            listed = ", ".join(map(str, codes)) if isinstance(codes, list | tuple) else "?"
            served.append(f"{key} ({listed})")
        return ", ".join(served) or "(none)"
    if name == "carrier_apis":
        # Which carriers go through which API, never their keys or secrets.
        shown = [f"{code} ({entry.get('provider', '?')})" for code, entry in value.items()]
        return ", ".join(shown) or "(none)"
    if name in _SECRET_FIELDS:
        if value is None or value == ():
            return "(unset)"
        default = name == "secret_key" and value.get_secret_value() == DEFAULT_SECRET_KEY
        return "(the development default)" if default else "(set)"
    if name in _URL_FIELDS and value:
        return _shown_url(name, value)
    if value is None or value == "" or value == ():
        return "(unset)"  # an empty value would leave its line's column blank
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    return str(value)


def _read_settings_file(path: Path) -> dict[str, Any]:
    """Read a `.env` or YAML settings file into field names -> raw values."""
    where = f"{SETTINGS_FILE_VARIABLE} {path}"
    if path.is_dir():
        raise SettingsError(f"{where}: is a folder, not a settings file")
    if not path.is_file():
        raise SettingsError(f"{where}: no such file")
    if path.suffix.lower() in (".yaml", ".yml"):
        raw = _read_yaml(path, where)
    else:
        raw = _read_dotenv(path, where)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).strip().lower()
        name = name.removeprefix(ENV_PREFIX.lower())
        if name not in Settings.model_fields:
            raise SettingsError(f"{where}: {_unknown_setting(str(key), 'file')}")
        values[name] = value
    return values


def _read_dotenv(path: Path, where: str) -> Mapping[str, Any]:
    from dsl.tooling import read_text  # here, not at the top: it loads the rule language

    text = read_text(path, SettingsError, label=where)
    # python-dotenv skips a line it cannot parse with a warning on the log, so a typo (or the
    # wrong file) would leave its settings at their defaults without a word: refuse it.
    offset = 0  # counted here: python-dotenv's own line numbers drift after a comment
    for binding in parse_stream(io.StringIO(text)):
        written = binding.original.string
        # A name alone is python-dotenv's "declared, no value": not a setting either.
        if binding.error or (binding.key is not None and binding.value is None):
            start = offset + len(written) - len(written.lstrip())
            line = text.count("\n", 0, start) + 1
            raise SettingsError(
                f"{where}: line {line}: expected NAME=value, got {_shown_line(written)}"
            )
        offset += len(written)
    values = dotenv_values(stream=io.StringIO(text))
    return {key: value for key, value in values.items() if value is not None}


def _shown_line(written: str) -> str:
    """A settings file's line as it is safe to quote: a secret's or a URL's value is left out
    (a line missing its `=` is still the line that holds ORDO_SECRET_KEY's value)."""
    text = written.strip().splitlines()[0]
    name = re.match(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)", text)
    field = name.group(1).lower().removeprefix(ENV_PREFIX.lower()) if name else ""
    if name and text != name.group(0) and (field in _SECRET_FIELDS or field in _URL_FIELDS):
        return f"{name.group(0)!r} and a value (not shown)"
    return repr(text[:60])


def _read_yaml(path: Path, where: str) -> Mapping[str, Any]:
    from dsl.tooling import read_yaml  # here, not at the top: it loads the rule language

    data = read_yaml(path, SettingsError, label=where)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected a mapping of setting: value")
    return data


def _describe(
    error: ValidationError,
    file_values: Mapping[str, Any],
    overrides: Mapping[str, Any],
    path: str | Path | None,
) -> tuple[str, str]:
    """The setting at fault, and pydantic's report as one line naming it for the person."""
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["loc"]:
        field = str(first["loc"][0])
        given = first.get("input")
        if field in _URL_FIELDS and isinstance(given, str) and given.strip():
            # Whatever a check said, it says it of the URL with its password masked.
            for raw in (given, given.strip()):
                message = message.replace(raw, _shown_url(field, raw))
            given = _shown_url(field, given)
        if "got " not in message and field not in _SECRET_FIELDS:
            message = f"{message}, got {given!r}"
    else:
        # A check across fields names its field at the front of the message.
        field, message = message.split(": ", 1)
    source = f" (in {path})" if field in file_values and field not in overrides else ""
    return field, f"{_env_name(field)}{source}: {message}"


def _unknown_setting(key: str, where: str) -> str:
    name = key.lower().removeprefix(ENV_PREFIX.lower())
    close = difflib.get_close_matches(name, list(Settings.model_fields), n=1)
    hint = f" (did you mean {_env_name(close[0])}?)" if close else ""
    label = _env_name(name) if where == "file" else name
    return f"{label}: unknown setting{hint}"


def _env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _parse_port(value: Any) -> int:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"must be an integer between 1 and 65535, got {text!r}")
    return int(text)


def _names(value: Any, known: tuple[str, ...], none: str, unknown: str) -> str:
    """A comma-separated list (or a YAML list) of names from `known`, each once, in the order
    given: `none` when it names nothing, `unknown` (with a "did you mean") for a name not
    known."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    names = [str(name).strip() for name in items if str(name).strip()]
    if not names:
        raise ValueError(none)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"got {name!r}, {unknown}{hint}")
    return ",".join(dict.fromkeys(names))


def _choice(value: Any, choices: tuple[str, ...], case: Callable[[str], str]) -> str:
    text = case(str(value).strip())
    if text not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
    return text
