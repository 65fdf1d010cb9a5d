"""A request body past ORDO_MAX_REQUEST_BYTES is a 413 problem, through a real uvicorn.

A real server, not Starlette's TestClient: the TestClient hands the app the whole body at
once, so it could not show a body refused by its Content-Length before it is sent, nor a
chunked one refused while it is still streaming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.client import HTTPConnection, HTTPResponse
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, issue_role_keys
from tests.e2e.live import serve

LIMIT = 4096
PROBLEM = "application/problem+json"
PRODUCT = "/v1/products/SHOE-42"


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The API with a 4 KiB limit on a uvicorn of its own, and a key per role."""
    settings = load_settings(
        database_url=sqlite_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        max_request_bytes=LIMIT,
    )
    with build_app_container(settings) as container:
        keys = issue_role_keys(container)
        with serve(create_app(container)) as base:
            yield base, keys


def product_body(size: int) -> bytes:
    """A valid product exactly `size` bytes long: JSON padded with spaces, which it allows."""
    text = json.dumps({"name": "Trail shoe", "price": "59.90"}).encode()
    assert len(text) <= size
    return text[:-1] + b" " * (size - len(text)) + b"}"


def connect(base: str) -> HTTPConnection:
    host, port = base.removeprefix("http://").split(":")
    return HTTPConnection(host, int(port), timeout=10)


def headers_only(connection: HTTPConnection, path: str, headers: dict[str, str]) -> None:
    """Send the request line and headers, and not a byte of the body."""
    connection.putrequest("PUT", path)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()


def read_json(response: HTTPResponse) -> Any:
    return json.loads(response.read())


def test_a_body_whose_content_length_is_over_the_limit_is_refused_before_it_is_sent(
    server: tuple[str, dict[str, str]],
) -> None:
    base, keys = server
    connection = connect(base)
    headers_only(
        connection,
        PRODUCT,
        {"X-API-Key": keys["admin"], "Content-Type": "application/json",
         "Content-Length": "10000000000"},
    )  # fmt: skip
    # Waiting for ten gigabytes that never come would time out: the answer comes at once.
    response = connection.getresponse()
    assert response.status == 413
    assert response.getheader("content-type") == PROBLEM
    problem = read_json(response)
    assert problem["code"] == "body_too_large"
    assert problem["max_bytes"] == LIMIT
    assert problem["instance"] == PRODUCT
    assert "10,000,000,000 bytes (its Content-Length)" in problem["detail"]
    assert "more than 4,096 bytes (4 KiB)" in problem["detail"]
    connection.close()


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit_before_it_ends(
    server: tuple[str, dict[str, str]],
) -> None:
    base, keys = server
    connection = connect(base)
    headers_only(
        connection,
        PRODUCT,
        {"X-API-Key": keys["admin"], "Content-Type": "application/json",
         "Transfer-Encoding": "chunked"},
    )  # fmt: skip
    for _ in range(LIMIT // 1024 + 1):
        connection.send(b"400\r\n" + b" " * 1024 + b"\r\n")
    # No last chunk: a server that waited for the whole body would never answer.
    response = connection.getresponse()
    assert response.status == 413
    assert response.getheader("content-type") == PROBLEM
    problem = read_json(response)
    assert problem["code"] == "body_too_large"
    assert problem["detail"].startswith("the request body is more than 4,096 bytes (4 KiB),")
    connection.close()


def test_a_chunked_body_over_the_limit_gets_the_problem_and_the_connection_stays_usable(
    server: tuple[str, dict[str, str]],
) -> None:
    base, keys = server

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "Trail shoe", "price": "59.90"'
        for _ in range(20):
            yield b" " * 1024
        yield b"}"

    with httpx.Client(base_url=base, timeout=10) as client:
        response = client.put(
            PRODUCT,
            content=chunks(),
            headers={"X-API-Key": keys["admin"], "Content-Type": "application/json"},
        )
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == PROBLEM
        assert "more than 4,096 bytes" in response.json()["detail"]
        # The rest of the refused body was read and dropped, not left to garble the next.
        assert client.get("/health").status_code == 200
        assert client.get(PRODUCT, headers={"X-API-Key": keys["admin"]}).status_code == 404


def test_a_body_of_exactly_the_limit_is_taken_and_one_byte_more_is_refused(
    server: tuple[str, dict[str, str]],
) -> None:
    base, keys = server
    headers = {"X-API-Key": keys["admin"], "Content-Type": "application/json"}
    with httpx.Client(base_url=base, timeout=10) as client:
        response = client.put(PRODUCT, content=product_body(LIMIT), headers=headers)
        assert response.status_code == 200, response.text
        # The same, streamed without a Content-Length.
        response = client.put(PRODUCT, content=iter([product_body(LIMIT)]), headers=headers)
        assert response.status_code == 200, response.text
        response = client.put(PRODUCT, content=product_body(LIMIT + 1), headers=headers)
        assert response.status_code == 413
        assert "4,097 bytes (its Content-Length)" in response.json()["detail"]


def test_a_write_refused_as_too_large_does_not_keep_its_idempotency_key(
    server: tuple[str, dict[str, str]],
) -> None:
    base, keys = server
    headers = {
        "X-API-Key": keys["admin"],
        "Content-Type": "application/json",
        "Idempotency-Key": "too-big-1",
    }
    with httpx.Client(base_url=base, timeout=10) as client:
        refused = client.put(PRODUCT, content=product_body(LIMIT * 2), headers=headers)
        assert refused.status_code == 413
        # The key was never claimed, so the smaller retry runs rather than being refused
        # as a reuse of the key with another body.
        retried = client.put(PRODUCT, content=product_body(100), headers=headers)
        assert retried.status_code == 200, retried.text
        assert "idempotent-replayed" not in retried.headers


def test_a_caller_without_a_key_gets_the_413_too_the_body_being_refused_first(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    # FastAPI reads a body before it checks the caller: the limit must hold for anyone.
    connection = connect(base)
    headers_only(
        connection, "/v1/orders", {"Content-Type": "application/json", "Content-Length": "5000"}
    )
    response = connection.getresponse()
    assert response.status == 413
    assert read_json(response)["code"] == "body_too_large"
    connection.close()


def test_the_openapi_document_lists_the_413_on_every_operation_taking_a_body(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _ = server
    document = httpx.get(f"{base}/openapi.json", timeout=10).json()
    with_body = [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert with_body
    for path, method, operation in with_body:
        too_large = operation["responses"].get("413")
        assert too_large is not None, f"{method.upper()} {path} does not document its 413"
        assert PROBLEM in too_large["content"]
        assert "4,096 bytes" in too_large["description"]
    assert "413" not in document["paths"]["/health"]["get"]["responses"]
