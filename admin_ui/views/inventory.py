"""Inventory: stock of one SKU everywhere with its available-to-promise, or every SKU at one
location with the ones running low and how many to reorder; and stock transfers.

Low stock and reorder quantities are worked out here from the stock the API returns, with
thresholds the user sets: the API has no replenishment policy to ask yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import streamlit as st

from admin_ui.client import OrdoClient
from admin_ui.models import Principal, Stock
from admin_ui.roles import may
from admin_ui.session import flash, section


def low_stock(rows: list[Stock], low_mark: int, target: int) -> list[dict[str, Any]]:
    """SKUs whose available units are at or below `low_mark`, with the units to reorder to
    bring availability back to `target`; the emptiest first."""
    low = [row for row in rows if row["available"] <= low_mark]
    return [
        {
            "sku": row["sku"],
            "available": row["available"],
            "on hand": row["on_hand"],
            "reserved": row["reserved"],
            "safety stock": row["safety_stock"],
            "reorder": max(target - row["available"], 0),
        }
        for row in sorted(low, key=lambda r: (r["available"], r["sku"]))
    ]


def _table(rows: list[Stock], key: str) -> list[dict[str, Any]]:
    return [
        {
            key: row[key],  # type: ignore[literal-required]
            "on hand": row["on_hand"],
            "reserved": row["reserved"],
            "safety stock": row["safety_stock"],
            "available": row["available"],
            "set aside for channels": ", ".join(
                f"{channel}: {units}" for channel, units in row["channel_allocations"].items()
            ),
        }
        for row in rows
    ]


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Inventory")
    by_sku, by_location, transfers = st.tabs(["By SKU", "By location", "Transfer"], key="inv_tab")
    # Each tab asks its own routes: one failing shows its message in its tab, not in all three.
    with by_sku, section("Stock of a SKU"):
        _by_sku(client)
    with by_location, section("Stock at a location"):
        _by_location(client, who)
    with transfers, section("Transfer"):
        _transfer(client, who)


def _by_sku(client: OrdoClient) -> None:
    left, right = st.columns(2)
    sku = left.text_input("SKU", key="inv_sku").strip()
    channel = right.text_input("For channel (optional)", key="inv_channel").strip()
    if not sku:
        st.caption("Enter a SKU to see its stock at every location.")
        return
    rows = client.stock_for_sku(sku)
    if not rows:
        st.warning(f"No location holds stock of {sku}.")
        return
    with section("Available to promise"):  # the stock table below is worth having alone
        atp = client.atp(sku, channel or None)
        st.metric(
            f"Available to promise{' to ' + channel if channel else ''}",
            atp["total"],
            help="On hand, less reserved, safety stock and other channels' allocations.",
        )
    st.dataframe(_table(rows, "location_code"), hide_index=True, width="stretch")


def _by_location(client: OrdoClient, who: Principal) -> None:
    codes = [loc["code"] for loc in client.list_locations()]
    if who["role"] == "warehouse":
        codes = [code for code in codes if code in who["locations"]]
    if not codes:
        st.info("No location to show.")
        return
    code = st.selectbox("Location", codes, key="inv_location")
    rows = sorted(client.stock_at_location(code), key=lambda r: r["sku"])
    left, right = st.columns(2)
    low_mark = int(left.number_input("Low when available is at most", 0, 100_000, 5))
    target = int(right.number_input("Reorder up to", 1, 1_000_000, 25))
    low = low_stock(rows, low_mark, target)
    a, b, c = st.columns(3)
    a.metric("SKUs stocked", len(rows))
    b.metric("Units available", sum(r["available"] for r in rows))
    c.metric("Running low", len(low))
    st.subheader("Low stock and reorder suggestions")
    if low:
        st.dataframe(low, hide_index=True, width="stretch")
    else:
        st.success(f"Nothing at {code} is at or below {low_mark} available.")
    st.subheader(f"Everything at {code}")
    st.dataframe(_table(rows, "sku"), hide_index=True, width="stretch")


def _transfer(client: OrdoClient, who: Principal) -> None:
    if not may(who["role"], "move_stock"):
        st.caption("Your role may look at stock but not move it.")
        return
    with st.form("transfer"):
        first, second = st.columns(2)
        sku = first.text_input("SKU to move")
        quantity = int(second.number_input("Units", min_value=1, max_value=1_000_000, value=1))
        source = first.text_input("From location")
        target = second.text_input("To location")
        expected = first.date_input("Expected to arrive", value=date.today() + timedelta(days=2))
        sure = st.checkbox("Yes, move these units")
        submitted = st.form_submit_button("Transfer", type="primary")
    if not submitted:
        return
    if not sure:
        st.warning("Tick the box to confirm first.")
        return
    arriving = expected if isinstance(expected, date) else date.today()
    after = client.transfer(sku.strip(), source.strip(), target.strip(), quantity, arriving)
    flash(
        f"Moved {quantity} × {after['sku']} out of {after['location_code']} "
        f"(now {after['on_hand']} on hand there); they arrive at {target.strip()} on {arriving}."
    )
    st.rerun()
