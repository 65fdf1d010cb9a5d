"""Every 4xx and 5xx is application/problem+json with a message naming what was wrong and where."""

from __future__ import annotations

from http.client import HTTPConnection
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.schemas.patterns import IN_WORDS
from engine.rules.registry import compile_source
from tests.e2e.conftest import Api, order
from tests.e2e.live import serve

PROBLEM = "application/problem+json"


def test_an_unknown_field_is_reported_with_its_path_and_the_field_it_probably_meant(
    api: Api,
) -> None:
    response = api.put("/v1/products/SKU-1", json={"name": "Shoe", "dimensions": {"lenght_cm": 3}})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    [error] = response.json()["errors"]
    assert error["path"] == "$.dimensions.lenght_cm"
    assert "did you mean 'length_cm'" in error["message"]


def test_a_query_parameter_the_route_does_not_take_is_refused_not_ignored(api: Api) -> None:
    # A range asked of a one-day report would otherwise be answered with today's figures.
    response = api.get("/v1/reports/daily-kpis?from=2026-11-21", role="analyst")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    [error] = response.json()["errors"]
    assert error["path"] == "query parameter 'from'"
    assert "takes no query parameter 'from' (it takes: date)" in error["message"]
    # Those a route takes, its dependencies' included, still pass.
    assert api.get("/v1/orders?status=released&limit=5", role="support").status_code == 200


def test_a_bad_value_deep_in_a_list_names_its_json_path(api: Api) -> None:
    lines = [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 0}]
    response = api.post("/v1/orders", role="channel", json=order("W-1", lines=lines))
    assert response.status_code == 422
    paths = [e["path"] for e in response.json()["errors"]]
    assert paths == ["$.lines[1].quantity"]
    assert "$.lines[1].quantity" in response.json()["detail"]


def post_raw(api: Api, content: bytes) -> httpx.Response:
    """POST `content` to /v1/orders as a channel, labelled JSON whatever it is."""
    return api.client.post(
        "/v1/orders",
        content=content,
        headers={**api.headers("channel"), "content-type": "application/json"},
    )


def test_a_body_that_is_not_json_is_refused_as_a_problem_not_a_crash(api: Api) -> None:
    response = post_raw(api, b"{not json")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "not valid JSON" in response.json()["detail"]


def test_a_body_that_is_not_json_says_at_which_line_and_column(api: Api) -> None:
    response = post_raw(api, b'{\n  "channel_order_id": "W-1",\n  "lines": [}\n')
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["message"] == (
        "the request body is not valid JSON (Expecting value at line 3, column 13)"
    )


def test_a_body_nested_too_deeply_to_read_is_told_so_not_blamed_on_its_encoding(
    api: Api,
) -> None:
    response = post_raw(api, b"[" * 100_000 + b"]" * 100_000)
    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)
    assert response.json()["detail"] == (
        "the request body nests arrays or objects too deeply to be read"
    )


def test_a_body_that_is_not_utf8_is_refused_in_words(api: Api) -> None:
    response = post_raw(api, b'{"channel_order_id": "caf\xe9"}')
    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM)
    assert "send UTF-8 encoded JSON" in response.json()["detail"]
    assert response.json()["code"] == "unreadable_body"


@pytest.mark.parametrize(
    "email",
    [
        "victim@example.com, attacker@evil.test",
        "not an email",
        "a@example.com\r\nBcc: hidden@evil.test",
        "Ada <ada@example.com>",
    ],
)
def test_an_order_email_that_is_not_one_address_is_refused_before_mail_is_sent_to_it(
    api: Api, email: str
) -> None:
    response = api.post("/v1/orders", role="channel", json={**order("E-1"), "email": email})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["path"] == "$.email"
    assert error["message"].startswith("must be empty, or one e-mail address")


@pytest.mark.parametrize(
    ("field", "value", "path", "words"),
    [
        ("currency", "usd", "$.currency", "a three-letter ISO 4217 code in capitals"),
        ("currency", "US$", "$.currency", "a three-letter ISO 4217 code in capitals"),
        ("ship_to", {"postal_code": "10400", "country": "cu"}, "$.ship_to.country",
         "a two-letter ISO 3166-1 country code in capitals"),
        ("ship_to", {"postal_code": "10400", "country": "C1"}, "$.ship_to.country",
         "a two-letter ISO 3166-1 country code in capitals"),
        ("service_level", "Two-Day", "$.service_level", "1 to 32 lower-case letters, digits"),
        ("service_level", "_", "$.service_level", "1 to 32 lower-case letters, digits"),
    ],
)  # fmt: skip
def test_an_order_code_of_the_wrong_shape_is_refused_at_its_path_saying_the_form_expected(
    api: Api, field: str, value: object, path: str, words: str
) -> None:
    response = api.post("/v1/orders", role="channel", json={**order("C-1"), field: value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    [error] = response.json()["errors"]
    assert error["path"] == path
    assert error["message"].startswith(f"must be {words}")


def test_a_service_level_of_digits_and_underscores_as_the_rules_name_them_is_accepted(
    api: Api,
) -> None:
    api.seed(units=10)
    for number, level in enumerate(("two_day", "2day", "next_day")):
        body = {**order(f"S-{number}"), "service_level": level}
        created = api.post("/v1/orders", role="channel", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["service_level"] == level


def test_a_bad_query_parameter_is_named(api: Api) -> None:
    response = api.get("/v1/products?limit=0")
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "query parameter 'limit'"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/orders", {"created_from": "0001-01-01T00:00:00+05:00"}),
        ("/v1/orders", {"created_to": "9999-12-31T23:59:59-05:00"}),
        ("/v1/reports/daily-kpis", {"date": "9999-12-31"}),
        ("/v1/inventory/reorder-suggestions", {"today": "0001-01-01"}),
    ],
)
def test_a_day_at_the_ends_of_the_calendar_is_refused_by_name_not_a_500(
    api: Api, path: str, params: dict[str, str]
) -> None:
    response = api.get(path, role="admin", params=params)
    assert response.status_code == 422, response.text
    (name,) = params
    assert response.json()["errors"][0]["path"] == f"query parameter {name!r}"
    assert "from 1900-01-01 to 9000-12-31" in response.json()["detail"]


def test_an_unknown_route_and_a_wrong_method_are_problems_too(api: Api) -> None:
    missing = api.get("/v1/nothing-here")
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    assert "/docs" in missing.json()["detail"]
    assert missing.json()["code"] == "no_such_route"
    wrong = api.client.delete("/v1/products", headers=api.headers("admin"))
    assert (wrong.status_code, wrong.headers["content-type"]) == (405, PROBLEM)
    assert wrong.json()["code"] == "method_not_allowed"


def test_a_missing_resource_names_what_was_not_found(api: Api) -> None:
    response = api.get("/v1/products/NOPE-1")
    assert response.status_code == 404
    assert response.json()["detail"] == "product 'NOPE-1' does not exist"


def test_a_value_of_the_wrong_shape_is_answered_in_words_not_with_a_regular_expression(
    api: Api,
) -> None:
    response = api.post("/v1/orders", role="channel", json=order("W 1/2"))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "$.channel_order_id"
    assert error["message"] == (
        "must be 1 to 64 characters: letters, digits and '.', '_', ':', '-', starting with "
        "a letter or a digit; got 'W 1/2'"
    )


def test_every_pattern_in_the_openapi_document_can_be_said_in_words(api: Api) -> None:
    def patterns(node: object) -> set[str]:
        if isinstance(node, dict):
            found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
            return found.union(*(patterns(value) for value in node.values()))
        if isinstance(node, list):
            return set().union(*(patterns(item) for item in node))
        return set()

    used = patterns(api.client.get("/openapi.json").json())
    assert used, "the document declares patterns"
    assert used - IN_WORDS.keys() == set()


def test_a_request_that_finds_no_free_database_connection_is_a_503_to_retry(
    api: Api, app: FastAPI
) -> None:
    def busy() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 0 reached, connection timed out")

    app.add_api_route("/v1/test-busy", busy, methods=["GET", "POST"])
    response = api.get("/v1/test-busy")
    assert (response.status_code, response.headers["content-type"]) == (503, PROBLEM)
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "database_busy"
    assert response.json()["detail"].endswith("retry shortly. Retrying is safe.")
    keyed = api.post("/v1/test-busy", headers={"Idempotency-Key": "busy-1"}).json()
    assert keyed["detail"].endswith("Retrying with the same Idempotency-Key is safe.")
    unkeyed = api.post("/v1/test-busy").json()
    assert unkeyed["detail"].endswith("retry shortly.")


def test_a_ruleset_that_stopped_compiling_is_a_422_listing_its_diagnostics_not_a_500(
    api: Api, app: FastAPI
) -> None:
    shipped = (Path(__file__).parents[2] / "rulesets" / "order_validation.ordo").read_text()
    broken = shipped.replace("order.total", "order.totl", 1)
    line = next(n for n, row in enumerate(broken.splitlines(), 1) if "order.totl" in row)

    def stale() -> None:
        # What the registry raises for a published text the schema no longer accepts: the
        # rule language's own diagnostic objects, not the dicts the ruleset routes build.
        compile_source(broken, "order_validation", 3)

    app.add_api_route("/v1/test-stale-ruleset", stale)
    response = api.get("/v1/test-stale-ruleset")
    assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM), response.text
    [found] = response.json()["diagnostics"]
    assert (found["line"], found["severity"]) == (line, "error")
    assert "totl" in found["message"]


def test_a_database_that_does_not_answer_is_a_503_to_retry_without_its_address(
    api: Api, app: FastAPI
) -> None:
    def unreachable() -> None:
        refused = 'connection to server at "10.0.0.7", port 5432 failed: Connection refused'
        raise OperationalError("SELECT 1", {}, Exception(refused))

    app.add_api_route("/v1/test-unreachable", unreachable, methods=["GET", "POST"])
    response = api.get("/v1/test-unreachable")
    assert (response.status_code, response.headers["content-type"]) == (503, PROBLEM)
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["reference"] in body["detail"]
    assert "Retrying is safe." in body["detail"]
    assert "10.0.0.7" not in response.text
    keyed = api.post("/v1/test-unreachable", headers={"Idempotency-Key": "down-1"}).json()
    assert "Retrying with the same Idempotency-Key is safe." in keyed["detail"]
    unkeyed = api.post("/v1/test-unreachable").json()
    assert "Retrying" not in unkeyed["detail"]


def test_a_500_promises_a_safe_retry_only_to_a_read_or_a_write_sent_with_a_key(
    api: Api, app: FastAPI
) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/test-broken", broken, methods=["GET", "POST"])
    read = api.get("/v1/test-broken").json()
    assert (read["code"], read["detail"][-18:]) == ("internal_error", " Retrying is safe.")
    keyed = api.post("/v1/test-broken", headers={"Idempotency-Key": "k-1"}).json()
    assert keyed["detail"].endswith("Retrying with the same Idempotency-Key is safe.")
    unkeyed = api.post("/v1/test-broken").json()
    assert unkeyed["detail"].endswith(f"reference {unkeyed['reference']}.")


def test_a_500_promises_nothing_for_a_key_no_caller_could_claim(api: Api, app: FastAPI) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    # A route without credentials: nobody to keep the key for, so the key did not guard it.
    app.add_api_route("/v1/test-broken", broken, methods=["POST"])
    anonymous = api.client.post("/v1/test-broken", headers={"Idempotency-Key": "k-2"}).json()
    assert anonymous["code"] == "internal_error"
    assert anonymous["detail"].endswith(f"reference {anonymous['reference']}.")


def test_a_500_keeps_the_connection_open_for_the_clients_next_request(app: FastAPI) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/test-broken", broken)
    with serve(app) as base:
        connection = HTTPConnection(base.removeprefix("http://"), timeout=10)
        connection.request("GET", "/v1/test-broken")
        failed = connection.getresponse()
        assert (failed.status, failed.getheader("connection")) == (500, None)
        failed.read()
        connection.request("GET", "/health")  # on the same socket: it must still be open
        assert connection.getresponse().status == 200
        connection.close()
