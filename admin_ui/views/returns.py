"""The console's Returns page: support's queue of returns in one status (requested first),
oldest first, or the one with an RMA; the one picked opens with its order's Returns section
(`return_section`) to work. A warehouse key, which may not read orders, gets its receiving
desk (`return_desk`) here instead.
"""

from __future__ import annotations

import streamlit as st

from admin_ui.client import OrdoClient
from admin_ui.models import Principal
from admin_ui.roles import may
from admin_ui.session import section
from admin_ui.texts import when
from admin_ui.views.orders import open_order
from admin_ui.views.return_common import return_rows
from admin_ui.views.return_desk import receiving
from admin_ui.views.return_section import order_returns

RETURN_STATUSES = ["requested", "authorised", "received", "refunded", "rejected"]
_STATUS, _RMA = "returns::status", "returns::rma"  # the queue's filter


def render(client: OrdoClient, who: Principal) -> None:
    """Support's returns desk: the queue of returns in one status (requested first), oldest
    first, or one found by its RMA; the one picked opens with its order's returns to work."""
    if not may(who["role"], "read_orders"):
        # This desk opens each return through its order, which such a key may not read.
        receiving(client, who)
        return
    st.title("Returns")
    with st.form("returns-filter"):
        first, second = st.columns(2)
        # Keyed, so the filter last shown stays as it was through the reruns a step causes.
        status = first.selectbox("Status", [*RETURN_STATUSES, "any"], key=_STATUS)
        rma = second.text_input("RMA", placeholder="RMA-20261122-1A2B3C4D", key=_RMA)
        st.form_submit_button("Show returns", type="primary")
    with section("The returns"):
        _queue(client, who, None if status == "any" else str(status), rma.strip())


def _queue(client: OrdoClient, who: Principal, status: str | None, rma: str) -> None:
    found = client.list_returns(status=status, rma=rma or None)
    if not found:
        if rma:
            st.info(f"No {status + ' ' if status else ''}return has RMA {rma}.")
        else:
            st.info(f"No return is {status}." if status else "No return yet.")
        return
    st.dataframe(return_rows(found), hide_index=True, width="stretch")
    labels = {
        f"{r['rma'] or r['id']} · {r['status']} · order {r['order_id']}": r["order_id"]
        for r in found
    }
    picked = st.selectbox(f"Open one of {len(found)}", list(labels))
    order = client.get_order(labels[str(picked)])
    st.header(f"Order {order['channel_order_id']} ({order['channel']})")
    st.write(
        f"Customer {order['customer_id']} ({order['email'] or 'no email'}), "
        f"{order['status'].replace('_', ' ')}, placed {when(order['created_at'])}."
    )
    if st.button("Open on the Orders page"):
        open_order(order)
        st.switch_page("screens/orders.py")
    order_returns(client, who, order)
