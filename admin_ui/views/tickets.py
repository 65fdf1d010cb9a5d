"""Helpdesk tickets about an order, on its page: the tickets opened about it in the helpdesk
(ORDO_TICKETING, e.g. Zendesk), with the status the helpdesk last reported and the start of
its latest public reply, and, for the roles the API lets open one (admin, support), a form
to open another with a subject and a body.

The API adds a footer naming the order, so support writes only what the ticket is about.
A helpdesk that is not configured is not a failure of the person's: the API's 409 says how an
operator sets one up, and shows as a note under a form that keeps what was typed. A helpdesk
that refuses (502) shows as an error, and a blank field (422) under that field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import OrderDetail, Principal, Ticket
from admin_ui.roles import may
from admin_ui.session import flash, section
from admin_ui.texts import sentence, when

OPEN_TICKET = "Open a helpdesk ticket"
FIELDS = ("subject", "body")  # the request's fields, in the order the form shows them
MAX_SUBJECT, MAX_BODY = 200, 20_000  # the API's limits
NOT_CONFIGURED = "ticketing_not_configured"  # the API's 409 when no helpdesk is set up
MAX_REPLY = 120  # characters of the latest reply the table shows (the API keeps 500)
# "$.subject: must say something, not only spaces"
_FIELD_FINDING = re.compile(r"^\$\.(?P<field>\w+): (?P<message>.*)$", re.S)


# --- pure helpers ---------------------------------------------------------------------------


def ticket_rows(tickets: Iterable[Ticket]) -> list[dict[str, Any]]:
    """The table of an order's tickets, oldest first as the API lists them; `ticket` is the
    helpdesk's own id, the one to look the ticket up by there. What the helpdesk reported
    of each (its status, when, the latest public reply) follows, when the API gives it."""
    rows = []
    for t in tickets:
        row: dict[str, Any] = {
            "subject": t["subject"],
            "system": t["system"],
            "ticket": t["external_ticket_id"],
            "opened by": t["created_by"],
            "opened": when(t["created_at"]),
        }
        if "status" in t:
            row["status"] = t["status"]
            row["status since"] = when(t.get("updated_at"))
            row["latest reply"] = latest_reply(t)
        rows.append(row)
    return rows


def latest_reply(ticket: Ticket) -> str:
    """'Dana: We have sent a replacement…', the start of the latest public comment on one
    line (the table's cell is narrow); '' while none was reported."""
    text = " ".join(ticket.get("comment_excerpt", "").split())
    if not text:
        return ""
    if len(text) > MAX_REPLY:
        text = text[: MAX_REPLY - 1].rstrip() + "…"
    author = ticket.get("comment_author", "")
    return f"{author}: {text}" if author else text


def field_findings(findings: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The API's findings on a ticket, by the form field each is about (`$.subject`,
    `$.body`), each as a sentence; the others are the request's as a whole."""
    by_field: dict[str, list[str]] = {}
    rest: list[str] = []
    for found in findings:
        match = _FIELD_FINDING.match(found)
        if match is None or match.group("field") not in FIELDS:
            rest.append(found)
            continue
        by_field.setdefault(match.group("field"), []).append(sentence(match.group("message")))
    return by_field, rest


# --- an order's Helpdesk tickets section ----------------------------------------------------


def order_tickets(client: OrdoClient, who: Principal, order: OrderDetail) -> None:
    """The Helpdesk tickets section of an order's detail: shown when the order has tickets or
    the role may open one."""
    tickets = order.get("tickets") or []  # an API from before tickets has no such field
    opens = may(who["role"], "open_tickets")
    if not (tickets or opens):
        return
    st.subheader("Helpdesk tickets")
    # A failed call costs this section only: the explanation and the actions below still show.
    with section("Helpdesk tickets"):
        if tickets:
            st.dataframe(ticket_rows(tickets), hide_index=True, width="stretch")
        else:
            st.write("No helpdesk ticket yet.")
        if opens:
            _open_form(client, order)


def _open_form(client: OrdoClient, order: OrderDetail) -> None:
    at_field: dict[str, DeltaGenerator] = {}
    with st.form(f"ticket-{order['id']}"):
        st.markdown(f"**{OPEN_TICKET}**")
        subject = st.text_input(
            "Subject",
            max_chars=MAX_SUBJECT,
            placeholder="Parcel reported damaged on arrival",
            # A customer's erasure redacts Ordo's copy of a subject, not the helpdesk's.
            help="One line. Write ids, not personal details: the helpdesk keeps its own copy.",
        )
        at_field["subject"] = st.empty()  # where the API's finding on the subject shows
        body = st.text_area(
            "What it is about",
            max_chars=MAX_BODY,
            help="Ordo adds a footer naming the order, its status and who opened the ticket.",
        )
        at_field["body"] = st.empty()
        submitted = st.form_submit_button("Open ticket")
    if not submitted:
        return
    try:
        ticket = client.open_ticket(order["id"], subject.strip(), body)
    except ApiError as error:
        if error.status not in (404, 409, 422, 502) or error.still_running:
            raise
        _refused(error, at_field)
        return
    flash(
        f"Ticket {ticket['external_ticket_id']} opened in {ticket['system']} about order "
        f"{order['channel_order_id']}: {ticket['subject']}"
    )
    st.rerun()  # the order's detail, read afresh, lists the new ticket


def _refused(error: ApiError, at_field: dict[str, DeltaGenerator]) -> None:
    """Where the API's refusal shows. The form above keeps what was typed in every case."""
    if error.status == 409 and error.code == NOT_CONFIGURED:
        # Nobody at the desk can fix this (an operator sets the helpdesk up), and the message
        # says so already ("... so no ticket can be opened: set ORDO_TICKETING ...").
        st.info(sentence(error.message))
    elif error.status == 502:  # the helpdesk refused or did not answer, in its own words
        st.error(sentence(error.message))
    elif error.status == 422:
        by_field, rest = field_findings(error.findings)
        for field, messages in by_field.items():
            at_field[field].error(" ".join(messages))
        if rest or not by_field:
            st.error(f"No ticket was opened: {error.message}")
    else:  # 404: the order is gone, or no longer this key's to see
        st.error(f"No ticket was opened: {error.message}")
