"""Shipments: the work queue of warehouse and store staff. What is released to a location (a
warehouse key's own; admins and support pick any), oldest first, or the shipment a tracking
number belongs to (its own or one of its parcels', as a customer reads it out or a scanner
types it); one shipment opened with its lines, tracking and label, and the steps the role
may take in its present status: mark it picked, packed or shipped (with the label's tracking
number), add a carrier's scan (of the whole shipment or of one of its numbered parcels), make
and download its label, or report units the location cannot find, which the API sources
again elsewhere at once.

Every step re-reads the queue after it (a rerun) and says what happened; the API's refusals
are shown where the step was asked for, a short pick's bad line under that line's field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import Principal, Shipment, ShortPick
from admin_ui.roles import may
from admin_ui.session import attempt, flash, section
from admin_ui.texts import bulleted, money, when
from admin_ui.views.labels import shipment_label
from admin_ui.views.return_request import show_refusal_at_lines

STATUSES = ["pending", "released", "picked", "packed", "shipped", "delivered", "cancelled"]
PICK_LIST = "released"  # what the location has been asked to pick and has not started
ANY = "any"
EVERY = "every location"
# What a location may report next, as the API moves a shipment (`fulfilment._SHIPMENT_MOVES`):
# a step may be skipped (a store hands a parcel over unpacked), never taken back.
NEXT: dict[str, tuple[str, ...]] = {
    "released": ("picked", "packed", "shipped"),
    "picked": ("packed", "shipped"),
    "packed": ("shipped",),
}
# Units can come up short while they are looked for; packed or later, they were found.
SHORT_PICKABLE = frozenset({"released", "picked"})
MAX_REASON = 500  # the API's limit on a short pick's reason
LIMIT = 500  # the most the API lists at once
MAX_TRACKING = 128  # the API's limit on a tracking number searched for
MAX_CODE, MAX_SCAN_TEXT, MAX_WHERE = 50, 500, 200  # its limits on a scan's code and texts
# A carrier has no shipment in these statuses: the API takes no scan of it (409).
NOT_WITH_A_CARRIER = frozenset({"pending", "cancelled"})
WHOLE = "whole shipment"  # a scan naming no parcel
_LOCATION, _STATUS = "shipments::location", "shipments::status"  # the queue's filter
_NUMBER = "shipments::tracking-number"  # the number searched for instead of the queue
_SURE, _WHY = "shipments::short-sure", "shipments::short-reason"  # the short form's, per id
_OPEN = "shipments::open"  # the shipment opened, kept open when a step moves it off the list
_SEEN = "shipments::seen"  # the opened shipment as last shown (`state_of`), by its id

T = TypeVar("T")


# --- pure helpers ---------------------------------------------------------------------------


def units(count: int) -> str:
    return f"{count} unit{'' if count == 1 else 's'}"


def location_choices(who: Principal, codes: Sequence[str]) -> list[str]:
    """The locations the picker offers: a warehouse key's own (the API lists no other's
    shipments to it), every location for admins and support; `EVERY` first when there is
    more than one to choose from."""
    own = list(who["locations"]) if who["role"] == "warehouse" else list(codes)
    return [EVERY, *own] if len(own) > 1 else own


def items(shipment: Shipment) -> str:
    """'2 × APP-BBC-BLACK, 1 × APP-BBC-KHAKI'."""
    return ", ".join(f"{line['quantity']} × {line['sku']}" for line in shipment["lines"])


def state_of(shipment: Shipment) -> str:
    """What a person working a shipment goes by: 'released, 2 × APP-BBC-BLACK'."""
    return ", ".join(part for part in (shipment["status"], items(shipment)) if part)


def shipment_rows(shipments: Iterable[Shipment]) -> list[dict[str, Any]]:
    """The queue's table: one row per shipment, oldest first as the API lists them."""
    return [
        {
            "shipment": s["id"],
            "order": s["order_id"],
            "created": when(s.get("created_at")),  # an API from before it had none
            "from": s["location_code"],
            "items": items(s),
            "units": sum(line["quantity"] for line in s["lines"]),
            "carrier": f"{s['carrier']} {s['service']}".strip(),
            "promised": s["promised_date"] or "",
            "status": s["status"],
            "label": (s.get("label_format") or "").upper() or "none",
            "tracking": s["tracking_number"],
        }
        for s in shipments
    ]


def tracking_number_problem(number: str) -> str:
    """Why `number` (stripped) cannot be a tracking number, in a sentence; "" when it can be:
    the API takes printable ASCII, what a label's barcode holds, up to its limit."""
    if len(number) > MAX_TRACKING:
        return f"A tracking number has at most {MAX_TRACKING} characters; this has {len(number)}."
    if not (number.isascii() and number.isprintable()):
        return (
            f"'{number}' is not a tracking number: it has letters, digits and punctuation "
            "as printed on the label, nothing else (a dash typed as '–' is not '-')."
        )
    return ""


def parcel_choices(shipment: Shipment) -> list[str]:
    """The parcels a scan may name, by their tracking numbers, after `WHOLE` (a scan of the
    whole shipment); [] when none is numbered yet (unpacked, or not labelled): a scan is
    then of the whole shipment, and there is nothing to choose."""
    numbers = [p["tracking_number"] for p in shipment.get("parcels", []) if p["tracking_number"]]
    return [WHOLE, *dict.fromkeys(numbers)] if numbers else []


def scan_body(
    at: datetime, code: str, description: str, location: str, parcel: str | None
) -> dict[str, Any]:
    """The scan as `POST /v1/shipments/{id}/tracking` takes it: `at` in UTC (a time without a
    zone is taken as UTC, as the API takes it), the parcel named by its number, none for
    `WHOLE`."""
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return {
        "at": moment.isoformat().replace("+00:00", "Z"),
        "code": code.strip(),
        "description": description.strip(),
        "location": location.strip(),
        "tracking_number": "" if parcel in (None, WHOLE) else parcel,
    }


def scan_rows(shipment: Shipment) -> list[dict[str, Any]]:
    """The shipment's timeline as a table, with the parcel each scan is of ("whole" for the
    whole shipment) once any scan names one."""
    rows = [
        {"at": when(t["at"]), "tracking": t["code"], "what": t["description"],
         "where": t["location"]}
        for t in shipment["tracking"]
    ]  # fmt: skip
    if any(t.get("tracking_number") for t in shipment["tracking"]):
        for row, scan in zip(rows, shipment["tracking"], strict=True):
            row["parcel"] = scan.get("tracking_number") or "whole"
    return rows


def short_lines(shipment: Shipment, missing: Mapping[str, int]) -> tuple[list[dict[str, Any]], str]:
    """The short pick's `lines` for the lines given missing units (by order line id), or a
    sentence saying why none can be sent: each line's units are 0 to what it carries, and at
    least one line must be short."""
    lines: list[dict[str, Any]] = []
    for line in shipment["lines"]:
        count = missing.get(line["order_line_id"], 0)
        name = f"line {line['order_line_id']} ({line['sku']})"
        if count < 0:
            return [], f"The units missing of {name} cannot be fewer than 0."
        if count > line["quantity"]:
            return [], (
                f"{units(count)} cannot be missing of {name}: it carries "
                f"{line['quantity']}, so report at most that."
            )
        if count:
            lines.append({"order_line_id": line["order_line_id"], "missing": count})
    if not lines:
        return [], "Every line is at 0: give the units missing of at least one line."
    return lines, ""


def short_pick_outcome(before: Shipment, done: ShortPick, reason: str) -> tuple[str, list[str]]:
    """What a short pick did, in words: the shipment as it now stands (the lead), then per
    order line where its units went (sourced again, and in which of the new shipments the
    caller may see) and what of the order waits for stock."""
    after = done["shipment"]
    skus = {line["order_line_id"]: line["sku"] for line in before["lines"]}
    for new in done["new_shipments"]:
        skus.update({line["order_line_id"]: line["sku"] for line in new["lines"]})
    reported = sum(b["quantity"] for b in before["lines"]) - sum(
        a["quantity"] for a in after["lines"]
    )
    lead = f"Shipment {after['id']}: {units(reported)} reported short ({reason})."
    if after["status"] == "cancelled":
        lead += " Nothing was left in it, so it is cancelled."
    else:
        lead += f" It now carries {items(after)}."
    said: list[str] = []
    for line_id, count in done["resourced"].items():
        name = f"line {line_id} ({skus.get(line_id, '?')})"
        carriers = [
            f"{new['id']} from {new['location_code']}"
            for new in done["new_shipments"]
            if any(line["order_line_id"] == line_id for line in new["lines"])
        ]
        where = ", ".join(carriers) if carriers else "a shipment from another location"
        said.append(f"{units(count)} of {name} sourced again: {where}.")
    for line_id, count in done["backordered"].items():
        name = f"line {line_id} ({skus.get(line_id, '?')})"
        waits = "waits" if count == 1 else "wait"
        said.append(f"{units(count)} of {name} {waits} for stock (backordered).")
    if not said:
        said.append("Nothing of the order was sourced again or waits for stock.")
    return lead, said


# --- the page -------------------------------------------------------------------------------


def render(client: OrdoClient, who: Principal) -> None:
    """The queue of shipments at a location in one status (`released`, the pick list, unless
    changed), oldest first; the one picked opens with the steps the role may take."""
    st.title("Shipments")
    with section("The shipments"):
        codes = [] if who["role"] == "warehouse" else [p["code"] for p in client.list_locations()]
        places = location_choices(who, codes)
        if not places:
            st.info("Your key names no location, so there is no shipment for you to work.")
            return
        with st.form("shipments-filter"):
            first, second = st.columns(2)
            # Keyed, so the filter last shown stays as it was through the reruns a step causes.
            place = first.selectbox("Location", places, key=_LOCATION)
            status = second.selectbox(
                "Status",
                [*STATUSES, ANY],
                index=STATUSES.index(PICK_LIST),
                key=_STATUS,
                help="Released: the pick list, what the location was asked to ship.",
            )
            if st.form_submit_button("Show shipments", type="primary"):
                st.session_state.pop(_OPEN, None)  # a new list: open its first
                st.session_state[_NUMBER] = ""  # the queue, not what a number found
        with st.form("shipments-find"):
            # Not "Tracking number": that is the shipping form's field, further down the page.
            typed = st.text_input(
                "Find by tracking number",
                max_chars=MAX_TRACKING,
                key=_NUMBER,
                placeholder="PCL000123456789",
                help="The shipment's own number or one of its parcels', as printed on the "
                "label: capitals and all.",
            )
            if st.form_submit_button("Find"):
                st.session_state.pop(_OPEN, None)  # open what it finds
        number = str(typed or "").strip()
        if number:
            problem = tracking_number_problem(number)
            if problem:
                st.warning(problem)
                return
            _queue(client, who, None, None, number)
            return
        location = None if place in (None, EVERY) else str(place)
        _queue(client, who, location, None if status == ANY else str(status))


def _queue(
    client: OrdoClient,
    who: Principal,
    location: str | None,
    status: str | None,
    number: str = "",
) -> None:
    """The shipments at `location` in `status`, or the one `number` is the tracking number
    of (whatever its location and status), and the one opened among them."""
    if number:
        found = client.list_shipments(tracking_number=number, limit=LIMIT)
        if found:
            st.caption(f"Found by tracking number {number}: empty the field for the queue.")
        else:
            st.info(
                f"No shipment you may see has tracking number {number}. Numbers are matched "
                "exactly, capitals and all: check it against the label."
            )
    else:
        found = client.list_shipments(location=location, status=status, limit=LIMIT)
        where = f" at {location}" if location else ""
        if not found:
            st.info(f"No shipment{where} is {status}." if status else f"No shipment{where} yet.")
        elif len(found) == LIMIT:
            st.caption(f"The oldest {LIMIT} are shown: work through them to see the others.")
    if found:
        st.dataframe(shipment_rows(found), hide_index=True, width="stretch")
    by_id = {s["id"]: s for s in found}
    opened = st.session_state.get(_OPEN)
    if opened and opened not in by_id:
        # Marked picked, it leaves the pick list; it stays open so that packing and shipping
        # it, or seeing what someone else did with it, needs no other filter.
        kept = _shipment(client, opened)
        by_id = {opened: kept, **by_id} if kept is not None else by_id
    if not by_id:
        return
    listed = {s["id"] for s in found}

    def named(shipment_id: str) -> str:
        shipment = by_id[shipment_id]
        aside = "" if shipment_id in listed else ", not in this list"
        return (
            f"{shipment_id} · order {shipment['order_id']} · {items(shipment) or 'no items'} · "
            f"{shipment['status']}{aside}"
        )

    ids = list(by_id)
    picked = st.selectbox(
        f"Open one of {len(ids)}",
        ids,
        index=ids.index(opened) if opened in by_id else 0,
        format_func=named,
    )
    if picked is not None:
        st.session_state[_OPEN] = picked
        with section("This shipment"):  # the table above stays, to open another
            _detail(client, who, by_id[str(picked)])


def _shipment(client: OrdoClient, shipment_id: str) -> Shipment | None:
    """The shipment, or None when this key may no longer see it (another key signed in in
    this browser, one of other locations): it is then simply no longer open."""
    try:
        return client.get_shipment(shipment_id)
    except ApiError as error:
        if error.status != 404:
            raise
        st.session_state.pop(_OPEN, None)
        return None


def _changed(shipment: Shipment) -> str:
    """A note when the shipment is not as this page last showed it: someone else worked it
    meanwhile, and a step asked of it as it was may not have been offered any more."""
    shipment_id, now = shipment["id"], state_of(shipment)
    before = st.session_state.get(_SEEN, {}).get(shipment_id)
    _seen(shipment)
    if before is None or before == now:
        return ""
    return (
        f"Shipment {shipment_id} changed since it was shown: it was {before}, it is now {now}. "
        "Someone else worked it; check it before you go on."
    )


def _seen(shipment: Shipment) -> None:
    st.session_state[_SEEN] = {shipment["id"]: state_of(shipment)}


def _detail(client: OrdoClient, who: Principal, shipment: Shipment) -> None:
    shipment_id, status, role = shipment["id"], shipment["status"], who["role"]
    st.header(f"Shipment {shipment_id}")
    note = _changed(shipment)
    if note:
        st.warning(note)
    carrier = f"{shipment['carrier']} {shipment['service']}".strip() or "no carrier yet"
    facts = [
        f"Order {shipment['order_id']}, from {shipment['location_code']}, {status}",
        f"{carrier} ({money(shipment['rate'])})" if shipment["carrier"] else carrier,
        f"promised {shipment['promised_date']}" if shipment["promised_date"] else "no promise",
    ]
    if shipment["tracking_number"]:
        facts.append(f"tracking {shipment['tracking_number']}")
    if shipment.get("wms_reference"):  # the warehouse system's id, for staff who use it
        facts.append(f"WMS ref {shipment['wms_reference']}")
    if shipment["shipped_at"]:
        facts.append(f"shipped {when(shipment['shipped_at'])}")
    st.write("; ".join(facts) + ".")
    st.dataframe(
        [
            {"line": line["order_line_id"], "sku": line["sku"], "quantity": line["quantity"]}
            for line in shipment["lines"]
        ],
        hide_index=True,
        width="stretch",
    )
    if shipment["tracking"]:
        st.dataframe(scan_rows(shipment), hide_index=True, width="stretch")
    offered = False
    if may(role, "update_shipments") and status in NEXT:
        offered = True
        with section("Report progress"):
            _progress(client, shipment)
    if may(role, "update_shipments") and status not in NOT_WITH_A_CARRIER:
        offered = True
        with section("Add a tracking scan"):
            _scan_form(client, shipment)
    with section("Label"):
        offered = shipment_label(client, role, shipment) or offered
    if may(role, "report_short_picks") and status in SHORT_PICKABLE:
        offered = True
        with section("Report short"):
            _short_form(client, shipment)
    if not offered:
        st.caption(_nothing_to_do(status))


def _nothing_to_do(status: str) -> str:
    if status == "pending":
        return "Not released yet: nothing is asked of the location until its order is released."
    if status in ("shipped", "delivered", "cancelled"):
        return f"This shipment is {status}: there is nothing more to do with it here."
    return "Your role may follow this shipment but not work it."


def _progress(client: OrdoClient, shipment: Shipment) -> None:
    """The steps the location may report next: picked and packed at a click, shipped with the
    carrier's tracking number, the label's when one was made (the API refuses another)."""
    shipment_id = shipment["id"]
    steps = NEXT[shipment["status"]]
    quick = [step for step in steps if step != "shipped"]
    if quick:
        for column, step in zip(st.columns(len(quick)), quick, strict=True):
            if column.button(f"Mark {step}", key=f"shipments::{step}:{shipment_id}"):
                _move(client, shipment_id, step)
    if "shipped" not in steps:
        return
    labelled = bool(shipment.get("label_format"))
    with st.form(f"ship-{shipment_id}"):
        tracking = st.text_input(
            "Tracking number",
            value=shipment["tracking_number"],
            max_chars=100,
            disabled=labelled,
            help="The label's: it is printed on the parcel."
            if labelled
            else "The carrier's, if you have one; making the label prints it.",
        )
        if st.form_submit_button("Mark shipped"):
            _move(client, shipment_id, "shipped", tracking.strip())


def _move(client: OrdoClient, shipment_id: str, step: str, tracking_number: str = "") -> None:
    after = attempt(
        lambda: client.update_shipment_status(shipment_id, step, tracking_number),
        f"Shipment {shipment_id} was not marked {step}",
    )
    if after is None:
        return
    _seen(after)  # this person's own step: no note that it changed
    done = f"Shipment {shipment_id} marked {step}"
    if after["tracking_number"] and step == "shipped":
        done += f", tracking number {after['tracking_number']}"
    flash(done + ".")
    st.rerun()


def _scan_form(client: OrdoClient, shipment: Shipment) -> None:
    """A carrier's scan the carrier did not post itself (read off its site, phoned in): when,
    its code, what and where; of the whole shipment or, for one packed into numbered
    parcels, of one of them, as the carrier scans each box on its own."""
    shipment_id = shipment["id"]
    choices = parcel_choices(shipment)
    with st.form(f"scan-{shipment_id}"):
        st.markdown("**Add a tracking scan**")
        at = st.datetime_input(
            "Scanned at (UTC)",
            # Keyed: the field keeps what was typed while the minute of its default moves on.
            value=datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0),
            key=f"shipments::scan-at:{shipment_id}",
        )
        first, second = st.columns(2)
        code = first.text_input(
            "Scan code", max_chars=MAX_CODE, placeholder="in_transit",
            help="The carrier's code: in_transit, out_for_delivery, delivered, DL...",
        )  # fmt: skip
        where = second.text_input("Where", max_chars=MAX_WHERE, placeholder="Dallas, TX")
        description = st.text_input("What", max_chars=MAX_SCAN_TEXT)
        parcel = (
            st.selectbox(
                "Parcel",
                choices,
                help="Its tracking number, for a scan of one box; a scan of the whole "
                "shipment counts for each.",
            )
            if choices
            else None
        )
        if not st.form_submit_button("Add scan"):
            return
    if at is None or not code.strip():
        st.warning("Give the scan's time and its code (in_transit, delivered...).")
        return
    body = scan_body(at, code, description, where, None if parcel is None else str(parcel))
    after = attempt(
        lambda: client.add_tracking(shipment_id, body),
        f"The scan was not added to shipment {shipment_id}",
    )
    if after is None:
        return
    _seen(after)
    of = f"parcel {body['tracking_number']}" if body["tracking_number"] else "the shipment"
    flash(f"Scan {body['code']} of {of} added; shipment {shipment_id} is {after['status']}.")
    st.rerun()


def _short_form(client: OrdoClient, shipment: Shipment) -> None:
    """Units of each line the location cannot find, and why. They leave the shipment and its
    location's stock, and are sourced again elsewhere at once, or wait for stock: after it,
    the page says which."""
    shipment_id = shipment["id"]
    sure_key, why_key = f"{_SURE}:{shipment_id}", f"{_WHY}:{shipment_id}"
    at_line: dict[str, DeltaGenerator] = {}
    missing: dict[str, int] = {}
    with st.form(f"short-{shipment_id}"):
        st.markdown("**Report short**")
        st.caption(
            "Units you cannot find (damaged, not in their bin): they come off this shipment and "
            "this location's stock, and are sourced again from another location at once."
        )
        for line in shipment["lines"]:
            line_id, carried = line["order_line_id"], line["quantity"]
            # The label names what the line carries: after a short pick it carries fewer,
            # and the field is a new one, back at 0.
            missing[line_id] = int(
                st.number_input(
                    f"Line {line_id}: {line['sku']}, {carried} to pick: missing",
                    min_value=0,
                    max_value=carried,
                    value=0,
                    step=1,
                )
            )
            at_line[line_id] = st.empty()  # where this line's refusal shows
        reason = st.text_input(
            "Reason", max_chars=MAX_REASON, placeholder="not in its bin", key=why_key
        )
        sure = st.checkbox("Yes, report these units missing", key=sure_key)
        if not st.form_submit_button("Report short"):
            return
    body, problem = short_lines(shipment, missing)
    if problem:
        st.warning(problem)
        return
    if not reason.strip():
        st.warning("Say why the units are missing (not in its bin, damaged...).")
        return
    if not sure:
        st.warning("Tick the box to confirm first.")
        return
    try:
        done = client.report_short_pick(shipment_id, body, reason.strip())
    except ApiError as error:
        sent = [x["order_line_id"] for x in body]
        show_refusal_at_lines(error, sent, at_line, "Nothing was reported short")
        return
    # The next report of this shipment starts unconfirmed, with no reason of this one's.
    for key in (sure_key, why_key):
        st.session_state.pop(key, None)
    _seen(done["shipment"])
    flash(bulleted(*short_pick_outcome(shipment, done, reason.strip())))
    st.rerun()
