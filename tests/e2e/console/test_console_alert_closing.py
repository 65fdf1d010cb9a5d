"""The Alerts page closes an alert against the real API: the open alert's Close button, with a
note, closes it (acknowledging it too), and the page's `closed` filter lists it with who
closed it."""

from __future__ import annotations

from tests.e2e.console.conftest import World, console, open_page


def test_the_alerts_page_closes_an_open_alert_with_a_note_and_lists_it_as_closed(
    world: World,
) -> None:
    app = open_page(console(world, "support"), "alerts")
    app.text_input(key="alerts_close_note").set_value("carrier caught up").run()

    next(b for b in app.button if b.label == "Close").click().run()

    assert not app.exception, app.exception
    with world.http() as http:
        [alert] = http.get("/v1/alerts").json()
        [entry] = [e for e in http.get(f"/v1/audit?entity=alert&entity_id={alert['id']}").json()
                   if e["action"] == "alert.close"]  # fmt: skip
    assert alert["status"] == "closed" and alert["closed_by"].startswith("support:")
    assert alert["acknowledged_by"] == alert["closed_by"]
    assert entry["after"] == {"status": "closed", "note": "carrier caught up"}
    app.segmented_control(key="alerts_status").set_value("closed").run()
    assert not app.exception, app.exception
    [table] = app.dataframe
    assert list(table.value["status"]) == ["closed"]
    assert list(table.value["closed by"]) == [alert["closed_by"]]
    assert not [b for b in app.button if b.label in ("Close", "Acknowledge")]
