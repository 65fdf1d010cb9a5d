"""Operations (admins): what the workers gave up on, and what waits in a trading partner's
EDI mailbox.

Dead letters are events a worker failed on too many times (a WMS down, a template error),
parked with their last error by `GET /v1/events/dead-letters`. Once the cause is fixed, an
admin redrives one (`POST .../{id}/redrive`): the event is published again under its own id,
so the handlers that had already succeeded skip it.

The mailbox is `GET /v1/edi/outbound?channel=`: the 855s and 856s Ordo wrote for a partner,
whether its gateway collected them, and what the partner's 997 said of each. The API lists
no EDI partners, so the admin names the channel. A document the partner rejected needs a
person to settle it with them, so rejections are counted at the top and marked in red.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from admin_ui.client import OrdoClient
from admin_ui.models import DeadLetter, OutboundDocument, Principal
from admin_ui.session import attempt, flash, section
from admin_ui.texts import when

# The API's page size limit for both lists.
PAGE = 500
# A mailbox is read a page at a time up to this many documents (oldest first, as the API
# lists them); a page is one request, so the cap bounds what one view of the page costs.
MAILBOX_CAP = 2_000
NO_DEAD_LETTERS = "No dead letters: every event was handled."
REJECTED = "rejected"
# The console's words for the mailbox's `status` filter: "pending" means waiting for the
# partner's gateway, which is what a person watching the mailbox asks about.
SHOW = {"waiting": "pending", "acknowledged": "acknowledged", "all": "all"}
_REJECTED_ROW = "background-color: rgba(255, 43, 43, 0.15)"
_CHOSEN = "dead_letter"  # the picker's key: the letter chosen when the page was last shown
_SHOWN = "dead_letters_shown"  # the letters the last run listed, by id, in words


def first_line(text: str) -> str:
    """The first line that says something: a traceback's headline, not its blank start."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def letter_rows(letters: list[DeadLetter]) -> list[dict[str, Any]]:
    """The dead letters as table rows, in the API's order: newest first."""
    return [
        {"event": d["name"], "event id": d["event_id"], "failed": when(d["failed_at"]),
         "attempts": d["attempts"], "consumer": d["consumer"], "error": first_line(d["error"])}
        for d in letters
    ]  # fmt: skip


def ack_status(document: OutboundDocument) -> str:
    """What the partner's 997 said of the document, in words; "no 997 yet" until one did."""
    said = document.get("functional_ack")
    return said.replace("_", " ") if said else "no 997 yet"


def document_rows(documents: list[OutboundDocument]) -> list[dict[str, Any]]:
    """The mailbox as table rows, newest first (the API lists it oldest first, for gateways)."""
    return [
        {"kind": d["kind"], "reference": d["reference"], "order": d["order_id"],
         "control number": d["control_number"], "created": when(d["created_at"]),
         "collected by the gateway": when(d["acknowledged_at"]) or "waiting",
         "collected with": d["acknowledged_by"], "997": ack_status(d),
         "997 codes": ", ".join(d.get("functional_ack_codes") or []),
         "997 received": when(d.get("functional_ack_at"))}
        for d in reversed(documents)
    ]  # fmt: skip


def rejected(documents: list[OutboundDocument]) -> list[OutboundDocument]:
    return [d for d in documents if d.get("functional_ack") == REJECTED]


def render(client: OrdoClient, who: Principal) -> None:
    st.title("Operations")
    # Two routes, two sections: a bus that cannot be read still leaves the mailbox, and back.
    st.subheader("Dead letters")
    with section("Dead letters"):
        _dead_letters(client)
    st.subheader("EDI mailbox")
    with section("EDI mailbox"):
        _mailbox(client)


def _dead_letters(client: OrdoClient) -> None:
    letters = client.dead_letters(PAGE)
    by_id = {d["id"]: d for d in letters}
    _gone_since_shown(by_id)
    st.session_state[_SHOWN] = {i: f"{d['name']} (event {d['event_id']})" for i, d in by_id.items()}
    if not letters:
        st.success(NO_DEAD_LETTERS)
        return
    st.caption(
        f"{len(letters)} event{'s' if len(letters) != 1 else ''} a worker gave up on, newest "
        "first. Fix the cause, then redrive: handlers that had already succeeded skip it."
        + (f" Only the newest {PAGE} are listed." if len(letters) == PAGE else "")
    )
    st.dataframe(letter_rows(letters), hide_index=True, width="stretch")
    chosen = by_id[
        st.selectbox(
            "Dead letter",
            list(by_id),
            format_func=lambda i: (
                f"{by_id[i]['name']} · event {by_id[i]['event_id']} · "
                f"failed {when(by_id[i]['failed_at'])}"
            ),
            key=_CHOSEN,
        )
    ]
    _letter(client, chosen)


def _gone_since_shown(by_id: dict[str, DeadLetter]) -> None:
    """Say so when the letter chosen on the page as last shown is no longer parked: someone
    redrove it since, and the click meant for it (Redrive) has no form left to land in."""
    chosen = st.session_state.get(_CHOSEN)
    if chosen is None or chosen in by_id:
        return
    del st.session_state[_CHOSEN]  # the picker starts afresh on the letters still parked
    what = st.session_state.get(_SHOWN, {}).get(chosen)
    if what:  # not after this page's own redrive, which said what it did
        st.warning(
            f"Dead letter {chosen}, {what}, is no longer parked: it was redriven since the "
            "list was shown, by someone else or in another tab."
        )


def _letter(client: OrdoClient, letter: DeadLetter) -> None:
    st.markdown(
        f"**{letter['name']}**, event `{letter['event_id']}` (partition key "
        f"`{letter['partition_key'] or '-'}`): delivered {letter['attempts']} times to "
        f"`{letter['consumer'] or '?'}`, parked {when(letter['failed_at'])}."
    )
    st.json(letter["payload"], expanded=True)
    st.code(letter["error"], language=None)
    # Keyed by the letter, so choosing another starts its confirmation unticked.
    with st.form(f"redrive-{letter['id']}"):
        sure = st.checkbox("Yes, send this event round again")
        if not st.form_submit_button("Redrive", type="primary"):
            return
    if not sure:
        st.warning("Tick the box to confirm first.")
        return
    # 404: no longer parked, because someone redrove it since this list was read.
    after = attempt(
        lambda: client.redrive_dead_letter(letter["id"]), "The dead letter was not redriven"
    )
    if after is not None:
        st.session_state[_SHOWN].pop(letter["id"], None)
        flash(f"Redriven: {after['name']} (event {after['event_id']}) is published again.")
        st.rerun()


def _mailbox(client: OrdoClient) -> None:
    channel = st.text_input(
        "Trading partner's channel",
        placeholder="b2b-acme",
        help="The channel the partner's purchase orders come in on (its channel key's).",
        key="mailbox_channel",
    ).strip()
    show = st.segmented_control("Show", list(SHOW), default="all", key="mailbox_show")
    if not channel:
        st.caption("Name a partner's channel to see the 855s and 856s Ordo wrote for it.")
        return
    documents = _documents(client, channel, SHOW[show or "all"])
    if not documents:
        st.info(f"Nothing {'waiting ' if show == 'waiting' else ''}in {channel}'s mailbox.")
        return
    bad = rejected(documents)
    waiting = sum(1 for d in documents if not d["acknowledged_at"])
    a, b, c = st.columns(3)
    a.metric("Documents", f"{len(documents):,}")
    b.metric("Waiting for the gateway", f"{waiting:,}")
    c.metric("Rejected by the partner", f"{len(bad):,}")
    if bad:
        st.error(
            f"{len(bad)} document{'s' if len(bad) != 1 else ''} rejected by the partner's 997 "
            f"({', '.join(d['kind'] + ' ' + d['reference'] for d in bad)}): its systems do not "
            "hold what they said; settle them with the partner."
        )
    table = pd.DataFrame(document_rows(documents))
    st.dataframe(table.style.apply(_highlight, axis=1), hide_index=True, width="stretch")
    if len(documents) >= MAILBOX_CAP:
        st.caption(f"The oldest {MAILBOX_CAP:,} documents only: narrow what is shown.")


def _documents(client: OrdoClient, channel: str, status: str) -> list[OutboundDocument]:
    found: list[OutboundDocument] = []
    while len(found) < MAILBOX_CAP:
        page = client.edi_outbound(channel, status, limit=PAGE, offset=len(found))
        found.extend(page)
        if len(page) < PAGE:
            break
    return found[:MAILBOX_CAP]


def _highlight(row: pd.Series) -> list[str]:
    return [_REJECTED_ROW if row["997"] == REJECTED else ""] * len(row)
