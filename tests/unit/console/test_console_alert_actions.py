"""The Alerts page's table and buttons, without Streamlit or an API: an open alert can be
acknowledged or closed, an acknowledged one closed, a closed one neither; the table shows who
closed an alert and when once one is closed; and the client sends a close's note only when
there is one."""

from __future__ import annotations

import json

import httpx

from admin_ui.client import OrdoClient
from admin_ui.models import Alert
from admin_ui.views.alerts import alert_actions, alert_rows


def an_alert(status: str, **kw: object) -> Alert:
    alert = {
        "id": f"alr_{status}", "rule": "ops/low stock", "severity": "high",
        "key": "SKU-1@W1", "message": "SKU-1 low", "status": status,
        "created_at": "2026-11-27T10:00:00Z", "occurrences": 2, "last_seen_at": None,
        "acknowledged_by": "", "acknowledged_at": None, "ticket_id": None,
        "closed_by": "", "closed_at": None, **kw,
    }  # fmt: skip
    return alert  # type: ignore[return-value]


def test_an_open_alert_may_be_acknowledged_or_closed_and_an_acknowledged_one_closed() -> None:
    assert alert_actions(an_alert("open")) == ["Acknowledge", "Close"]
    assert alert_actions(an_alert("acknowledged")) == ["Close"]
    assert alert_actions(an_alert("closed")) == []


def test_the_table_shows_who_closed_an_alert_and_when_once_one_is_closed() -> None:
    closed = an_alert("closed", acknowledged_by="user:sam", closed_by="system",
                      closed_at="2026-11-28T11:00:00+01:00")  # fmt: skip

    rows = alert_rows([an_alert("open"), closed])

    assert [(r["status"], r["closed by"], r["closed"]) for r in rows] == [
        ("open", "", ""), ("closed", "system", "2026-11-28 10:00 UTC"),
    ]  # fmt: skip
    assert "closed by" not in alert_rows([an_alert("open")])[0]


def test_the_client_closes_an_alert_with_its_note_or_with_no_body() -> None:
    sent: list[tuple[bytes, bytes]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.raw_path, request.content))
        return httpx.Response(200, json=an_alert("closed"))

    with OrdoClient("http://api.test", "k", transport=httpx.MockTransport(answer)) as client:
        client.close_alert("alr_1", "restocked")
        client.close_alert("alr_1", "  ")

    assert [path for path, _ in sent] == [b"/v1/alerts/alr_1/close"] * 2
    assert json.loads(sent[0][1]) == {"note": "restocked"}
    assert sent[1][1] == b""
