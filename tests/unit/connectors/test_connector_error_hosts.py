"""Outbound connectors' delivery errors name where they called as scheme, host and port only.
Receivers keep tokens in a URL's path or query (Slack, Teams, a checking proxy), and these
errors reach the worker's log and the dead letters, which `ordo settings` does not guard."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from connectors.base import DeliveryError, host_of, url_parts
from connectors.erp.http_sync import HttpSync
from connectors.notifications.webhook import WebhookSink
from connectors.warehouse.http_wms import HttpWarehouse

PATH_TOKEN = "T0KEN-IN-THE-PATH"
QUERY_TOKEN = "T0KEN-IN-THE-QUERY"
URL = f"https://hooks.example.com:8443/services/{PATH_TOKEN}?token={QUERY_TOKEN}"
BASE = f"https://receiver.example.com:8443/{PATH_TOKEN}"  # a base URL takes no query
SECRET = "a-signing-secret-of-good-length"

Answer = Callable[[httpx.Request], httpx.Response]


def refused(request: httpx.Request) -> httpx.Response:
    # A receiver that quotes what it was asked for, as many 404 pages do.
    return httpx.Response(404, text=f"Cannot POST {request.url.raw_path.decode()} ({request.url})")


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot reach {request.url}", request=request)


def client(answer: Answer) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(answer))


def assert_host_only(error: pytest.ExceptionInfo[DeliveryError], host: str) -> None:
    message = str(error.value)
    assert host in message
    assert PATH_TOKEN not in message and QUERY_TOKEN not in message and SECRET not in message


@pytest.mark.parametrize("answer", [refused, unreachable])
def test_the_webhook_s_errors_name_its_host_never_the_token_in_its_path_or_query(
    answer: Answer,
) -> None:
    sink = WebhookSink({"url": URL, "secret": SECRET}, client=client(answer))
    with pytest.raises(DeliveryError) as error:
        sink.post({"kind": "alert"})
    assert_host_only(error, "webhook https://hooks.example.com:8443 ")


@pytest.mark.parametrize("answer", [refused, unreachable])
def test_the_erp_sync_s_errors_name_its_host_never_its_path(answer: Answer) -> None:
    erp = HttpSync({"url": BASE, "secret": SECRET}, client=client(answer))
    stamp = {"version": 1, "updated_at": "2026-01-01T00:00:00Z"}
    with pytest.raises(DeliveryError) as error:
        erp.erase("customer", {"key": {"id": "C-1"}, **stamp})
    assert_host_only(error, "ERP https://receiver.example.com:8443 ")


@pytest.mark.parametrize("answer", [refused, unreachable])
def test_the_wms_s_errors_name_its_host_never_its_path(answer: Answer) -> None:
    config = {"base_url": BASE, "secret": SECRET, "locations": ["DAL-01"]}
    wms = HttpWarehouse(config, client=client(answer))
    with pytest.raises(DeliveryError) as error:
        wms.release({"id": "ful_1"})
    assert_host_only(error, "WMS https://receiver.example.com:8443 ")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://[::1]:9000/hook", "http://[::1]:9000"),
        ("https://hooks.example.com:notaport/x", "https://hooks.example.com:notaport"),
    ],
)
def test_a_url_is_shown_as_its_scheme_host_and_port_even_when_odd(url: str, shown: str) -> None:
    assert host_of(url) == shown


def test_a_url_whose_path_is_the_root_hides_no_slash_from_a_message() -> None:
    assert url_parts("https://hooks.example.com/") == [
        "https://hooks.example.com/",
        "https://hooks.example.com",
    ]
