"""The Reports page's words and numbers: a rate shown with the counts it divides, money per
currency never added across, the daily series its charts draw; who is offered the page; and
which orders the sampled Backordered card of the Alerts page counts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from admin_ui.roles import may, pages_for
from admin_ui.views.alerts import waiting_for_stock
from admin_ui.views.reports import amounts, daily_series, default_period, part, ratio


def test_a_rate_is_shown_with_the_counts_it_divides() -> None:
    assert ratio({"count": 3, "of": 40, "rate": 0.075}) == "7.5% — 3 of 40"
    assert ratio({"count": 1200, "of": 4000, "rate": 0.3}) == "30.0% — 1,200 of 4,000"


def test_a_rate_over_nothing_is_not_a_number_but_keeps_its_counts() -> None:
    assert ratio({"count": 0, "of": 0, "rate": None}) == "n/a — 0 of 0"
    assert part(0, 0) == {"count": 0, "of": 0, "rate": None}
    assert part(1, 3) == {"count": 1, "of": 3, "rate": 0.3333}


def test_money_is_shown_per_currency_and_never_added_across() -> None:
    assert amounts({"USD": "1250.00", "EUR": "310.40"}) == "310.40 EUR · 1,250.00 USD"
    assert amounts({}) == "none"


def test_the_daily_series_has_a_revenue_column_per_currency_with_zero_on_days_without() -> None:
    days: list[Any] = [
        {"date": "2026-11-01", "orders": 2, "units": 3, "revenue": {"USD": "20.00"}},
        {"date": "2026-11-02", "orders": 1, "units": 1, "revenue": {"EUR": "9.50"}},
    ]
    assert daily_series(days) == {
        "date": [date(2026, 11, 1), date(2026, 11, 2)],
        "orders": [2, 1],
        "EUR": [0.0, 9.5],
        "USD": [20.0, 0.0],
    }


def test_the_default_period_is_the_thirty_days_ending_today_as_the_api_s() -> None:
    assert default_period(date(2026, 11, 30)) == (date(2026, 11, 1), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("role", "offered"),
    [("admin", True), ("analyst", True), ("support", False), ("warehouse", False),
     ("channel", False), ("customer", False)],
)  # fmt: skip
def test_only_the_roles_that_may_read_reports_are_offered_the_reports_page(
    role: str, offered: bool
) -> None:
    assert ("reports" in [page.key for page in pages_for(role)]) is offered
    assert may(role, "read_reports") is offered


def test_support_s_backordered_card_counts_orders_on_their_way_with_a_line_waiting() -> None:
    orders: list[Any] = [
        {"id": "whole", "status": "backordered"},
        {"id": "released", "status": "released"},
        {"id": "partly shipped", "status": "partially_shipped"},
        {"id": "pre-order", "status": "preordered"},  # waits for a launch, not for stock
    ]
    assert [o["id"] for o in waiting_for_stock(orders)] == ["whole", "released", "partly shipped"]
