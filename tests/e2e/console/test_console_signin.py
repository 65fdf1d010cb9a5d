"""Signing in to the console: a key that the API refuses is a message; each role is offered
only the pages it can use."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import APP, TIMEOUT, World, console


def test_a_wrong_key_is_refused_with_the_api_s_reason(world: World) -> None:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.text_input[0].set_value(world.url)
    app.text_input[1].set_value("ordo_nope_" + "x" * 30)
    app.button[0].click().run()
    assert not app.exception
    assert "ordo_principal" not in app.session_state
    assert any("was not accepted" in e.value for e in app.error)


def test_an_unreachable_api_is_a_message(world: World) -> None:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.text_input[0].set_value("http://127.0.0.1:9")
    app.text_input[1].set_value(world.keys["admin"])
    app.button[0].click().run()
    assert not app.exception
    assert any("Cannot reach the API at http://127.0.0.1:9" in e.value for e in app.error)


@pytest.mark.parametrize(
    ("role", "pages", "hidden"),
    [
        ("analyst", {"rulesets", "simulation", "inventory", "alerts"}, "orders"),
        ("support", {"orders", "inventory", "alerts"}, "rulesets"),
        ("warehouse", {"inventory"}, "simulation"),
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
