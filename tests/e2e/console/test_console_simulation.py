"""The Simulation page driven by AppTest against the real API: an analyst saves a routing
draft, replays the imported history through live and draft, watches it finish, reads the KPI
cards and charts, and opens one changed order's two decisions."""

from __future__ import annotations

from datetime import date

from streamlit.testing.v1 import AppTest

from admin_ui.views.simulation import card_values, distance_note
from tests.e2e.console.conftest import EXAMPLE, World, console, open_page, texts
from tests.e2e.console.test_console_rulesets import save


def simulate(app: AppTest, limit: int) -> AppTest:
    next(n for n in app.number_input if n.label.startswith("Replay only")).set_value(limit)
    next(n for n in app.number_input if n.label == "Processes").set_value(1)
    next(b for b in app.button if b.label == "Start simulation").click().run(timeout=120)
    assert not app.exception, app.exception
    return app


def test_a_draft_is_simulated_against_live_with_kpis_charts_and_changed_orders(
    world: World,
) -> None:
    app = open_page(console(world, "analyst"), "rulesets")
    app = save(app, (EXAMPLE / "routing_draft.ordo").read_text())
    assert any("No problems found" in s.value for s in app.success)
    app = simulate(open_page(app, "simulation"), 80)
    shown = texts(app)
    assert "80 orders of acme-july replayed" in shown
    labels = [m.label for m in app.metric]
    assert labels.count("Fill rate") == 2 and labels.count("Split rate") == 2
    assert "Orders decided differently (draft against the live rulesets)" in [
        s.value for s in app.subheader
    ]
    table = app.dataframe[0].value
    assert len(table) > 0
    assert set(table["what changed"].str.split(", ").explode()) <= {
        "outcome", "location", "carrier", "split", "units",
    }  # fmt: skip
    first = table["order"].iloc[0]
    assert table["decisions"].iloc[0].endswith(f"&order={first}")
    assert "**baseline**" in shown and "**draft**" in shown
    assert len(app.get("plotly_chart")) >= 3


def test_starting_without_drafts_runs_the_live_rulesets_alone(world: World) -> None:
    app = simulate(open_page(console(world, "admin"), "simulation"), 20)
    assert "20 orders of acme-july replayed" in texts(app)
    assert [m.label for m in app.metric].count("Fill rate") == 1


def test_kpi_cards_show_the_change_against_live() -> None:
    cards = card_values(
        {"fill_rate": 0.9, "shipping_cost": 90.0}, {"fill_rate": 0.8, "shipping_cost": 100.0}
    )
    by_label = {label: (value, delta, colour) for label, value, delta, colour in cards}
    assert by_label["Fill rate"] == ("90.0%", "+10.0%", "normal")
    assert by_label["Shipping cost"] == ("90.00", "-10.00", "inverse")
    assert by_label["Split rate"] == ("n/a", None, "inverse")
    same = {c[0]: c for c in card_values({"fill_rate": 0.90001}, {"fill_rate": 0.9})}
    assert same["Fill rate"] == ("Fill rate", "90.0%", "no change", "off")


def test_the_mean_distance_card_says_how_many_orders_it_leaves_out() -> None:
    assert distance_note({"orders_without_distance": 0}) is None
    assert distance_note({}) is None  # a result from before the count existed
    note = distance_note({"orders_without_distance": 1234})
    assert note is not None and note.startswith("1,234 shipped orders had no known distance")


def progress_of(job: dict[str, object]) -> None:
    """An AppTest script showing one job's progress bar."""
    from admin_ui.views.simulation import _progress

    _progress(job)  # type: ignore[arg-type]


def test_a_running_job_shows_orders_done_rate_and_time_left() -> None:
    job = {
        "id": "abc",
        "status": "running",
        "progress": {"done": 300, "total": 1200, "fraction": 0.25, "rate": 150.0,
                     "eta_seconds": 6.0},
    }  # fmt: skip
    app = AppTest.from_function(progress_of, args=(job,)).run()
    bar = app.get("progress")[0]
    assert bar.proto.value == 25
    assert bar.proto.text == "running: 300 of 1,200 orders, 150 orders/s, about 6 s to go"


def test_the_dates_chosen_on_the_page_limit_the_replay_to_those_days(world: World) -> None:
    app = open_page(console(world, "admin"), "simulation")
    next(d for d in app.date_input if d.label.startswith("Orders from")).set_value(
        date(2025, 7, 10)
    )
    next(d for d in app.date_input if d.label.startswith("Orders to")).set_value(date(2025, 7, 12))
    app = simulate(app, 0)
    with world.http("admin") as http:
        [latest, *_] = http.get("/v1/simulations").json()
        result = http.get(f"/v1/simulations/{latest['id']}/result").json()
    baseline = result["runs"]["baseline"]
    assert (baseline["date_from"], baseline["date_to"]) == ("2025-07-10", "2025-07-12")
    replayed = baseline["kpis"]["orders"]
    assert 0 < replayed < 149
    assert f"{replayed} orders of acme-july replayed" in texts(app)
