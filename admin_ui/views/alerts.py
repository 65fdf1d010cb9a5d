"""Alerts and the day's KPIs: orders in today, held, late and backordered; the open alerts,
each of which a person can acknowledge.

The KPIs are counted from order searches (newest `KPI_SAMPLE` orders per figure), because
the API has no report route for them yet; the caption says so when a figure hits the cap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import streamlit as st

from admin_ui.client import OrdoClient
from admin_ui.models import Order, Principal
from admin_ui.roles import may
from admin_ui.session import flash, section
from admin_ui.texts import when

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


def _kpis(client: OrdoClient) -> None:
    today = datetime.now(UTC).date()
    start = datetime.combine(today, time.min, tzinfo=UTC)
    placed = client.search_orders(created_from=start, limit=KPI_SAMPLE)
    held = client.search_orders(status="held", limit=KPI_SAMPLE)
    backordered = client.search_orders(status="backordered", limit=KPI_SAMPLE)
    recent = client.search_orders(limit=KPI_SAMPLE)
    overdue = late(recent, today)
    a, b, c, d = st.columns(4)
    a.metric("Orders in today", len(placed))
    b.metric("Held", len(held))
    c.metric("Late", len(overdue))
    d.metric("Backordered", len(backordered))
    if KPI_SAMPLE in (len(placed), len(held), len(backordered), len(recent)):
        st.caption(f"Counted over at most {KPI_SAMPLE} orders each; a figure may be higher.")


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Alerts and KPIs")
    # The KPIs and the alerts come from different routes: either one failing leaves the other.
    if may(who["role"], "read_orders"):
        st.subheader(f"Today ({datetime.now(UTC).date().isoformat()})")
        with section("Today's KPIs"):
            _kpis(client)
    st.subheader("Alerts")
    with section("Alerts"):
        _alerts(client, who)


def _alerts(client: OrdoClient, who: Principal) -> None:
    status = st.segmented_control(
        "Show", ["open", "acknowledged", "closed", "all"], default="open", key="alerts_status"
    )
    alerts = client.list_alerts(None if status in (None, "all") else status)
    if not alerts:
        st.success("No open alerts." if status == "open" else "No alerts.")
        return
    st.dataframe(
        [
            {"raised": when(a["created_at"]), "severity": a["severity"], "rule": a["rule"],
             "about": a["key"], "message": a["message"], "times": a["occurrences"],
             "status": a["status"], "acknowledged by": a["acknowledged_by"]}
            for a in alerts
        ],
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    if not may(who["role"], "ack_alerts"):
        return
    for alert in (a for a in alerts if a["status"] == "open"):
        text, button = st.columns([5, 1])
        text.write(f"**{alert['severity']}** · {alert['rule']}: {alert['message']}")
        if button.button("Acknowledge", key=f"ack-{alert['id']}"):
            # A refused acknowledgement is shown under its alert; the others stay listed.
            with section(f"Acknowledging '{alert['message']}'"):
                client.acknowledge_alert(alert["id"])
                flash(f"Acknowledged: {alert['message']}")
                st.rerun()
