"""Reports: sales, fulfilment, operational KPIs, customers and inventory over a period of days,
as `GET /v1/reports/...` counts them (exactly, in the database; docs/api.md, "Reports over a
period"). One tab per report, each asking its own route, so one report failing leaves the
others; a period the API refuses (backwards, longer than 366 days) is its message in each tab.

Every rate is shown with the counts it divides ("7.5% — 3 of 40"), so a reader can check it,
and money per currency, never added across currencies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import streamlit as st

from admin_ui.client import OrdoClient
from admin_ui.models import Principal, Ratio, ReportPeriod, SalesDay
from admin_ui.session import section
from admin_ui.texts import money

DEFAULT_DAYS = 30  # the API's own default period: the 30 days ending today
CARDS_PER_ROW = 4

# (label, value, help): one metric card.
Card = tuple[str, str, str | None]


# --- the words and numbers the tabs share (no Streamlit) -------------------------------------


def default_period(today: date) -> tuple[date, date]:
    return today - timedelta(days=DEFAULT_DAYS - 1), today


def ratio(r: Ratio) -> str:
    """'7.5% — 3 of 40'; 'n/a — 0 of 0' when there is nothing to divide by."""
    rate = "n/a" if r["rate"] is None else f"{r['rate']:.1%}"
    return f"{rate} — {r['count']:,} of {r['of']:,}"


def part(count: int, of: int) -> Ratio:
    """`count` of `of` as the API writes a rate, for the parts it gives as bare counts."""
    return {"count": count, "of": of, "rate": round(count / of, 4) if of else None}


def amounts(per_currency: Mapping[str, str]) -> str:
    """'1,250.00 USD · 310.40 EUR': each currency on its own, never summed; 'none' for none."""
    return " · ".join(money(v, c) for c, v in sorted(per_currency.items())) or "none"


def figure(value: float | None, unit: str = "", places: int = 2) -> str:
    """A mean or a quotient the API rounded, to as many `places`, with its unit; 'n/a' when
    there was nothing to divide."""
    return "n/a" if value is None else f"{value:,.{places}f}{unit}"


def span(period: ReportPeriod) -> str:
    return f"{period['from']} to {period['to']} ({period['days']} days, UTC)"


def daily_series(days: Sequence[SalesDay]) -> dict[str, list[Any]]:
    """Orders per day, and revenue per day in one column per currency (0 on a day without);
    days as dates, so the charts draw a time axis."""
    currencies = sorted({c for d in days for c in d["revenue"]})
    series: dict[str, list[Any]] = {
        "date": [date.fromisoformat(d["date"]) for d in days],
        "orders": [d["orders"] for d in days],
    }
    for currency in currencies:
        series[currency] = [float(d["revenue"].get(currency, 0)) for d in days]
    return series


# --- the page ---------------------------------------------------------------------------------


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Reports")
    period = _period()
    if period is None:
        return
    first, last = period
    tabs = st.tabs([name for name, _ in REPORTS], key="reports_tab")
    for tab, (name, show) in zip(tabs, REPORTS, strict=True):
        with tab, section(name):
            show(client, first, last)


def _period() -> tuple[date, date] | None:
    start, end = default_period(datetime.now(UTC).date())
    left, right = st.columns(2)
    first = left.date_input("From", value=start, key="reports_from")
    last = right.date_input("To (included)", value=end, key="reports_to")
    st.caption("Days in UTC, both included; a report covers at most 366 days.")
    if not (isinstance(first, date) and isinstance(last, date)):
        st.info("Pick the first and the last day of the period.")
        return None
    return first, last


def _cards(cards: Sequence[Card]) -> None:
    for start in range(0, len(cards), CARDS_PER_ROW):
        row = cards[start : start + CARDS_PER_ROW]
        for column, (label, value, help) in zip(st.columns(CARDS_PER_ROW), row, strict=False):
            column.metric(label, value, help=help)


def _table(rows: list[dict[str, Any]], empty: str) -> None:
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption(empty)


# --- one function per tab ---------------------------------------------------------------------


def _sales(client: OrdoClient, first: date, last: date) -> None:
    r = client.sales_report(first, last)
    st.caption(f"Orders created {span(r['period'])}, by where each stands now.")
    cards: list[Card] = [
        ("Orders", f"{r['orders']:,}", "Every order created in the period, rejected ones too."),
        ("Units", f"{r['units']:,}", "Units ordered less units cancelled, rejected orders aside."),
    ]
    for currency in sorted(r["revenue"]):
        orders = r["revenue_orders"].get(currency, 0)
        cards.append((f"Revenue ({currency})", money(r["revenue"][currency], currency), None))
        cards.append(
            (
                f"Average order value ({currency})",
                money(r["average_order_value"].get(currency), currency),
                f"Revenue in {currency} over the {orders:,} orders with a unit not cancelled.",
            )
        )
    _cards(cards)
    series = daily_series(r["days"])
    left, right = st.columns(2)
    left.line_chart(series, x="date", y="orders", y_label="orders")
    currencies = [c for c in series if c not in ("date", "orders")]
    if currencies:
        right.line_chart(series, x="date", y=currencies, y_label="revenue")
    st.subheader("By channel")
    _table(
        [
            {"channel": c["channel"], "orders": c["orders"], "units": c["units"],
             "revenue": amounts(c["revenue"]), "cancelled": ratio(c["cancelled"]),
             "rejected": ratio(c["rejected"])}
            for c in r["channels"]
        ],
        "No orders in the period.",
    )  # fmt: skip
    st.subheader("Top SKUs")
    _table([dict(s) for s in r["top_skus"]], "No units ordered in the period.")
    standing = ", ".join(f"{s.replace('_', ' ')} {n:,}" for s, n in r["by_status"].items() if n)
    if standing:
        st.caption(f"Where they stand now: {standing}.")


def _fulfilment(client: OrdoClient, first: date, last: date) -> None:
    r = client.fulfilment_report(first, last)
    split, cycle = r["split"], r["cycle_time"]
    st.caption(
        f"Shipments created {span(r['period'])}, cancelled ones aside; split and cycle time "
        "are of the orders created in the period."
    )
    measured = f"Over {cycle['orders']:,} orders now shipped or delivered: creation to last ship."
    _cards(
        [
            ("Shipments", f"{r['shipments']:,}", None),
            ("Cancelled shipments", f"{r['cancelled']:,}", None),
            ("Units", f"{r['units']:,}", "On those shipments."),
            ("Split orders", ratio(split["split"]), "Orders with two or more shipments."),
            ("Shipments per order", figure(split["shipments_per_order"]), None),
            ("Cycle time, mean", figure(cycle["mean_hours"], " h"), measured),
            ("Cycle time, p90", figure(cycle["p90_hours"], " h"), measured),
        ]
    )
    st.subheader("By carrier and service")
    _table(
        [
            {"carrier": c["carrier"] or "none yet", "service": c["service"],
             "shipments": c["shipments"],
             "shipping cost": figure(float(c["shipping_cost"])),
             "mean cost": figure(None if c["mean_cost"] is None else float(c["mean_cost"])),
             "on time": ratio(c["on_time"]), "delivered": c["delivered"],
             "transit": figure(c["mean_transit_days"], " days")}
            for c in r["carriers"]
        ],
        "No shipments in the period.",
    )  # fmt: skip
    st.caption("Costs as the carriers' rate cards quoted them.")
    st.subheader("By location")
    _table(
        [
            {"location": x["location_code"], "shipments": x["shipments"], "units": x["units"]}
            for x in r["locations"]
        ],
        "No shipments in the period.",
    )


def _operations(client: OrdoClient, first: date, last: date) -> None:
    r = client.operations_report(first, last)
    defects, accuracy, cycle = r["order_defects"], r["order_accuracy"], r["cycle_time"]
    st.caption(f"Orders and shipments created {span(r['period'])}; lateness as of {r['as_of']}.")
    right = accuracy["shipped"] - accuracy["wrong_item"]
    _cards(
        [
            ("Late shipments", ratio(r["late_shipments"]), "Of those with a promised date."),
            ("Order defect rate", ratio(defects["defective"]), "Each order counted once."),
            ("Order accuracy", ratio({"count": right, "of": accuracy["shipped"],
                                      "rate": accuracy["rate"]}),
             f"Shipped orders without a wrong-item return ({accuracy['wrong_item']:,} with)."),
            ("Cycle time, mean", figure(cycle["mean_hours"], " h"), None),
            ("Cycle time, p90", figure(cycle["p90_hours"], " h"), None),
        ]
    )  # fmt: skip
    st.subheader("Order defects")
    orders = defects["orders"]
    _cards(
        [
            ("With a cancelled shipment", ratio(part(defects["cancelled_shipment"], orders)), None),
            ("With a late shipment", ratio(part(defects["late_shipment"], orders)), None),
            ("With a defect return", ratio(part(defects["defect_return"], orders)), None),
        ]
    )
    st.caption(
        "Of the orders created in the period, rejected ones aside. An order may have more "
        "than one defect, so the three may add up to more than the defect rate counts."
    )


def _customers(client: OrdoClient, first: date, last: date) -> None:
    r = client.customers_report(first, last)
    st.caption(f"Customers by their orders created {span(r['period'])}, rejected ones aside.")
    customers = r["customers"]
    _cards(
        [
            ("Customers", f"{customers:,}", None),
            ("New", ratio(part(r["new"], customers)), "Their first order ever is in the period."),
            ("Returning", ratio(part(r["returning"], customers)), "Had ordered before it."),
            ("Repeat", ratio(r["repeat"]), "Two or more orders in the period."),
            ("Orders", f"{r['orders']:,}", None),
            ("Orders per customer", figure(r["orders_per_customer"]), None),
        ]
    )
    st.subheader("Top customers")
    if not r["top_customers"]:
        st.caption("No revenue in the period.")
    for currency, rows in sorted(r["top_customers"].items()):
        st.markdown(f"**In {currency}**")
        _table(
            [{"customer": c["customer_id"], "orders": c["orders"],
              "revenue": money(c["revenue"], currency)} for c in rows],
            "No customers.",
        )  # fmt: skip
    left, right = st.columns(2)
    weekdays = {"weekday": [d.capitalize() for d in r["by_weekday"]],
                "orders": list(r["by_weekday"].values())}  # fmt: skip
    left.bar_chart(weekdays, x="weekday", y="orders", sort=False, x_label="weekday (UTC)")
    hours = {"hour": list(range(len(r["by_hour"]))), "orders": r["by_hour"]}
    right.bar_chart(hours, x="hour", y="orders", sort=False, x_label="hour (UTC)")


def _inventory(client: OrdoClient, first: date, last: date) -> None:
    r = client.inventory_report(first, last)
    st.caption(
        f"Stock as it stands on {r['as_of']} (Ordo keeps no history of stock levels) beside "
        f"the units shipped {span(r['period'])}."
    )
    _cards(
        [
            ("On hand", f"{r['on_hand']:,}", None),
            ("Reserved", f"{r['reserved']:,}", None),
            ("Available", f"{r['available']:,}", "On hand less reserved and safety stock."),
            ("Units shipped", f"{r['units_shipped']:,}", None),
            (
                "Turnover",
                figure(r["turnover"], places=4),
                "Units shipped in the period / on hand now.",
            ),
        ]
    )
    st.subheader("By location")
    _table(
        [
            {"location": x["location_code"], "SKUs": x["skus"], "on hand": x["on_hand"],
             "reserved": x["reserved"], "available": x["available"]}
            for x in r["locations"]
        ],
        "No stock anywhere.",
    )  # fmt: skip
    st.subheader("Days of cover of the SKUs that shipped most")
    _table(
        [
            {"sku": s["sku"], "shipped": s["units_shipped"], "on hand": s["on_hand"],
             "available": s["available"], "days of cover": figure(s["days_of_cover"], places=1),
             "turnover": figure(s["turnover"], places=4)}
            for s in r["skus"]
        ],
        "Nothing shipped in the period.",
    )  # fmt: skip
    st.subheader("Replenishment")
    _table(
        [
            {"sku": x["sku"], "location": x["location_code"], "position": x["position"],
             "reorder point": x["reorder_point"], "buy": x["suggested_quantity"],
             "forecast per day": figure(x["daily_forecast"])}
            for x in r["replenishment"]
        ],
        "Nothing is at or below its reorder point.",
    )  # fmt: skip


Show = Callable[[OrdoClient, date, date], None]
# The tabs, in this order, each with what it shows.
REPORTS: tuple[tuple[str, Show], ...] = (
    ("Sales", _sales),
    ("Fulfilment", _fulfilment),
    ("Operations", _operations),
    ("Customers", _customers),
    ("Inventory", _inventory),
)
