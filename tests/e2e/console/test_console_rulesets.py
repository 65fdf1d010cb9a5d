"""The Rulesets page driven by AppTest against the real API: list, edit with diagnostics at
their line and column, scenarios, diff against live, publish (and its refusal), roll back; a
failed call (through a gateway that fails the routes a test names) is shown in its part of
the page, and the rest, the editor above all, still works."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import TextArea

from tests.e2e.console.conftest import World, console, open_page, texts
from tests.e2e.console.gateway import DOWN, Gateway

BROKEN_LINE = "  when order.totl > 100 USD\n"


def routing_source(world: World) -> str:
    with world.http() as http:
        return str(http.get(f"/v1/rulesets/versions/{world.live['routing']}").json()["source"])


def editor(app: AppTest) -> TextArea:
    area: TextArea = next(a for a in app.text_area if a.label == "Rules")
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


SCENARIOS = """locations:
  - {code: DAL-01, type: warehouse, postal_code: "75201"}
products:
  - {sku: SHOE-42, price: "80.00"}
stock:
  - {sku: SHOE-42, location: DAL-01, on_hand: 100}
scenarios:
  - name: An order with stock is released
    order: {ship_to: "10001", lines: [{sku: SHOE-42, qty: 1}]}
    expect: {status: released}
"""


def live_version(world: World, name: str = "routing") -> int:
    with world.http() as http:
        versions = http.get("/v1/rulesets", params={"name": name}).json()
    return int(next(v["version"] for v in versions if v["status"] == "published"))


def widget(items: object, label: str) -> object:
    return next(w for w in items if w.label == label)  # type: ignore[attr-defined]


def test_an_analyst_fixes_tests_compares_publishes_and_rolls_back_without_a_terminal(
    world: World,
) -> None:
    original = routing_source(world)
    app = open_page(console(world, "analyst"), "rulesets")
    app = save(app, original.replace("order.total < 50 USD", "order.totl < 80 USD"))
    assert any("Did you mean `total`?" in e.value for e in app.error)
    fixed = original.replace("order.total < 50 USD", "order.total < 80 USD")
    app = save(app, fixed)
    assert any("No problems found" in s.value for s in app.success)
    widget(app.text_area, "Scenarios (YAML)").set_value(SCENARIOS)  # type: ignore[attr-defined]
    widget(app.button, "Run scenarios").click().run()  # type: ignore[attr-defined]
    assert any("All 1 scenario(s) passed." in s.value for s in app.success), texts(app)
    assert "Rules changed: Small orders never split" in texts(app)
    diff = next(d.value for d in app.dataframe if "change" in d.value.columns)
    changed = diff[diff["change"] == "changed"]
    assert any("order.total < 80 USD" in text for text in changed.iloc[:, 4])
    draft_version = max(int(str(v["version"])) for v in _versions(world))
    box = next(c for c in app.checkbox if c.label.startswith("Yes, make version"))
    box.check()
    widget(app.button, "Publish").click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    assert any(f"routing version {draft_version} is live." in s.value for s in app.success)
    assert live_version(world) == draft_version
    widget(app.selectbox, "Make this version live again").set_value(1).run()  # type: ignore[attr-defined]
    widget(app.checkbox, "Yes, roll routing back to version 1").check()  # type: ignore[attr-defined]
    widget(app.button, "Roll back").click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    assert any("routing version 1 is live again." in s.value for s in app.success)
    assert live_version(world) == 1
    history = next(d.value for d in app.dataframe if "published by" in d.value.columns)
    assert set(history["author"]) >= {"analyst:e2e-analyst", "admin:e2e-admin"}


def _versions(world: World) -> list[dict[str, object]]:
    with world.http() as http:
        return list(http.get("/v1/rulesets", params={"name": "routing"}).json())


FAILING = SCENARIOS.replace("expect: {status: released}", "expect: {status: held}")


def test_publishing_is_refused_while_a_scenario_fails(world: World) -> None:
    app = open_page(console(world, "analyst"), "rulesets")
    widget(app.text_area, "Scenarios (YAML)").set_value(FAILING)  # type: ignore[attr-defined]
    app = save(app, routing_source(world).replace("weight 5", "weight 6"))
    assert any("No problems found" in s.value for s in app.success)
    next(c for c in app.checkbox if c.label.startswith("Yes, make version")).check()
    widget(app.button, "Publish").click().run()  # type: ignore[attr-defined]
    shown = texts(app)
    assert "Publishing was refused: 1 of 1 scenario(s) fail" in shown
    assert "An order with stock is released" in shown
    assert live_version(world) == 1


def test_a_changed_text_is_checked_at_once_without_saving_a_version(world: World) -> None:
    app = open_page(console(world, "analyst"), "rulesets")
    before = len(_versions(world))
    broken = routing_source(world).replace("weight 5", "weight five")
    editor(app).set_value(broken).run()
    assert not app.exception, app.exception
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "weight five" in text)
    assert any(e.value.startswith(f"Line {line}, column ") for e in app.error), texts(app)
    assert "Saved as version" not in texts(app)
    assert len(_versions(world)) == before


def test_saving_over_a_version_someone_saved_meanwhile_is_refused_until_reloaded(
    world: World,
) -> None:
    app = open_page(console(world, "analyst"), "rulesets")  # the editor loads the newest
    source = routing_source(world)
    newer_source = source.replace("weight 5", "weight 7")
    with world.http() as http:
        saved = http.post("/v1/rulesets/drafts", json={"source": newer_source})
        assert saved.status_code == 201, saved.text
    newer = saved.json()
    before = len(_versions(world))
    app = save(app, source.replace("weight 5", "weight 8"))
    shown = texts(app)
    assert f"Not saved: routing version {newer['version']} by admin:e2e-admin at " in shown
    assert "was saved after the one you edited" in shown
    assert "reload it and re-apply your change" in shown
    assert len(_versions(world)) == before
    widget(app.button, "Reload the newest version").click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    assert editor(app).value == newer_source
    app = save(app, newer_source.replace("weight 7", "weight 8"))
    assert f"Saved as version {newer['version'] + 1}" in texts(app)
    assert "Not saved" not in texts(app)


# --- a failed call costs only its part of the page ----------------------------------------

SHOWN_DOWN = f"{DOWN[:1].upper()}{DOWN[1:]}"


def test_a_failing_diff_shows_in_the_compare_tab_and_the_editor_and_other_tabs_still_work(
    world: World, gateway: Gateway
) -> None:
    source = routing_source(world).replace("weight 5", "weight 4")
    with world.http("analyst") as http:
        saved = http.post("/v1/rulesets/drafts", json={"source": source})
        assert saved.status_code == 201, saved.text
    draft = saved.json()
    live = next(v for v in _versions(world) if v["status"] == "published")
    # The tab compares the live version with the newest one, the draft just saved.
    gateway.failing.add(("GET", f"/v1/rulesets/versions/{live['id']}/diff/{draft['id']}"))
    app = open_page(console(gateway.as_world(), "analyst"), "rulesets")
    assert not app.exception, app.exception
    _, scenarios, compare, publish, history = app.tabs
    assert [str(e.value) for e in compare.error] == [f"**The diff**: {SHOWN_DOWN}"]
    assert len(app.error) == 1
    assert editor(app).value == source
    assert any(a.label == "Scenarios (YAML)" for a in scenarios.text_area)
    assert any(b.label == "Publish" for b in publish.button)
    assert any("published by" in d.value.columns for d in history.dataframe)


def test_when_the_versions_cannot_be_read_the_editor_keeps_its_text_and_still_saves(
    world: World, gateway: Gateway
) -> None:
    app = open_page(console(gateway.as_world(), "analyst"), "rulesets")
    typed = routing_source(world).replace("weight 5", "weight 3")
    editor(app).set_value(typed).run()
    gateway.failing.add(("GET", "/v1/rulesets"))  # the list and one ruleset's versions
    app.run()
    assert not app.exception, app.exception
    assert [str(e.value) for e in app.error] == [
        f"**The rulesets**: {SHOWN_DOWN}",
        f"**The versions of routing**: {SHOWN_DOWN}",
    ]
    assert editor(app).value == typed
    before = len(_versions(world))
    next(b for b in app.button if b.label == "Save draft").click().run()
    assert not app.exception, app.exception
    assert f"Saved as version {before + 1}. No problems found." in texts(app)
    assert len(_versions(world)) == before + 1
