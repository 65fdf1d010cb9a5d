"""Alerts and the day's KPIs: orders in today, held, late and backordered; the alerts by
status, each open one of which a person can acknowledge, and each not closed yet close (its
rule and key firing again then raise a new alert).

Roles that may read reports (admin, analyst) get the day's figures from
`GET /v1/reports/daily-kpis`, counted exactly by the API: of the orders received today, how
many are held, wholly or partly backordered, rejected or cancelled, and the shipments promised
for yesterday that had not shipped by its end (today's cannot be late before midnight).
Support may read orders but not reports, so its cards are counted from order searches (the
newest `KPI_SAMPLE` orders per figure) and the caption says so when a figure hits the cap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from admin_ui.client import OrdoClient
from admin_ui.models import Alert, Order, Principal
from admin_ui.roles import may
from admin_ui.session import flash, section
from admin_ui.texts import when
from admin_ui.views.orders import ON_ITS_WAY

KPI_SAMPLE = 500
DONE = {"shipped", "delivered", "cancelled", "rejected"}


def late(orders: list[Order], today: date) -> list[Order]:
    """Orders whose promised date has passed and that have not shipped (or ended)."""
    return [
        o
        for o in orders
        if o["promised_date"]
        and date.fromisoformat(o["promised_date"]) < today
        and o["status"] not in DONE
    ]


def waiting_for_stock(orders: list[Order]) -> list[Order]:
    """Of orders with a backordered line, those backordered whole or on their way with the
    rest to follow; a pre-order's lines wait for a launch, not for stock."""
    return [o for o in orders if o["status"] == "backordered" or o["status"] in ON_ITS_WAY]


def _exact_kpis(client: OrdoClient, today: date) -> None:
    kpis = client.daily_kpis(today)
    yesterday = client.daily_kpis(today - timedelta(days=1))
    cards = (
        ("Orders in today", kpis["orders_in"], "Orders received today (UTC)."),
        ("Held", kpis["held"], "Of today's orders, held for review now."),
        ("Backordered", kpis["backordered"], "Of today's orders, nothing allocated yet."),
        (
            "Partly backordered",
            kpis["partly_backordered"],
            "Of today's orders, on their way with a line still waiting for stock.",
        ),
        ("Rejected", kpis["rejected"], None),
        ("Cancelled", kpis["cancelled"], None),
        (
            "Late shipments (yesterday)",
            yesterday["late_shipments"],
            f"Shipments promised for {yesterday['date']} that had not shipped by its end.",
        ),
    )
    for start in range(0, len(cards), 4):
        row = cards[start : start + 4]
        for column, (label, value, help) in zip(st.columns(4), row, strict=False):
            column.metric(label, f"{value:,}", help=help)
    st.caption(
        "Counted exactly by the API; held to cancelled are today's orders by where each stands now."
    )


def _sampled_kpis(client: OrdoClient, today: date) -> None:
    start = datetime.combine(today, time.min, tzinfo=UTC)
    placed = client.search_orders(created_from=start, limit=KPI_SAMPLE)
    held = client.search_orders(status="held", limit=KPI_SAMPLE)
    # Backordered whole, and on their way with a line that waits (the rest shipping).
    with_a_backordered_line = client.search_orders(line_status="backordered", limit=KPI_SAMPLE)
    recent = client.search_orders(limit=KPI_SAMPLE)
    overdue = late(recent, today)
    a, b, c, d = st.columns(4)
    a.metric("Orders in today", len(placed))
    b.metric("Held", len(held))
    c.metric("Late", len(overdue))
    d.metric(
        "Backordered",
        len(waiting_for_stock(with_a_backordered_line)),
        help="Orders with a line waiting for stock: backordered whole, or on their way in part.",
    )
    sizes = (len(placed), len(held), len(with_a_backordered_line), len(recent))
    if KPI_SAMPLE in sizes:
        st.caption(f"Counted over at most {KPI_SAMPLE} orders each; a figure may be higher.")


def _kpis(client: OrdoClient, who: Principal) -> None:
    today = datetime.now(UTC).date()
    if may(who["role"], "read_reports"):
        _exact_kpis(client, today)
    else:
        _sampled_kpis(client, today)


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Alerts and KPIs")
    # The KPIs and the alerts come from different routes: either one failing leaves the other.
    if may(who["role"], "read_reports") or may(who["role"], "read_orders"):
        st.subheader(f"Today ({datetime.now(UTC).date().isoformat()})")
        with section("Today's KPIs"):
            _kpis(client, who)
    st.subheader("Alerts")
    with section("Alerts"):
        _alerts(client, who)


def alert_rows(alerts: list[Alert]) -> list[dict[str, object]]:
    """The alerts table: the ticket column only when one has a ticket (an API from before
    tickets has no such field), the closing columns only when one is closed."""
    tickets = any(a.get("ticket_id") for a in alerts)
    closed = any(a.get("closed_at") for a in alerts)
    return [
        {"raised": when(a["created_at"]), "severity": a["severity"], "rule": a["rule"],
         "about": a["key"], "message": a["message"], "times": a["occurrences"],
         "status": a["status"], "acknowledged by": a["acknowledged_by"],
         **({"closed by": a.get("closed_by") or "",
             "closed": when(a.get("closed_at"))} if closed else {}),
         **({"ticket": a.get("ticket_id") or ""} if tickets else {})}
        for a in alerts
    ]  # fmt: skip


def alert_actions(alert: Alert) -> list[str]:
    """The buttons an alert gets: an open one is acknowledged or closed outright (which
    acknowledges it too), an acknowledged one closed; a closed one is over."""
    return {"open": ["Acknowledge", "Close"], "acknowledged": ["Close"]}.get(alert["status"], [])


def _alerts(client: OrdoClient, who: Principal) -> None:
    status = st.segmented_control(
        "Show", ["open", "acknowledged", "closed", "all"], default="open", key="alerts_status"
    )
    alerts = client.list_alerts(None if status in (None, "all") else status)
    if not alerts:
        st.success("No open alerts." if status == "open" else "No alerts.")
        return
    st.dataframe(alert_rows(alerts), hide_index=True, width="stretch")
    actionable = [a for a in alerts if alert_actions(a)]
    if not may(who["role"], "ack_alerts") or not actionable:
        return
    note = st.text_input(
        "Note when closing (optional)", key="alerts_close_note",
        help="Why it is over: kept in the audit log and added to the alert's helpdesk ticket.",
    )  # fmt: skip
    for alert in actionable:
        text, *buttons = st.columns([4, 1, 1])
        text.write(f"**{alert['severity']}** · {alert['rule']}: {alert['message']}")
        for button, action in zip(buttons, alert_actions(alert), strict=False):
            if button.button(action, key=f"{action.lower()}-{alert['id']}"):
                # A refusal is shown under its alert; the others stay listed.
                doing = "Closing" if action == "Close" else "Acknowledging"
                with section(f"{doing} '{alert['message']}'"):
                    if action == "Close":
                        client.close_alert(alert["id"], note)
                        flash(f"Closed: {alert['message']}")
                    else:
                        client.acknowledge_alert(alert["id"])
                        flash(f"Acknowledged: {alert['message']}")
                    st.rerun()
