"""Requesting a return in the console: the form on an order's Returns section (units of each
shipped line to send back, each with its reason; support also says whether they go back on
sale) and its arithmetic: what may still come back, the request's body, and the API's
findings put back at the lines they are about (the Shipments page's short-pick form reads
its findings the same way).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from admin_ui.client import ApiError, OrdoClient
from admin_ui.models import OrderDetail, Return
from admin_ui.roles import may
from admin_ui.views.return_common import done

# Offered first, since the reports count defect words in reasons; "other" takes free text.
REASONS = ["damaged", "defective", "wrong item", "no longer needed", "does not fit"]
OTHER = "other"
MAX_REASON = 200  # the API's limit on a line's reason
# "$.lines[1].quantity: line 1 (SHOE-42): 2 to return but only 1 can be (...)"
_LINE_FINDING = re.compile(r"^\$\.lines\[(?P<index>\d+)\](?:\.\w+)?: (?P<message>.*)$", re.S)


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


def show_refusal_at_lines(
    error: ApiError, sent: Sequence[str], at_line: Mapping[str, DeltaGenerator], refused: str
) -> None:
    """Show the API's refusal of a request of lines (404, 409, 422; anything else is raised
    again): each finding at the line it is about (`sent` holds the lines' ids in the order
    sent), the rest, or the message when no finding names a line, as "`refused`: why"."""
    if error.status not in (404, 409, 422) or error.still_running:
        raise error
    by_line, rest = line_findings(error.findings, sent)
    for line_id, messages in by_line.items():
        at_line[line_id].error(" ".join(messages))
    if rest or not by_line:
        st.error(f"{refused}: {error.message}")


def request_form(
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
        sent = [x["order_line_id"] for x in body]
        show_refusal_at_lines(error, sent, at_line, "The return was not requested")
        return
    units = sum(x["quantity"] for x in body)
    done(
        f"Return {made['id']} requested for {units} unit{'' if units == 1 else 's'} of order "
        f"{order['channel_order_id']}; it is now {made['status']}."
    )
