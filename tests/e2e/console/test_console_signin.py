"""Signing in to the console: a key that the API refuses is a message; each role is offered
only the pages it can use; the credential goes to ORDO_API_URL, and only in development may
the form name another API."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import APP, TIMEOUT, World, console


def test_a_wrong_key_is_refused_with_the_api_s_reason(world: World) -> None:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.text_input[1].set_value("ordo_nope_" + "x" * 30)
    app.button[0].click().run()
    assert not app.exception
    assert "ordo_principal" not in app.session_state
    assert any("was not accepted" in e.value for e in app.error)


def test_an_unreachable_api_is_a_message(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDO_API_URL", "http://127.0.0.1:9")
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.text_input[1].set_value(world.keys["admin"])
    app.button[0].click().run()
    assert not app.exception
    assert any("Cannot reach the API at http://127.0.0.1:9" in e.value for e in app.error)


@pytest.mark.parametrize(
    ("role", "pages", "hidden"),
    [
        ("analyst", {"rulesets", "simulation", "inventory", "alerts"}, "orders"),
        ("support", {"orders", "shipments", "inventory", "alerts"}, "rulesets"),
        ("warehouse", {"shipments", "inventory", "returns"}, "simulation"),
    ],
)
def test_each_role_sees_only_its_pages(
    world: World, role: str, pages: set[str], hidden: str
) -> None:
    app = console(world, role)
    for page in pages:
        app.switch_page(f"screens/{page}.py").run()
        assert not app.exception, (page, app.exception)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(f"screens/{hidden}.py")


def test_outside_development_the_api_address_is_shown_but_cannot_be_changed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_ENVIRONMENT", "production")
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    address = app.text_input[0]
    assert address.label == "API address"
    assert address.disabled
    assert address.value == world.url


def sign_in_naming(credential: str, url: str) -> None:
    """What the sign-in form's action does with the values a browser sent."""
    from admin_ui import session

    session.sign_in(credential, url)


def test_outside_development_the_console_signs_in_to_ordo_api_url_whatever_the_form_sends(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_ENVIRONMENT", "production")
    # A browser cannot change the disabled field, but a hand-made websocket message can send
    # any widget's value: the server must not use it.
    app = AppTest.from_function(
        sign_in_naming, args=(world.keys["admin"], "http://127.0.0.1:9"), default_timeout=TIMEOUT
    ).run()
    assert not app.exception, app.exception
    assert app.session_state["ordo_principal"]["role"] == "admin"
    assert app.session_state["ordo_api_url"] == world.url


def test_only_in_development_may_the_form_sign_in_to_another_api(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_API_URL", "http://127.0.0.1:9")
    for environment in ("production", "test", None):
        if environment is None:
            monkeypatch.delenv("ORDO_ENVIRONMENT", raising=False)
        else:
            monkeypatch.setenv("ORDO_ENVIRONMENT", environment)
        app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
        assert app.text_input[0].disabled, environment

    monkeypatch.setenv("ORDO_ENVIRONMENT", "development")
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not app.text_input[0].disabled
    assert app.text_input[0].value == "http://127.0.0.1:9"
    app.text_input[0].set_value(world.url)
    app.text_input[1].set_value(world.keys["admin"])
    app.button[0].click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.session_state["ordo_principal"]["role"] == "admin"
    assert any(caption.value == f"API: {world.url}" for caption in app.sidebar.caption)
