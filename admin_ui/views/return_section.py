"""An order's Returns section in the console (on the Orders page and the Returns page, for
support and for the customer whose order it is): the order's returns (status, RMA, lines with
their reasons, refund, where the parcel goes back to, the label's tracking number) and the
steps the API lets each role take with them: request a return of shipped units
(`return_request`), authorise it (naming where it goes back to), receive, refund or reject
it, make and download its label. Every step re-reads the order and its returns after it (a
rerun) and says what happened; the API's refusals are shown where the step was asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

import streamlit as st

from admin_ui.client import OrdoClient
from admin_ui.models import Location, OrderDetail, Principal, Return
from admin_ui.roles import may
from admin_ui.session import attempt, section
from admin_ui.texts import money
from admin_ui.views.labels import label_row
from admin_ui.views.return_common import describe_lines, done, return_rows
from admin_ui.views.return_request import request_form, returnable_units

FINISHED = {"refunded", "rejected"}  # nothing more can be done with these
MAX_REFUND = Decimal(1_000_000)  # the API's limit on one refund's amount
LATER = "name it later"


def refund_amount(text: str) -> tuple[str | None, str]:
    """A typed refund amount as the API takes it ("15.00"), None for the full amount when
    blank; or a sentence saying why it cannot be read."""
    written = text.strip().removeprefix("$").strip()
    if not written:
        return None, ""
    try:
        amount = Decimal(written)
    except InvalidOperation:
        amount = Decimal("nan")
    shown = text.strip()
    if not amount.is_finite():
        return None, f"'{shown}' is not an amount: write it like 15.00"
    if amount < 0:
        return None, f"'{shown}' is less than nothing: write the amount to refund, like 15.00"
    if amount > MAX_REFUND:  # before quantize, which a huge number makes raise
        return None, f"'{shown}' is more than {MAX_REFUND:,}, the most one refund may be"
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"'{shown}' has more than two decimals: write it in cents at most, like 15.05"
    return f"{amount:.2f}", ""


def worth(order: OrderDetail, found: Return) -> Decimal:
    """What the return's lines were sold for: the refund when no amount is given."""
    prices = {line["id"]: Decimal(line["price"]) for line in order["lines"]}
    return sum(
        (
            prices.get(line["order_line_id"], Decimal(0)) * line["quantity"]
            for line in found["lines"]
        ),
        Decimal(0),
    )


def order_returns(client: OrdoClient, who: Principal, order: OrderDetail) -> None:
    """The Returns section of an order's detail, for the roles that may read returns."""
    if not may(who["role"], "read_returns"):
        return
    st.subheader("Returns")
    # A failed call costs this section only: the order's explanation and actions still show.
    with section("Returns"):
        _order_returns(client, who, order)


def _order_returns(client: OrdoClient, who: Principal, order: OrderDetail) -> None:
    if not any(line["quantity_shipped"] for line in order["lines"]):
        st.write("Nothing of this order has shipped yet, so nothing can be returned.")
        return
    returns = client.order_returns(order["id"])
    if returns:
        rows = return_rows(returns, order["currency"], with_order=False)
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.write("No return yet.")
    role = who["role"]
    places = _places(client) if may(role, "manage_returns") or may(role, "receive_returns") else []
    for found in returns:
        _steps(client, role, order, found, places)
    if may(role, "request_returns"):
        with section("Request a return"):
            request_form(client, role, order, returnable_units(order, returns))


def _places(client: OrdoClient) -> list[Location]:
    """Where a parcel can go back to: enabled locations that hold stock of ours (a dropship
    vendor's site does not; the API refuses to receive there)."""
    return [
        place
        for place in client.list_locations()
        if place.get("enabled", True) and place.get("type") != "dropship_vendor"
    ]


def _place_name(places: Sequence[Location]) -> Callable[[str], str]:
    names = {place["code"]: place.get("name", "") for place in places}
    return lambda code: f"{code}: {names[code]}" if names.get(code) else code


def _steps(
    client: OrdoClient, role: str, order: OrderDetail, found: Return, places: list[Location]
) -> None:
    """The steps `role` may take with one return in its present status, and its label."""
    status = found["status"]
    title = f"Return {found['rma'] or found['id']}: {status}"
    manages, receives = may(role, "manage_returns"), may(role, "receive_returns")
    # A label is made while the return is authorised, and downloaded whenever there is one.
    offers_label = may(role, "return_labels") and (
        status == "authorised" or bool(found["label_format"])
    )
    acts = {"requested": manages, "authorised": manages or receives, "received": manages}
    if not (acts.get(status, False) or offers_label):
        return
    with st.expander(title, expanded=status not in FINISHED):
        st.caption(describe_lines(found))
        with section(title):
            if status == "requested" and manages:
                _authorise_form(client, found, places)
            if status == "authorised" and receives:
                _receive_form(client, found, places)
            if status == "received" and manages:
                _refund_form(client, order, found)
            if status in ("requested", "authorised") and manages:
                _reject_form(client, found)
            if offers_label:
                _label(client, role, found, places)


def _authorise_form(client: OrdoClient, found: Return, places: list[Location]) -> None:
    return_id = found["id"]
    with st.form(f"authorise-{return_id}"):
        # Where the parcel goes back to, named now, is what its label prints, so the customer
        # can print the label without waiting for support again.
        named = _place_name(places)
        back_to = st.selectbox(
            "Goes back to",
            [LATER, *(place["code"] for place in places)],
            format_func=lambda code: code if code == LATER else named(code),
            help="Naming it lets the customer print the return label at once.",
        )
        if not st.form_submit_button("Authorise"):
            return
    location = back_to if back_to and back_to != LATER else None
    after = attempt(
        lambda: client.authorise_return(return_id, location), "The return was not authorised"
    )
    if after is None:
        return
    said = f"Return {return_id} authorised: RMA {after['rma']}."
    if location:
        said += f" It goes back to {location}."
    done(said)


def _receive_form(client: OrdoClient, found: Return, places: list[Location]) -> None:
    return_id = found["id"]
    codes = [place["code"] for place in places]
    with st.form(f"receive-{return_id}"):
        at = st.selectbox(
            "Received at",
            codes,
            index=codes.index(found["location_code"]) if found["location_code"] in codes else None,
            format_func=_place_name(places),
            placeholder="Where the parcel arrived",
        )
        lines = {line["order_line_id"]: line["sku"] for line in found["lines"]}
        kept = st.multiselect(
            "Not fit to sell again",
            list(lines),
            format_func=lambda line_id: f"line {line_id}: {lines[line_id]}",
            help="Lines found damaged or worn: booked in, but not put back on hand.",
        )
        if not st.form_submit_button("Receive"):
            return
    if not at:
        st.warning("Choose where the parcel arrived.")
        return
    after = attempt(
        lambda: client.receive_return(return_id, at, list(kept)), "The return was not received"
    )
    if after is not None:
        done(f"Return {return_id} received at {at}.")


def _refund_form(client: OrdoClient, order: OrderDetail, found: Return) -> None:
    return_id, full = found["id"], worth(order, found)
    with st.form(f"refund-{return_id}"):
        text = st.text_input(
            "Amount to refund",
            placeholder=f"{full:.2f}",
            help=f"Blank refunds the lines' price, {money(str(full), order['currency'])}; "
            "less keeps a restocking fee.",
        )
        sure = st.checkbox("Yes, refund this return")
        if not st.form_submit_button("Refund"):
            return
    amount, problem = refund_amount(text)
    if problem:
        st.error(f"Nothing was refunded: {problem}.")
        return
    if not sure:
        st.warning("Tick the box to confirm first.")
        return
    after = attempt(lambda: client.refund_return(return_id, amount), "The return was not refunded")
    if after is not None:
        refunded = money(after["refund_amount"], order["currency"])
        done(f"Return {return_id} refunded: {refunded}.")


def _reject_form(client: OrdoClient, found: Return) -> None:
    return_id = found["id"]
    with st.form(f"reject-{return_id}"):
        why = st.text_input("Why it is rejected", placeholder="outside the 30-day window")
        sure = st.checkbox("Yes, reject this return")
        if not st.form_submit_button("Reject return"):
            return
    if not why.strip():
        st.warning("Say why the return is rejected.")
        return
    if not sure:
        st.warning("Tick the box to confirm first.")
        return
    after = attempt(
        lambda: client.reject_return(return_id, why.strip()), "The return was not rejected"
    )
    if after is not None:
        done(f"Return {return_id} rejected ({why.strip()}).")


def _label(client: OrdoClient, role: str, found: Return, places: list[Location]) -> None:
    """The return's label: made while it is authorised, downloaded once made. Support names
    where the parcel goes back to if nobody has; a customer prints the label once it has."""
    return_id, status = found["id"], found["status"]
    back_to: str | None = found["location_code"] or None
    if status == "authorised" and not back_to:
        if not may(role, "manage_returns"):
            st.caption(
                "Support names where the parcel goes back to; its label can be printed then."
            )
            return
        codes = [place["code"] for place in places]
        back_to = st.selectbox(
            "Label: goes back to",
            codes,
            index=None,
            format_func=_place_name(places),
            placeholder="Where the parcel goes back to",
            key=f"return-label-to:{return_id}",
        )

    def make(format: str) -> None:
        # Only support names the place; the API takes a customer's label to the return's own.
        named = back_to if may(role, "manage_returns") else None
        after = attempt(
            lambda: client.make_return_label(return_id, format, named),
            f"No label for return {return_id}",
        )
        if after is not None:
            done(
                f"Label of return {return_id} made ({format.upper()}), back to "
                f"{after['location_code']}; tracking number {after['tracking_number']}."
            )

    label_row(
        f"Label of return {found['rma'] or return_id}",
        made=found["label_format"],
        tracking_number=found["tracking_number"],
        key=f"return-label:{return_id}",
        file_name=f"return-label-{return_id}",
        make=make if status == "authorised" else None,
        download=lambda: client.return_label(return_id),
    )
