"""Failures reach people as one readable message: the client turns problem+json answers into
`ApiError` with the API's sentence (and the fields or diagnostics it lists, shown one per line),
and every page runs inside a guard that shows any failure with `st.error`, never a
traceback."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui.client import ApiError, OrdoClient
from tests.e2e.console.conftest import APP, TIMEOUT, World


def answering(status: int, body: object, content_type: str) -> OrdoClient:
    def reply(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers={"content-type": content_type})
        return httpx.Response(status, json=body, headers={"content-type": content_type})

    return OrdoClient("http://ordo.test", "ordo_k_secret", transport=httpx.MockTransport(reply))


def test_a_problem_answer_becomes_an_api_error_with_its_detail_and_each_bad_field() -> None:
    problem = {
        "type": "https://ordo.dev/problems/validation_error",
        "title": "Unprocessable request",
        "status": 422,
        "detail": "the request is not valid: $.quantity: must be > 0",
        "errors": [
            {"path": "$.quantity", "message": "must be > 0"},
            {"path": "$.sku", "message": "is required"},
        ],
        "code": "validation_error",
    }
    client = answering(422, problem, "application/problem+json")
    with pytest.raises(ApiError) as caught:
        client.transfer("X", "A", "B", 0, date(2026, 1, 1))
    assert caught.value.status == 422
    assert caught.value.code == "validation_error"
    assert caught.value.message == (
        "the request is not valid: $.quantity: must be > 0 ($.sku: is required)"
    )


def test_a_refused_ruleset_s_diagnostics_become_findings_at_their_line_and_column() -> None:
    problem = {
        "status": 422,
        "detail": "the ruleset has 2 error(s); first at line 4, column 8: unknown action",
        "code": "invalid_ruleset",
        "diagnostics": [
            {"code": "E102", "message": "unknown action `max_shipmentz`", "line": 4,
             "column": 8, "severity": "error", "suggestion": "did you mean `max_shipments`?"},
            {"code": "E202", "message": "`order` has no field `totl`", "line": 9, "column": 14,
             "severity": "error", "suggestion": ""},
        ],
    }  # fmt: skip
    client = answering(422, problem, "application/problem+json")
    with pytest.raises(ApiError) as caught:
        client.publish("rsv_1")
    assert caught.value.findings == (
        "Line 4, column 8: Unknown action `max_shipmentz`. Did you mean `max_shipments`?",
        "Line 9, column 14: `order` has no field `totl`.",
    )
    assert caught.value.detail == problem["detail"]


def page_failing_with_two_bad_fields() -> None:
    """An AppTest script: a signed-in page whose call is refused for two bad fields."""
    from datetime import date

    import httpx
    import streamlit as st

    from admin_ui.client import OrdoClient
    from admin_ui.session import run_page

    st.session_state["ordo_principal"] = {"role": "admin", "name": "a"}
    problem = {
        "status": 422,
        "detail": "the request is not valid: $.quantity: must be > 0; $.sku: is required",
        "errors": [
            {"path": "$.quantity", "message": "must be > 0"},
            {"path": "$.sku", "message": "is required"},
        ],
        "code": "validation_error",
    }

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json=problem)

    def render(client: object, who: object) -> None:
        refusing = OrdoClient("http://ordo.test", "k", transport=httpx.MockTransport(reply))
        refusing.transfer("X", "A", "B", 0, date(2026, 1, 1))

    run_page(render)


def test_a_refusal_naming_several_bad_fields_lists_them_one_per_line() -> None:
    app = AppTest.from_function(page_failing_with_two_bad_fields, default_timeout=TIMEOUT).run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "The request is not valid:\n\n- $.quantity: must be > 0\n- $.sku: is required"
    ]


def test_an_answer_that_is_not_json_still_becomes_a_sentence() -> None:
    client = answering(502, "Bad Gateway", "text/plain")
    with pytest.raises(ApiError, match="the API answered 502: Bad Gateway"):
        client.whoami()


def page_raising(error: str) -> None:
    """An AppTest script: a signed-in page whose render fails with `error`."""
    import streamlit as st

    from admin_ui.client import ApiError
    from admin_ui.session import run_page

    st.session_state["ordo_principal"] = {"role": "support", "name": "s"}

    def render(client: object, who: object) -> None:
        if error == "forbidden":
            raise ApiError("this key may not read rulesets", status=403)
        raise RuntimeError("boom")

    run_page(render)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("forbidden", "Your role may not do this: this key may not read rulesets"),
        ("crash", "Something went wrong on this page (RuntimeError: boom)"),
    ],
)
def test_a_failing_page_shows_a_message_and_no_traceback(error: str, shown: str) -> None:
    app = AppTest.from_function(page_raising, args=(error,), default_timeout=TIMEOUT).run()
    assert not app.exception
    assert [e.value for e in app.error] == [next(e.value for e in app.error if shown in e.value)]


def test_a_bearer_token_signs_in_like_a_key(world: World) -> None:
    with world.http("support") as http:
        token = http.post("/v1/auth/tokens", json={"ttl_seconds": 600}).json()["access_token"]
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.text_input[1].set_value(token)
    app.button[0].click().run()
    assert not app.exception, app.exception
    assert app.session_state["ordo_principal"]["role"] == "support"
    app.switch_page("screens/orders.py").run()
    assert not app.exception and not app.error
