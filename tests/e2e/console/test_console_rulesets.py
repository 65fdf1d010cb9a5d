"""The Rulesets page driven by AppTest against the real API: list, edit with diagnostics at
their line and column, scenarios, diff against live, publish (and its refusal), roll back."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.e2e.console.conftest import World, console, open_page, texts

BROKEN_LINE = "  when order.totl > 100 USD\n"


def routing_source(world: World) -> str:
    with world.http() as http:
        return str(http.get(f"/v1/rulesets/versions/{world.live['routing']}").json()["source"])


def editor(app: AppTest) -> AppTest:
    area = next(a for a in app.text_area if a.label == "Rules")
    return area


def save(app: AppTest, source: str) -> AppTest:
    editor(app).set_value(source)
    next(b for b in app.button if b.label == "Save draft").click().run()
    assert not app.exception, app.exception
    return app


def test_the_list_shows_every_ruleset_by_kind_with_its_live_version(world: World) -> None:
    app = open_page(console(world, "analyst"), "rulesets")
    table = app.dataframe[0].value
    rows = {row["ruleset"]: row for row in table.to_dict("records")}
    assert set(rows) >= {"routing", "order_validation", "carrier_selection", "reservation"}
    assert rows["routing"]["kind"] == "sourcing"
    assert rows["routing"]["live version"] == 1


def test_saving_a_draft_with_errors_shows_each_at_its_line_and_column(world: World) -> None:
    app = open_page(console(world, "analyst"), "rulesets")
    source = (
        routing_source(world)
        .replace("  then max_shipments 1", "  then max_shipmentz 1\n")
        .replace('when order.service_level == "same_day"', 'when order.service_levl == "same_day"')
    )
    app = save(app, source)
    lines = source.splitlines()
    typo = next(i for i, text in enumerate(lines, 1) if "service_levl" in text)
    column = lines[typo - 1].index("service_levl") + 1
    shown = texts(app)
    assert f"Line {typo}, column {column}: `order` has no field `service_levl`." in shown
    assert "Did you mean `service_level`?" in shown
    action = next(i for i, text in enumerate(lines, 1) if "max_shipmentz" in text)
    assert f"Line {action}, column " in shown
    assert "2 error(s)" in shown and "Saved as version 2" in shown
    listing = next(c.value for c in app.code if "service_levl" in c.value)
    marked = listing.splitlines()
    row = next(i for i, text in enumerate(marked) if "service_levl" in text and "|" in text)
    caret = marked[row + 1]
    assert caret.index("^") == marked[row].index("service_levl")


def test_publishing_a_draft_with_errors_is_refused_with_the_reason(world: World) -> None:
    app = open_page(console(world, "analyst"), "rulesets")
    app = save(app, routing_source(world).replace("order.total < 50 USD", "order.totl < 50 USD"))
    next(c for c in app.checkbox if c.label.startswith("Yes, make version")).check()
    next(b for b in app.button if b.label == "Publish").click().run()
    shown = texts(app)
    assert "Publishing was refused" in shown
    assert "error(s); first at line" in shown
    with world.http() as http:
        live = [
            v for v in http.get("/v1/rulesets?name=routing").json() if v["status"] == "published"
        ]
    assert [v["id"] for v in live] == [world.live["routing"]]
