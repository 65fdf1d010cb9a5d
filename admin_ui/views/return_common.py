"""What every part of the console's returns shares: a return as a row of a table and its lines
in words (the Returns page's queue, an order's Returns section, a warehouse's receiving desk),
and a step on a return run with the API's refusal shown where the step was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from admin_ui.models import Return
from admin_ui.session import flash
from admin_ui.texts import money, when


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


def done(message: str) -> None:
    """Say what happened after the rerun, which reads the order and its returns afresh."""
    flash(message)
    st.rerun()
