"""The returns forms' arithmetic and words, without Streamlit or an API: what may still come
back, the request body (a reason for each line, `restock` only from support), the API's
findings put back at the lines they are about, a typed refund amount, and a return in words."""

from __future__ import annotations

from typing import Any

import pytest

from admin_ui.models import OrderDetail, Return
from admin_ui.views.return_common import describe_lines, return_rows
from admin_ui.views.return_request import (
    OTHER,
    LineChoice,
    line_findings,
    request_lines,
    returnable_units,
)
from admin_ui.views.return_section import refund_amount, worth


def an_order(shipped: dict[str, int]) -> OrderDetail:
    lines = [
        {"id": line_id, "sku": f"SKU-{line_id}", "quantity": 3, "price": "19.90",
         "status": "shipped", "quantity_shipped": units, "quantity_cancelled": 0}
        for line_id, units in shipped.items()
    ]  # fmt: skip
    order: dict[str, Any] = {"id": "ord_1", "currency": "USD", "lines": lines}
    return order  # type: ignore[return-value]


def a_return(status: str, units: dict[str, int], **extra: Any) -> Return:
    found: dict[str, Any] = {
        "id": f"ret_{status}", "order_id": "ord_1", "status": status, "rma": "",
        "location_code": "", "refund_amount": "0.00", "created_at": "2026-11-22T08:00:00Z",
        "carrier": "", "service": "", "tracking_number": "", "label_format": "",
        "lines": [
            {"order_line_id": line_id, "sku": f"SKU-{line_id}", "quantity": quantity,
             "reason": "damaged", "restock": True}
            for line_id, quantity in units.items()
        ],
    }  # fmt: skip
    found.update(extra)
    return found  # type: ignore[return-value]


def test_what_may_come_back_is_what_shipped_less_other_returns_but_not_rejected_ones() -> None:
    order = an_order({"1": 3, "2": 1, "3": 0})
    returns = [
        a_return("requested", {"1": 1}),
        a_return("refunded", {"1": 1, "2": 1}),
        a_return("rejected", {"1": 1}),
    ]
    assert returnable_units(order, returns) == {"1": 1, "2": 0}, "line 3 never shipped"


def test_a_request_sends_the_lines_given_units_with_their_reasons() -> None:
    choices = [
        LineChoice("1", 2, "damaged", other="ignored unless 'other' is chosen"),
        LineChoice("2", 0, "defective"),
        LineChoice("3", 1, OTHER, other="  colour is off  ", restock=False),
    ]
    lines, problems = request_lines(choices, with_restock=False)
    assert problems == {}
    assert lines == [
        {"order_line_id": "1", "quantity": 2, "reason": "damaged"},
        {"order_line_id": "3", "quantity": 1, "reason": "colour is off"},
    ], "a customer's request never carries restock: the API refuses it from them"


def test_support_s_request_says_whether_each_line_goes_back_on_sale() -> None:
    lines, _ = request_lines([LineChoice("1", 1, "worn", restock=False)], with_restock=True)
    assert lines == [{"order_line_id": "1", "quantity": 1, "reason": "worn", "restock": False}]


@pytest.mark.parametrize(
    ("other", "problem"),
    [
        ("   ", "write the reason, or choose one from the list"),
        ("x" * 201, "the reason is 201 characters long; keep it to 200"),
    ],
)
def test_an_other_reason_left_blank_or_too_long_is_a_problem_at_its_line(
    other: str, problem: str
) -> None:
    lines, problems = request_lines([LineChoice("7", 1, OTHER, other=other)], with_restock=True)
    assert (lines, problems) == ([], {"7": problem})


def test_the_api_s_findings_go_back_to_the_lines_sent_at_their_index() -> None:
    findings = [
        "$.lines[1].quantity: line 3 (SKU-3): 2 to return but only 1 can be (2 shipped, 1 "
        "already on other returns)",
        "$.lines[0].reason: String should have at most 200 characters",
        "$.lines[5].quantity: an index never sent",
        "$.other: not about a line",
    ]
    by_line, rest = line_findings(findings, ["1", "3"])
    assert by_line == {
        "3": [
            "Line 3 (SKU-3): 2 to return but only 1 can be (2 shipped, 1 already on other returns)"
        ],
        "1": ["String should have at most 200 characters"],
    }
    assert rest == ["$.lines[5].quantity: an index never sent", "$.other: not about a line"]


@pytest.mark.parametrize(
    ("typed", "amount", "problem"),
    [
        ("", None, ""),
        ("  ", None, ""),
        ("15", "15.00", ""),
        ("$ 12.5", "12.50", ""),
        ("0", "0.00", ""),
        ("12,50", None, "'12,50' is not an amount: write it like 15.00"),
        (
            "1.005",
            None,
            "'1.005' has more than two decimals: write it in cents at most, like 15.05",
        ),
        ("-3", None, "'-3' is less than nothing: write the amount to refund, like 15.00"),
        ("nan", None, "'nan' is not an amount: write it like 15.00"),
        ("Infinity", None, "'Infinity' is not an amount: write it like 15.00"),
        ("1e30", None, "'1e30' is more than 1,000,000, the most one refund may be"),
    ],
)
def test_a_typed_refund_amount_is_sent_as_the_api_takes_it_or_refused_in_words(
    typed: str, amount: str | None, problem: str
) -> None:
    assert refund_amount(typed) == (amount, problem)


def test_a_return_is_worth_its_lines_at_the_prices_sold() -> None:
    assert str(worth(an_order({"1": 3, "2": 3}), a_return("received", {"1": 2, "2": 1}))) == (
        "59.70"
    )


def test_a_return_reads_as_its_lines_with_reasons_and_what_stays_off_sale() -> None:
    found = a_return("received", {"1": 2, "2": 1})
    found["lines"][1]["restock"] = False
    found["lines"][1]["reason"] = ""
    assert describe_lines(found) == (
        "2 × SKU-1 (line 1: damaged); 1 × SKU-2 (line 2, not back on sale)"
    )


def test_the_table_shows_the_refund_only_once_refunded_and_the_label_s_tracking() -> None:
    refunded = a_return(
        "refunded", {"1": 1}, refund_amount="19.90", rma="RMA-1", location_code="DAL-01",
        carrier="RPS", tracking_number="1Z999",
    )  # fmt: skip
    authorised = a_return("authorised", {"1": 1}, refund_amount="0.00")
    rows = return_rows([refunded, authorised], "USD")
    assert [(r["status"], r["refund"], r["back to"], r["tracking"]) for r in rows] == [
        ("refunded", "19.90 USD", "DAL-01", "RPS 1Z999"),
        ("authorised", "", "", ""),
    ]
    assert [r["order"] for r in rows] == ["ord_1", "ord_1"]


def test_under_its_order_the_table_of_returns_does_not_repeat_the_order() -> None:
    [row] = return_rows([a_return("requested", {"1": 1})], "USD", with_order=False)
    assert "order" not in row and row["return"] == "ret_requested"
