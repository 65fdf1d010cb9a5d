"""Returns in the console: an order's Returns section (on the Orders page, for support and for
the customer whose order it is), support's Returns page, the queue of returns by status, and
the receiving desk a warehouse gets on that page instead.

The section lists the order's returns (status, RMA, lines with their reasons, refund, where the
parcel goes back to, the label's tracking number) and offers each role the steps the API lets
it take: request a return of shipped units, authorise it (naming where it goes back to),
receive, refund or reject it, make and download its label. Every step re-reads the order and
its returns after it (a rerun) and says what happened; the API's refusals are shown where the
step was asked for, a request's bad line under that line's fields.

A warehouse key may not read orders, so its desk never opens one: it lists the returns
expected at its own locations (authorised, awaiting receipt) or finds one by the RMA on the
parcel's label, shows its lines and where it is expected, and books it in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import Location, OrderDetail, Principal, Return
from admin_ui.roles import may
from admin_ui.session import flash, section
from admin_ui.texts import money, when
from admin_ui.views.labels import label_row

RETURN_STATUSES = ["requested", "authorised", "received", "refunded", "rejected"]
FINISHED = {"refunded", "rejected"}  # nothing more can be done with these
# Offered first, since the reports count defect words in reasons; "other" takes free text.
REASONS = ["damaged", "defective", "wrong item", "no longer needed", "does not fit"]
OTHER = "other"
MAX_REASON = 200  # the API's limit on a line's reason
MAX_REFUND = Decimal(1_000_000)  # and on one refund's amount
LATER = "name it later"
_NOTES = "returns::notes"  # what a step left undone, shown after the rerun with the flash
_STATUS, _RMA = "returns::status", "returns::rma"  # the queue's filter
_SCAN = "returns::scan"  # the RMA a warehouse looked up, kept through a receipt's rerun
_OPEN = "returns::open"  # the return a warehouse opened, kept open when receiving it ends
AWAITING = "authorised"  # what a location may receive
PAGE = 500  # the most the API lists at once
# Pages of authorised returns read for a warehouse's queue: the API lists every location's,
# and this bounds what one page run reads when very many are in transit.
MAX_PAGES = 10
# "$.lines[1].quantity: line 1 (SHOE-42): 2 to return but only 1 can be (...)"
_LINE_FINDING = re.compile(r"^\$\.lines\[(?P<index>\d+)\](?:\.\w+)?: (?P<message>.*)$", re.S)


# --- pure helpers ---------------------------------------------------------------------------


def returnable_units(order: OrderDetail, returns: Iterable[Return]) -> dict[str, int]:
    """Units of each shipped line that may still be returned, counted as the API counts them:
    shipped, less what is on the order's other returns (rejected ones do not count)."""
    taken: dict[str, int] = {}
    for found in returns:
        if found["status"] == "rejected":
            continue
        for line in found["lines"]:
            taken[line["order_line_id"]] = taken.get(line["order_line_id"], 0) + line["quantity"]
    return {
        line["id"]: max(line["quantity_shipped"] - taken.get(line["id"], 0), 0)
        for line in order["lines"]
        if line["quantity_shipped"] > 0
    }


@dataclass(frozen=True)
class LineChoice:
    """What the request form holds for one order line."""

    line_id: str
    quantity: int
    reason: str  # one of REASONS, or OTHER
    other: str = ""  # the reason in words, when `reason` is OTHER
    restock: bool = True


def request_lines(
    choices: Sequence[LineChoice], with_restock: bool
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The request's `lines` for the lines given units, and a sentence for each line whose
    reason cannot be sent. `restock` is sent only `with_restock` (support, admins): a
    customer's key that sends it is refused."""
    lines: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    for choice in choices:
        if choice.quantity <= 0:
            continue
        reason = choice.other.strip() if choice.reason == OTHER else choice.reason
        if not reason:
            problems[choice.line_id] = "write the reason, or choose one from the list"
            continue
        if len(reason) > MAX_REASON:
            problems[choice.line_id] = (
                f"the reason is {len(reason)} characters long; keep it to {MAX_REASON}"
            )
            continue
        line: dict[str, Any] = {
            "order_line_id": choice.line_id,
            "quantity": choice.quantity,
            "reason": reason,
        }
        if with_restock:
            line["restock"] = choice.restock
        lines.append(line)
    return lines, problems


def line_findings(
    findings: Sequence[str], sent: Sequence[str]
) -> tuple[dict[str, list[str]], list[str]]:
    """The API's findings on a request, by the order line each is about: a finding at
    `$.lines[i]...` belongs to the `i`th line sent (`sent` holds their ids in order); the
    others (and one at an index not sent) are the request's as a whole."""
    by_line: dict[str, list[str]] = {}
    rest: list[str] = []
    for found in findings:
        match = _LINE_FINDING.match(found)
        index = int(match.group("index")) if match else -1
        if match is None or index >= len(sent):
            rest.append(found)
            continue
        message = match.group("message")
        by_line.setdefault(sent[index], []).append(message[:1].upper() + message[1:])
    return by_line, rest


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


def describe_lines(found: Return) -> str:
    """'1 × APP-BBC-BLACK (line 1: damaged)' per line, '; '-separated; a line support keeps
    off sale says so."""
    parts = []
    for line in found["lines"]:
        why = f": {line['reason']}" if line["reason"] else ""
        kept = "" if line["restock"] else ", not back on sale"
        parts.append(
            f"{line['quantity']} × {line['sku']} (line {line['order_line_id']}{why}{kept})"
        )
    return "; ".join(parts)


def return_rows(
    returns: Iterable[Return], currency: str = "", with_order: bool = True
) -> list[dict[str, Any]]:
    """The table of returns: one row each, oldest first as the API lists them; the order's
    column is left out under the order itself."""
    return [
        {
            "return": r["id"],
            **({"order": r["order_id"]} if with_order else {}),
            "status": r["status"],
            "RMA": r["rma"],
            "requested": when(r["created_at"]),
            "lines": describe_lines(r),
            "refund": money(r["refund_amount"], currency).strip()
            if r["status"] == "refunded"
            else "",
            "back to": r["location_code"],
            "tracking": f"{r['carrier']} {r['tracking_number']}".strip(),
        }
        for r in returns
    ]


def scanned_rma(text: str) -> str:
    """An RMA as the API issued it, from what was scanned or typed: a scanner's trailing
    newline, or a number typed in lower case, still finds the parcel's return."""
    return "".join(text.split()).upper()


def expected_at(returns: Iterable[Return], locations: Collection[str]) -> list[Return]:
    """The authorised returns whose parcel goes back to one of `locations`, oldest first as
    the API lists them. A warehouse key sees every location's authorised returns (a parcel
    may come to the wrong place), but its queue is what is on its way to it."""
    return [r for r in returns if r["status"] == AWAITING and r["location_code"] in locations]


def expected_where(found: Return, locations: Collection[str]) -> str:
    """Where the parcel is expected, or was received, said for staff at `locations`."""
    code, status = found["location_code"], found["status"]
    if status in ("received", "refunded"):
        return f"Received at {code}" + (", and refunded." if status == "refunded" else ".")
    if status != AWAITING:
        return f"It is {status}: there is nothing to receive."
    if not code:
        return "Support has not named where it goes back to: receive it wherever it arrived."
    if code in locations:
        return f"Expected at {code}."
    return f"Expected at {code}, not at yours: receive it only if the parcel did arrive here."


def receipt_rows(found: Return) -> list[dict[str, Any]]:
    """The lines the parcel is checked against at the dock, and what receipt does with each
    (support may have kept a line off sale when it opened the return)."""
    return [
        {
            "line": line["order_line_id"],
            "SKU": line["sku"],
            "units": line["quantity"],
            "reason": line["reason"],
            "on receipt": "back on sale" if line["restock"] else "kept off sale",
        }
        for line in found["lines"]
    ]


def receipt_words(found: Return) -> str:
    """What a receipt did with the units: '2 units back on sale at DAL-01, 1 unit kept off
    sale'."""
    back = sum(line["quantity"] for line in found["lines"] if line["restock"])
    kept = sum(line["quantity"] for line in found["lines"] if not line["restock"])
    parts = [f"{_units(back)} back on sale at {found['location_code']}"] if back else []
    if kept:
        parts.append(f"{_units(kept)} kept off sale")
    return ", ".join(parts)


def _units(count: int) -> str:
    return f"{count} unit{'' if count == 1 else 's'}"


# --- an order's Returns section -------------------------------------------------------------


def order_returns(client: OrdoClient, who: Principal, order: OrderDetail) -> None:
    """The Returns section of an order's detail, for the roles that may read returns."""
    if not may(who["role"], "read_returns"):
        return
    st.subheader("Returns")
    for note in st.session_state.pop(_NOTES, []):
        st.warning(note)
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
            _request_form(client, role, order, returnable_units(order, returns))


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
    after = _attempt(
        lambda: client.authorise_return(return_id, location), "The return was not authorised"
    )
    if after is None:
        return
    done = f"Return {return_id} authorised: RMA {after['rma']}."
    if location:
        done += f" It goes back to {location}."
    flash(done)
    st.rerun()


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
    after = _attempt(
        lambda: client.receive_return(return_id, at, list(kept)), "The return was not received"
    )
    if after is not None:
        _done(f"Return {return_id} received at {at}.")


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
    after = _attempt(lambda: client.refund_return(return_id, amount), "The return was not refunded")
    if after is not None:
        refunded = money(after["refund_amount"], order["currency"])
        _done(f"Return {return_id} refunded: {refunded}.")


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
    after = _attempt(
        lambda: client.reject_return(return_id, why.strip()), "The return was not rejected"
    )
    if after is not None:
        _done(f"Return {return_id} rejected ({why.strip()}).")


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
        after = _attempt(
            lambda: client.make_return_label(return_id, format, named),
            f"No label for return {return_id}",
        )
        if after is not None:
            _done(
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


def _request_form(
    client: OrdoClient, role: str, order: OrderDetail, returnable: Mapping[str, int]
) -> None:
    """Units of the shipped lines to send back, each with its reason; support also says
    whether they go back on sale. The API has the last word on how many may come back (another
    return may have been opened since this was shown): its refusal shows at the line."""
    if not any(returnable.values()):
        st.caption("Every unit that shipped is on a return already.")
        return
    with_restock = may(role, "manage_returns")
    lines = {line["id"]: line for line in order["lines"] if line["id"] in returnable}
    at_line: dict[str, DeltaGenerator] = {}
    choices: list[LineChoice] = []
    with st.form(f"request-return-{order['id']}"):
        st.markdown("**Request a return**")
        for line_id, line in lines.items():
            shipped = line["quantity_shipped"]
            # The widget's bound is what shipped, which does not move: a bound of what may
            # still come back would change under a person typing when another return opens.
            quantity = st.number_input(
                f"Line {line_id}: {line['sku']} ({shipped} shipped)",
                min_value=0,
                max_value=shipped,
                value=0,
                step=1,
                help=f"{returnable[line_id]} of {shipped} can be returned.",
            )
            left, right = st.columns(2)
            reason = left.selectbox(f"Line {line_id}: reason", [*REASONS, OTHER])
            other = right.text_input(
                f"Line {line_id}: other reason",
                max_chars=MAX_REASON,
                help="In the customer's words, when the reason is 'other'.",
            )
            restock = (
                st.checkbox(f"Line {line_id}: back on sale when received", value=True)
                if with_restock
                else True
            )
            at_line[line_id] = st.empty()  # where this line's refusal shows
            choices.append(LineChoice(line_id, int(quantity), str(reason), other, restock))
        submitted = st.form_submit_button("Request return")
    if not submitted:
        return
    body, problems = request_lines(choices, with_restock)
    for line_id, problem in problems.items():
        at_line[line_id].error(problem[:1].upper() + problem[1:] + ".")
    if problems:
        return
    if not body:
        st.warning("Give the units to return of at least one line.")
        return
    try:
        made = client.request_return(order["id"], body)
    except ApiError as error:
        if error.status not in (404, 409, 422) or error.still_running:
            raise
        by_line, rest = line_findings(error.findings, [x["order_line_id"] for x in body])
        for line_id, messages in by_line.items():
            at_line[line_id].error(" ".join(messages))
        if rest or not by_line:
            st.error(f"The return was not requested: {error.message}")
        return
    units = sum(x["quantity"] for x in body)
    _done(
        f"Return {made['id']} requested for {units} unit{'' if units == 1 else 's'} of order "
        f"{order['channel_order_id']}; it is now {made['status']}."
    )


def _attempt(change: Callable[[], Return], refused: str) -> Return | None:
    """Run one step; the API's refusal (404, 409, 422) is shown here as "`refused`: why"."""
    try:
        return change()
    except ApiError as error:
        if error.status not in (404, 409, 422) or error.still_running:
            raise
        st.error(f"{refused}: {error.message}")
        return None


def _done(message: str) -> None:
    """Say what happened after the rerun, which reads the order and its returns afresh."""
    flash(message)
    st.rerun()


# --- the Returns page -----------------------------------------------------------------------


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
        # Imported here: the Orders page imports this module for its Returns section.
        from admin_ui.views.orders import open_order

        open_order(order)
        st.switch_page("screens/orders.py")
    order_returns(client, who, order)


# --- a warehouse's receiving desk -----------------------------------------------------------


def receiving(client: OrdoClient, who: Principal) -> None:
    """The returns expected at the key's own locations, oldest first, or the one whose RMA
    was scanned off the parcel; the one opened shows its lines and is received here. It reads
    returns only: a warehouse key may not read their orders."""
    st.title("Returns")
    if not who["locations"]:
        st.info("Your key names no location, so no return is expected at yours.")
        return
    with st.form("returns-scan"):
        # Keyed, so the return looked up stays shown, received, after the receipt's rerun.
        rma = st.text_input(
            "RMA",
            placeholder="RMA-20261122-1A2B3C4D",
            key=_SCAN,
            help="Scan or type it from the parcel's label; blank lists every return expected "
            "at your locations.",
        )
        if st.form_submit_button("Find return", type="primary"):
            st.session_state.pop(_OPEN, None)  # a new look-up: open what it finds
    with section("The returns"):
        wanted = scanned_rma(rma)
        if wanted:
            _scanned(client, who, wanted)
        else:
            _expected_queue(client, who)


def _scanned(client: OrdoClient, who: Principal, rma: str) -> None:
    found = client.list_returns(rma=rma)
    if not found:
        st.info(
            f"No return with RMA {rma} is yours to receive or was received at your locations: "
            "check the label, or ask support whether it was authorised."
        )
        return
    for each in found:  # one: an RMA names one return
        _receipt(client, who, each)


def _expected_queue(client: OrdoClient, who: Principal) -> None:
    queue, complete = _expected(client, who["locations"])
    if not complete:
        st.caption(
            f"Only the oldest {MAX_PAGES * PAGE:,} authorised returns were looked through: "
            "find a later one by its RMA."
        )
    if queue:
        st.dataframe(return_rows(queue, with_order=False), hide_index=True, width="stretch")
    else:
        st.info(f"No return is expected at {', '.join(who['locations'])}.")
    by_id = {r["id"]: r for r in queue}
    opened = st.session_state.get(_OPEN)
    if opened and opened not in by_id:
        # Received, it leaves the queue; it stays open, so the dock sees what receipt did.
        kept = _return(client, opened)
        by_id = {opened: kept, **by_id} if kept is not None else by_id
    if not by_id:
        return
    ids = list(by_id)

    def named(return_id: str) -> str:
        found = by_id[return_id]
        items = ", ".join(f"{line['quantity']} × {line['sku']}" for line in found["lines"])
        return f"{found['rma'] or return_id} · {items} · {found['status']}"

    picked = st.selectbox(
        f"Open one of {len(ids)}",
        ids,
        index=ids.index(opened) if opened in by_id else 0,
        format_func=named,
    )
    if picked is not None:
        st.session_state[_OPEN] = picked
        _receipt(client, who, by_id[str(picked)])


def _expected(client: OrdoClient, locations: Collection[str]) -> tuple[list[Return], bool]:
    """The authorised returns going back to `locations`, and whether every authorised return
    was read: the API lists every location's, with no filter by location to page by."""
    found: list[Return] = []
    for page in range(MAX_PAGES):
        batch = client.list_returns(status=AWAITING, limit=PAGE, offset=page * PAGE)
        found += expected_at(batch, locations)
        if len(batch) < PAGE:
            return found, True
    return found, False


def _return(client: OrdoClient, return_id: str) -> Return | None:
    """The return, or None when this key may no longer see it (another key signed in in this
    browser, or it was received at another location): it is then simply no longer open."""
    try:
        return client.get_return(return_id)
    except ApiError as error:
        if error.status != 404:
            raise
        st.session_state.pop(_OPEN, None)
        return None


def _receipt(client: OrdoClient, who: Principal, found: Return) -> None:
    """One return as the dock checks a parcel against it, and the form to receive it."""
    name = found["rma"] or found["id"]
    st.header(f"Return {name}")
    st.write(f"Requested {when(found['created_at'])}. {expected_where(found, who['locations'])}")
    st.dataframe(receipt_rows(found), hide_index=True, width="stretch")
    if found["status"] == AWAITING and may(who["role"], "receive_returns"):
        with section(f"Receive return {name}"):
            _book_in_form(client, who, found)


def _book_in_form(client: OrdoClient, who: Principal, found: Return) -> None:
    """Where the parcel arrived (one of the key's locations: the API refuses others) and the
    lines found unfit to sell again; the API books the return in whole."""
    return_id, name = found["id"], found["rma"] or found["id"]
    locations = list(who["locations"])
    code = found["location_code"]
    if code in locations:
        index: int | None = locations.index(code)
    else:
        index = 0 if len(locations) == 1 else None
    restockable = {line["order_line_id"]: line for line in found["lines"] if line["restock"]}
    with st.form(f"book-in-{return_id}"):
        at = st.selectbox(
            "Received at", locations, index=index, placeholder="Where the parcel arrived"
        )
        kept: list[str] = []
        if restockable:
            kept = st.multiselect(
                "Not fit to sell again",
                list(restockable),
                format_func=lambda line_id: (
                    f"line {line_id}: {restockable[line_id]['quantity']} × "
                    f"{restockable[line_id]['sku']}"
                ),
                help="Lines found damaged, worn or opened: booked in, but not put back on hand.",
            )
        st.caption(
            "The return is received whole, as listed: if the parcel holds other units, do not "
            "receive it; tell support."
        )
        sure = st.checkbox("Yes, the parcel holds these units: receive it")
        if not st.form_submit_button("Receive"):
            return
    if not at:
        st.warning("Choose where the parcel arrived.")
        return
    if not sure:
        st.warning("Tick the box to confirm first.")
        return
    after = _attempt(
        lambda: client.receive_return(return_id, str(at), list(kept)),
        "The return was not received",
    )
    if after is not None:
        st.session_state[_OPEN] = return_id
        _done(f"Return {name} received at {at}: {receipt_words(after)}.")
