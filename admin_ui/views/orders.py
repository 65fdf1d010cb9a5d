"""Orders, for support: search by id, channel id, customer, email, SKU, status and date; one
order in full (lines, shipments, a timeline of what happened, and why it was decided that way
in plain words); cancel, change quantities or the address, add or remove lines, switch
between home delivery and collection at a store, or release a hold, each after a
confirmation; once the order is on its way, cancel what of it still waits for stock.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from admin_ui.client import ApiError, OrdoClient
from admin_ui.explain import explain
from admin_ui.models import Order, OrderDetail, OrderLine, Principal
from admin_ui.roles import may
from admin_ui.session import flash, section
from admin_ui.texts import money, when
from admin_ui.views.labels import shipment_label
from admin_ui.views.return_section import order_returns
from admin_ui.views.tickets import order_tickets

STATUSES = [
    "received", "validated", "rejected", "held", "sourced", "backordered", "preordered",
    "reserved", "carrier_assigned", "released", "picked", "packed", "partially_shipped",
    "shipped", "delivered", "cancelled",
]  # fmt: skip
# Until a location picks an order can still be cancelled or changed (the API has the last
# word): before release, and released while every shipment is (`changeable`).
CHANGEABLE = {
    "received", "validated", "held", "sourced", "backordered", "preordered", "reserved",
    "carrier_assigned", "released",
}  # fmt: skip
# A shipment its location has started on (the engine's `fulfilment.WORKED`).
WORKED = {"picked", "packed", "shipped", "delivered"}
# Allocated and going out (the engine's `orders.ON_ITS_WAY`): what of it still waits for stock,
# its backordered lines, can be cancelled on its own, even after release.
ON_ITS_WAY = {
    "reserved", "carrier_assigned", "released", "picked", "packed", "partially_shipped",
}  # fmt: skip
REMAINDER = "Cancel what waits for stock"
DELIVERY = "Delivery or pickup"
# How the customer gets the order (the API's `fulfilment`), as support says it.
WAYS = {"ship": "Home delivery, to the ship-to address", "pickup": "Collection at a store"}
_RESULTS = "orders::results"
_OPEN = "orders::open"
# A line to add: a SKU, then a quantity ("SHOE-42 2", "SHOE-42 x 2", "SHOE-42, 2"), 1 if none.
_NEW_LINE = re.compile(r"^(?P<sku>[^\s,]+)(?:(?:\s*,\s*|\s+)(?:[x×*]\s*)?(?P<quantity>\S+))?$")
MAX_QUANTITY = 100_000  # the API's limit per line


def _day(value: date | None, end: bool = False) -> datetime | None:
    if value is None:
        return None
    moment = datetime.combine(value, time.min, tzinfo=UTC)
    return moment + timedelta(days=1) if end else moment


def _search_form(client: OrdoClient) -> None:
    with st.form("order-search"):
        first, second, third = st.columns(3)
        order_id = first.text_input("Order id")
        channel = second.text_input("Channel", placeholder="web")
        channel_order_id = third.text_input("Channel order id", placeholder="WEB-100234")
        customer = first.text_input("Customer id")
        email = second.text_input("Customer email")
        sku = third.text_input("SKU")
        status = first.selectbox("Status", ["any", *STATUSES])
        created_from = second.date_input("Placed from", value=None)
        created_to = third.date_input("Placed until", value=None)
        submitted = st.form_submit_button("Search", type="primary")
    if not submitted:
        return
    if order_id.strip():
        found: list[Order] = [client.get_order(order_id.strip())]
    elif channel_order_id.strip() and not channel.strip():
        st.warning("A channel order id is unique per channel: enter the channel as well.")
        return
    else:
        found = client.search_orders(
            channel=channel.strip() or None,
            channel_order_id=channel_order_id.strip() or None,
            customer_id=customer.strip() or None,
            email=email.strip() or None,
            sku=sku.strip() or None,
            status=None if status == "any" else status,
            created_from=_day(created_from if isinstance(created_from, date) else None),
            created_to=_day(created_to if isinstance(created_to, date) else None, end=True),
            limit=200,
        )
    st.session_state[_RESULTS] = found
    st.session_state[_OPEN] = found[0]["id"] if len(found) == 1 else None


def open_order(order: Order) -> None:
    """Have this page open `order`, as a search that found it alone would (the Returns page
    sends support here with the order of a return)."""
    st.session_state[_RESULTS] = [order]
    st.session_state[_OPEN] = order["id"]


def _label(order: Order) -> str:
    who = order["email"] or order["customer_id"]
    parts = (order["channel_order_id"], order["channel"], who, order["status"], order["id"])
    return " · ".join(parts)


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Orders")
    # A failed search is shown under its form; the results of the last one stay on the page.
    with section("Search"):
        _search_form(client)
    results: list[Order] = st.session_state.get(_RESULTS, [])
    if _RESULTS not in st.session_state:
        st.info("Search by any combination of fields; an order id opens that order.")
        return
    if not results:
        st.warning("No order matches.")
        return
    st.dataframe(
        [
            {"order": o["id"], "channel": o["channel"], "channel id": o["channel_order_id"],
             "customer": o["customer_id"], "email": o["email"], "status": o["status"],
             "total": money(o["total"], o["currency"]), "placed": when(o["created_at"])}
            for o in results
        ],
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    labels = {_label(o): o["id"] for o in results}
    wanted = st.session_state.get(_OPEN)
    index = next((i for i, o in enumerate(results) if o["id"] == wanted), 0)
    order_id = labels[st.selectbox(f"Open one of {len(results)}", list(labels), index=index)]
    with section("This order"):  # the results table above stays, to open another
        _detail(client, who, client.get_order(order_id))


def _detail(client: OrdoClient, who: Principal, order: OrderDetail) -> None:
    st.header(f"Order {order['channel_order_id']} ({order['channel']})")
    status, total, promised, placed = st.columns(4)
    status.metric("Status", order["status"].replace("_", " "))
    _total(total, order)
    promised.metric("Promised", order["promised_date"] or "not yet")
    placed.metric("Placed", order["created_at"][:10], help=when(order["created_at"]))
    ship_to = order["ship_to"]
    address = (
        f"{ship_to['name']} {ship_to['line1']} {ship_to['city']} {ship_to['state']} "
        f"{ship_to['postal_code']} {ship_to['country']}"
    )
    # A pickup keeps the customer's address for the records; it is not where it goes.
    goes = (
        f"collected at store {order.get('pickup_location')} (address {address})"
        if order.get("fulfilment") == "pickup"
        else f"ship to {address}"
    )
    st.write(
        f"Customer {order['customer_id']} ({order['email'] or 'no email'}), {goes}; "
        f"service {order['service_level']}."
    )
    for hold in order["holds"]:
        if hold["released_at"] is None:
            st.warning(f"On hold ({hold['code']}): {hold['message']}")
    st.subheader("Lines")
    # Which kit a line is a part of, for support answering a customer who ordered the kit;
    # only when the order has a kit's part, as most have none.
    kits = any(line.get("kit") for line in order["lines"])
    st.dataframe(
        [
            {"line": line["id"], "sku": line["sku"], "quantity": line["quantity"],
             **({"kit": kit_of(line)} if kits else {}),
             "price": money(line["price"], order["currency"]), "status": line["status"],
             "shipped": line["quantity_shipped"], "cancelled": line["quantity_cancelled"]}
            for line in order["lines"]
        ],
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    st.subheader("Shipments")
    if order["shipments"]:
        # The warehouse system's id, for support on the phone to a warehouse that uses it;
        # only when a shipment was sent to one (an API from before WMS has no such field).
        wms = any(s.get("wms_reference") for s in order["shipments"])
        st.dataframe(
            [
                {"shipment": s["id"], "from": s["location_code"], "status": s["status"],
                 **({"WMS ref": s.get("wms_reference") or ""} if wms else {}),
                 "carrier": f"{s['carrier']} {s['service']}".strip(),
                 "rate": money(s["rate"]), "promised": s["promised_date"],
                 # The carrier's latest estimate (an API from before has no such field).
                 "expected": s.get("estimated_delivery") or "",
                 "tracking": s["tracking_number"],
                 "items": ", ".join(f"{x['quantity']} × {x['sku']}" for x in s["lines"])}
                for s in order["shipments"]
            ],
            hide_index=True,
            width="stretch",
        )  # fmt: skip
        for shipment in order["shipments"]:
            shipment_label(client, who["role"], shipment)
    else:
        st.write("No shipment yet.")
    order_returns(client, who, order)
    order_tickets(client, who, order)
    st.subheader("Why it was decided this way")
    # The explanation reads the decision trace's details, which change shape over time: one
    # it cannot read must not cost the timeline and the actions below.
    with section("The explanation"):
        _explanation(order)
    st.subheader("Timeline")
    st.dataframe(_timeline(order), hide_index=True, width="stretch")
    if may(who["role"], "change_orders"):
        _actions(client, order)


def _total(place: DeltaGenerator, order: OrderDetail) -> None:
    """The order's value as placed; with what was cancelled of it under it, and what is still
    to be charged in its help, so support sees both (an API from before has no such field)."""
    currency = order["currency"]
    cancelled = Decimal(order.get("total_cancelled") or "0")
    if not cancelled:
        place.metric("Total", money(order["total"], currency))
        return
    place.metric(
        "Total",
        money(order["total"], currency),
        delta=f"\u2212{money(str(cancelled), currency)} cancelled",  # a minus sign
        delta_color="off",
        delta_arrow="off",
        help=f"Still to be charged: {money(str(Decimal(order['total']) - cancelled), currency)}.",
    )


def _explanation(order: OrderDetail) -> None:
    explanations = explain(order)
    if not explanations:
        st.write(
            "No decision was recorded for this order (it was loaded, not decided by the pipeline)."
        )
    for explanation in explanations:
        st.markdown(f"**{explanation.step}.** {explanation.headline}")
        for text in explanation.details:
            st.markdown(f"- {text}")


def _timeline(order: OrderDetail) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"at": order["created_at"], "what": "order placed", "by": order["channel"], "detail": ""}
    ]
    for event in order["events"]:
        after = ", ".join(f"{k}: {v}" for k, v in event["after"].items())
        rows.append(
            {"at": event["at"], "what": event["action"], "by": event["actor"], "detail": after}
        )
    for step in order["trace"]:
        if step["ruleset"]:
            by = f"{step['ruleset']} v{step['ruleset_version']}"
        else:  # no rule decided it: the built-in checks, or a person (the audit says who)
            by = "a person" if step["outcome"] == "remainder_cancelled" else "no ruleset"
        rows.append(
            {
                "at": step["at"],
                "what": f"decided: {step['step']}",
                "by": by,
                "detail": step["outcome"],
            }
        )
    for shipment in order["shipments"]:
        for track in shipment["tracking"]:
            said = [track["description"], track["location"]]
            if track.get("estimated_delivery"):
                said.append(f"(expected {track['estimated_delivery']})")
            milestone = track.get("milestone")
            rows.append(
                {
                    "at": track["at"],
                    "what": f"tracking: {track['code']}" + (f" ({milestone})" if milestone else ""),
                    "by": shipment["carrier"],
                    "detail": " ".join(part for part in said if part),
                }
            )
    # Steps of one decision share a time; list them in the order the pipeline runs them.
    rank = {"order placed": 0, "decided: validation": 1, "decided: sourcing": 2}
    rows.sort(key=lambda row: (row["at"], rank.get(row["what"], 3)))
    return [{**row, "at": when(row["at"])} for row in rows]


def kit_of(line: OrderLine) -> str:
    """The kit a line is a part of, as support reads it: "GIFTSET (2 per kit, 3 kits)"; ""
    for a line that is no kit's part (or one filed before Ordo kept the kit)."""
    kit = line.get("kit")
    if not kit:
        return ""
    kits = "1 kit" if kit["kits"] == 1 else f"{kit['kits']} kits"
    return f"{kit['sku']} ({kit['units']} per kit, {kits})"


def waiting_units(order: OrderDetail) -> dict[str, int]:
    """Units of each backordered line that wait for stock, counted as the API counts them
    (`backorders.remainder`): ordered, less cancelled, less what a live shipment carries."""
    placed: dict[str, int] = {}
    for shipment in order["shipments"]:
        if shipment["status"] == "cancelled":
            continue
        for item in shipment["lines"]:
            placed[item["order_line_id"]] = placed.get(item["order_line_id"], 0) + item["quantity"]
    waiting = {}
    for line in order["lines"]:
        units = line["quantity"] - line["quantity_cancelled"] - placed.get(line["id"], 0)
        if line["status"] == "backordered" and units > 0:
            waiting[line["id"]] = units
    return waiting


def changeable(order: OrderDetail) -> bool:
    """Whether the order can still be cancelled or changed: its status allows it, and none
    of its shipments is picked or further on (fulfilment has not started)."""
    return order["status"] in CHANGEABLE and not any(
        shipment["status"] in WORKED for shipment in order["shipments"]
    )


def _actions(client: OrdoClient, order: OrderDetail) -> None:
    st.subheader("Change this order")
    waiting = waiting_units(order) if order["status"] in ON_ITS_WAY else {}
    if not changeable(order):
        refused = f"An order that is {order['status']} can no longer be cancelled or changed"
        worked = [s for s in order["shipments"] if s["status"] in WORKED]
        if worked:  # say which: fulfilment started with it
            first = worked[0]
            refused = (
                f"Shipment {first['id']} is already {first['status']} at "
                f"{first['location_code']}: the order can no longer be cancelled or changed"
            )
        if not waiting:
            st.caption(refused + ".")
            return
        st.caption(refused + ", but what of it still waits for stock can be cancelled.")
        with section(REMAINDER):
            _cancel_remainder(client, order, waiting)
        return
    tabs = st.tabs(
        ["Cancel", "Change quantities", "Add or remove lines", "Change address", DELIVERY]
        + ["Release hold"]
        + ([REMAINDER] if waiting else []),
        key=f"orders::actions::{order['id']}",
    )
    cancel, modify, lines, address, delivery, release = tabs[:6]
    # Each action runs in its own tab's section: one refused shows why there, and the other
    # tabs keep their forms.
    with cancel, section("Cancel"), st.form(f"cancel-{order['id']}"):
        reason = st.text_input("Reason", placeholder="customer changed their mind")
        sure = st.checkbox("Yes, cancel this order")
        if st.form_submit_button("Cancel order"):
            _apply(sure, lambda: client.cancel_order(order["id"], reason.strip()), "cancelled")
    with modify, section("Change quantities"), st.form(f"modify-{order['id']}"):
        quantities = {
            line["id"]: int(
                st.number_input(
                    f"Line {line['id']}: {line['sku']}",
                    min_value=1,
                    max_value=100_000,
                    value=line["quantity"],
                    step=1,
                )
            )
            for line in order["lines"]
        }
        sure = st.checkbox("Yes, change the quantities")
        if st.form_submit_button("Change quantities"):
            changed = {
                line_id: qty
                for line_id, qty in quantities.items()
                if qty != next(x["quantity"] for x in order["lines"] if x["id"] == line_id)
            }
            if not changed:
                st.warning("No quantity was changed.")
            else:
                _apply(sure, lambda: client.modify_quantities(order["id"], changed), "changed")
    with lines, section("Add or remove lines"):
        _change_lines(client, order)
    with address, section("Change address"), st.form(f"address-{order['id']}"):
        current = order["ship_to"]
        left, right = st.columns(2)
        ship_to = {
            "name": left.text_input("Name", value=current["name"]),
            "line1": right.text_input("Street", value=current["line1"]),
            "city": left.text_input("City", value=current["city"]),
            "state": right.text_input("State", value=current["state"]),
            "postal_code": left.text_input("Postal code", value=current["postal_code"]),
            # The API takes ISO 3166-1 codes in capitals (rules compare them as written);
            # what a person types as "us " means "US".
            "country": right.text_input(
                "Country", value=current["country"] or "US", help="Two letters, such as US"
            )
            .strip()
            .upper(),
        }
        sure = st.checkbox("Yes, ship to this address")
        if st.form_submit_button("Change address"):
            # The order is decided again for the new address (locations, carrier, promise).
            _apply(sure, lambda: client.change_address(order["id"], ship_to), "re-addressed")
    with delivery, section(DELIVERY):
        _change_fulfilment(client, order)
    with release, section("Release hold"):
        if not any(h["released_at"] is None for h in order["holds"]):
            st.caption("This order has no open hold.")
        else:
            with st.form(f"release-{order['id']}"):
                sure = st.checkbox("Yes, release every hold")
                if st.form_submit_button("Release hold"):
                    _apply(sure, lambda: client.release_hold(order["id"]), "released")
    if waiting:
        with tabs[6], section(REMAINDER):
            _cancel_remainder(client, order, waiting)


def _change_fulfilment(client: OrdoClient, order: OrderDetail) -> None:
    """Home delivery, or collection at one of the enabled locations that offer pickup; the
    order is decided again for the way chosen (the API checks the store once more)."""
    stores = {
        location["code"]: location.get("name") or location["code"]
        for location in client.list_locations()
        if "pickup" in location.get("services", []) and location.get("enabled", True)
    }
    way_now = order.get("fulfilment") or "ship"
    store_now = order.get("pickup_location") or None
    codes = list(stores)
    with st.form(f"fulfilment-{order['id']}"):
        way = st.radio(
            "How the customer gets the order",
            list(WAYS),
            index=list(WAYS).index(way_now) if way_now in WAYS else 0,
            format_func=WAYS.__getitem__,
        )
        store = st.selectbox(
            "Store to collect at",
            codes,
            index=codes.index(store_now) if store_now in codes else None,
            format_func=lambda code: f"{code}: {stores[code]}",
            placeholder="Choose a store" if codes else "No location offers pickup",
            help="The enabled locations that offer pickup. Only for collection at a store.",
        )
        sure = st.checkbox("Yes, change how the customer gets this order")
        if not st.form_submit_button("Change delivery"):
            return
    if way == "ship":
        store = None
    elif store is None:
        st.warning("Choose the store the customer collects the order at.")
        return
    if (way, store) == (way_now, store_now):
        already = f"collected at {store}" if store else "shipped to its address"
        st.warning(f"Nothing was changed: the order is already {already}.")
        return
    _apply(sure, lambda: client.change_fulfilment(order["id"], way, store), "changed")


def _cancel_remainder(client: OrdoClient, order: OrderDetail, waiting: dict[str, int]) -> None:
    """Units of each backordered line that waits, for a customer who will not wait for the
    stock: all of them by default, fewer if the customer still wants some."""
    skus = {line["id"]: line["sku"] for line in order["lines"]}
    # Each run reads the order afresh, so the run a submission starts already shows what
    # waits now; a field whose count changed is a new field holding its default (all units).
    # What the previous run showed tells whether the person confirmed these counts.
    shown = f"orders::remainder::{order['id']}"
    confirmed_against: dict[str, int] | None = st.session_state.get(shown)
    st.session_state[shown] = dict(waiting)
    with st.form(f"remainder-{order['id']}"):
        st.caption(
            "What is allocated ships as it would have; only units no shipment carries are "
            "cancelled, and a later arrival sources only what still waits."
        )
        units = {
            line_id: int(
                st.number_input(
                    f"Line {line_id}: {skus[line_id]}, {count} waiting",
                    min_value=0,
                    max_value=count,
                    value=count,
                    step=1,
                )
            )
            for line_id, count in waiting.items()
        }
        reason = st.text_input("Reason", placeholder="customer no longer wants to wait")
        sure = st.checkbox("Yes, cancel these units")
        if not st.form_submit_button("Cancel waiting units"):
            return
    if confirmed_against is not None and confirmed_against != waiting:
        now = ", ".join(f"line {line_id}: {count}" for line_id, count in waiting.items())
        st.warning(
            "Nothing was cancelled: what waits for stock changed since the form was shown "
            f"(now {now}). Check the units and submit again."
        )
        return
    # The units the person saw and confirmed, line by line: the API refuses any that no
    # longer wait rather than cancelling others.
    chosen = {line_id: count for line_id, count in units.items() if count > 0}
    if not chosen:
        st.warning("Every line is at 0: give the units to cancel.")
        return
    total = sum(chosen.values())
    _apply(
        sure,
        lambda: client.cancel_backordered(order["id"], reason.strip(), chosen),
        "cancelled",
        refused="The waiting units were not cancelled",
        done=f"had {total} waiting unit{'' if total == 1 else 's'} cancelled",
    )


def _change_lines(client: OrdoClient, order: OrderDetail) -> None:
    with st.form(f"lines-{order['id']}"):
        remove = [
            line["id"]
            for line in order["lines"]
            if st.checkbox(f"Remove line {line['id']}: {line['quantity']} × {line['sku']}")
        ]
        text = st.text_area(
            "Lines to add, one per line: SKU and quantity",
            placeholder="APP-BBC-BLACK 2\nAPP-BBC-KHAKI 1",
            help="Added at the catalogue price. A SKU alone adds one unit.",
        )
        sure = st.checkbox("Yes, change the lines")
        if not st.form_submit_button("Change lines"):
            return
    add, problems = parse_new_lines(text)
    if problems:
        st.error("Nothing was changed. " + " ".join(problems))
        return
    if not add and not remove:
        st.warning("Tick a line to remove or write a line to add.")
        return
    if sure:
        unknown = [line["sku"] for line in add if not _in_catalogue(client, line["sku"])]
        if unknown:
            st.error(
                f"Nothing was changed: {', '.join(unknown)} "
                f"{'is' if len(unknown) == 1 else 'are'} not in the catalogue, so the order "
                "would be rejected. Check the SKU."
            )
            return
    # The order is decided again with its new lines (sourcing, carrier, promise).
    _apply(sure, lambda: client.change_lines(order["id"], add, remove), "changed")


def parse_new_lines(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The lines a person typed, and a sentence for each one that cannot be read."""
    lines: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        written = raw.strip()
        if not written:
            continue
        match = _NEW_LINE.match(written)
        quantity = (match.group("quantity") if match else None) or "1"
        if match is None or not quantity.isdigit() or not 1 <= int(quantity) <= MAX_QUANTITY:
            problems.append(
                f"Line {number} ('{written}') should be a SKU and a whole quantity from 1 to "
                f"{MAX_QUANTITY:,}, e.g. 'APP-BBC-BLACK 2'."
            )
            continue
        lines.append({"sku": match.group("sku"), "quantity": int(quantity)})
    return lines, problems


def _in_catalogue(client: OrdoClient, sku: str) -> bool:
    """Whether the catalogue knows `sku`: the API accepts any SKU on an order, and validation
    then rejects the whole order for an unknown one, which a typo should not cost a customer."""
    try:
        client.get_product(sku)
    except ApiError as error:
        if error.status in (404, 422):
            return False
        raise
    return True


def _apply(confirmed: bool, change: Any, verb: str, *, refused: str = "", done: str = "") -> None:
    """Run `change` once confirmed; the API's refusal (409, 422) is shown here, in place, as
    "`refused`: why" ("The order was not `verb`" unless given); success reruns the page so it
    shows the order as it is now, saying "Order X `done` (or `verb`); it is now S"."""
    if not confirmed:
        st.warning("Tick the box to confirm first.")
        return
    try:
        after: Order = change()
    except ApiError as error:
        if error.status not in (409, 422) or error.still_running:
            raise
        st.error(f"{refused or f'The order was not {verb}'}: {error.message}")
        return
    # The search results on screen show the order as it is now, not as it was found.
    found: list[Order] = st.session_state.get(_RESULTS, [])
    st.session_state[_RESULTS] = [after if o["id"] == after["id"] else o for o in found]
    flash(f"Order {after['channel_order_id']} {done or verb}; it is now {after['status']}.")
    st.rerun()
