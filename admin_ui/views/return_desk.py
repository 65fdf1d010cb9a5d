"""A warehouse's receiving desk, the Returns page a key that may not read orders gets: it
never opens an order. It lists the returns expected at the key's own locations (authorised,
going back there), asking the API for each location's, page by page; or it finds one by the
RMA on the parcel's label. The one opened shows its lines and where it is expected, and is
booked in at one of the key's locations, naming the lines found unfit to sell again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import streamlit as st

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import Principal, Return
from admin_ui.roles import may
from admin_ui.session import attempt, section
from admin_ui.texts import when
from admin_ui.views.return_common import done, return_rows

_SCAN = "returns::scan"  # the RMA a warehouse looked up, kept through a receipt's rerun
_OPEN = "returns::open"  # the return a warehouse opened, kept open when receiving it ends
AWAITING = "authorised"  # what a location may receive
PAGE = 500  # the most the API lists at once
# Pages of one location's awaiting returns read for the queue: more than a dock works
# through at a time; a parcel past them is found by its RMA, and the queue says so.
MAX_PAGES = 10


def scanned_rma(text: str) -> str:
    """An RMA as the API issued it, from what was scanned or typed: a scanner's trailing
    newline, or a number typed in lower case, still finds the parcel's return."""
    return "".join(text.split()).upper()


def oldest_first(returns: Iterable[Return]) -> list[Return]:
    """Several locations' returns as one queue, in the API's own order of each list: when
    requested, then id."""
    return sorted(returns, key=lambda r: (datetime.fromisoformat(r["created_at"]), r["id"]))


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
    queue, cut = _expected(client, who["locations"])
    if cut:
        at = cut[0] if len(cut) == 1 else f"each of {', '.join(cut)}"
        st.caption(
            f"Only the oldest {MAX_PAGES * PAGE:,} returns expected at {at} are listed: "
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


def _expected(client: OrdoClient, locations: Sequence[str]) -> tuple[list[Return], list[str]]:
    """The authorised returns going back to `locations`, oldest first, each location's read
    page by page as the API filters them; and the locations with more than MAX_PAGES pages
    of them, of which only those pages were read."""
    found: list[Return] = []
    cut: list[str] = []
    for code in locations:
        for page in range(MAX_PAGES):
            batch = client.list_returns(
                status=AWAITING, location=code, limit=PAGE, offset=page * PAGE
            )
            found += batch
            if len(batch) < PAGE:
                break
        else:
            # The last page read was full: one more row says whether any were left unread.
            if client.list_returns(
                status=AWAITING, location=code, limit=1, offset=MAX_PAGES * PAGE
            ):
                cut.append(code)
    return oldest_first(found), cut


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
    after = attempt(
        lambda: client.receive_return(return_id, str(at), list(kept)),
        "The return was not received",
    )
    if after is not None:
        st.session_state[_OPEN] = return_id
        done(f"Return {name} received at {at}: {receipt_words(after)}.")
