"""The period reports over the hand-built history of `report_history`, answers worked out by
hand from it (the comments show the sums), on the in-memory unit of work."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.service_layer import reports
from engine.service_layer.analytics import InvalidPeriod, Period
from engine.service_layer.reports import Ratio
from tests.unit.reports.report_history import NOW, PERIOD, build


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    store = InMemoryUnitOfWork()
    build(store)
    return store


def test_sales_count_every_order_and_the_revenue_of_those_not_rejected_per_currency(
    uow: InMemoryUnitOfWork,
) -> None:
    report = reports.sales(uow, PERIOD)
    assert report.orders == 6  # O-1 to O-6; O-0 and O-9 fall outside
    assert report.units == 3 + 1 + 0 + 4 + 2  # O-4 rejected: its 5 units do not count
    # USD: 25.50 (O-1) + 10.00 (O-2) + 11.00 (O-6); EUR: O-3 cancelled whole, O-5 22.00.
    assert report.revenue == {"EUR": Decimal("22.00"), "USD": Decimal("46.50")}
    assert report.revenue_orders == {"EUR": 1, "USD": 3}
    assert report.average_order_value == {"EUR": Decimal("22.00"), "USD": Decimal("15.50")}
    assert {status: n for status, n in report.by_status.items() if n} == {
        "delivered": 1,
        "shipped": 1,
        "cancelled": 1,
        "rejected": 1,
        "partially_shipped": 1,
        "held": 1,
    }
    assert report.by_status["received"] == 0


def test_sales_give_every_day_of_the_period_in_order_with_its_orders_units_and_revenue(
    uow: InMemoryUnitOfWork,
) -> None:
    days = {d.day.day: (d.orders, d.units, d.revenue) for d in reports.sales(uow, PERIOD).days}
    assert list(days) == [1, 2, 3, 4, 5, 6, 7]
    assert days[1] == (0, 0, {})
    assert days[2] == (2, 4, {"USD": Decimal("35.50")})
    assert days[3] == (1, 0, {"EUR": Decimal("0.00")})  # the cancelled order
    assert days[4] == (1, 0, {})  # only the rejected order
    assert days[5] == (1, 4, {"EUR": Decimal("22.00")})
    assert days[6] == (1, 2, {"USD": Decimal("11.00")})


def test_sales_per_channel_rate_cancellations_and_rejections_against_the_channels_orders(
    uow: InMemoryUnitOfWork,
) -> None:
    app, web = reports.sales(uow, PERIOD).channels
    assert (app.channel, app.orders, app.units) == ("app", 2, 0)
    assert (app.cancelled, app.rejected) == (Ratio(1, 2), Ratio(1, 2))
    assert app.cancelled.rate == 0.5
    assert (web.channel, web.orders, web.units) == ("web", 4, 10)
    assert web.revenue == {"EUR": Decimal("22.00"), "USD": Decimal("46.50")}
    assert (web.cancelled, web.rejected) == (Ratio(0, 4), Ratio(0, 4))


def test_the_top_skus_are_by_units_not_cancelled_with_the_orders_holding_them(
    uow: InMemoryUnitOfWork,
) -> None:
    top = [(s.sku, s.units, s.orders) for s in reports.sales(uow, PERIOD).top_skus]
    # SKU-B: 1 (O-1) + 3 (O-5, one cancelled) + 2 (O-6); SKU-A: 2 + 1 (O-4 rejected);
    # SKU-C: O-3's three cancelled, O-5's one.
    assert top == [("SKU-B", 6, 3), ("SKU-A", 3, 2), ("SKU-C", 1, 1)]


def test_fulfilment_per_carrier_gives_cost_on_time_rate_and_transit_of_live_shipments(
    uow: InMemoryUnitOfWork,
) -> None:
    report = reports.fulfilment(uow, PERIOD)
    assert (report.shipments, report.cancelled, report.units) == (5, 1, 7)
    fedex, ups = report.carriers
    assert (fedex.carrier, fedex.service, fedex.shipments) == ("fedex", "express", 2)
    assert (fedex.shipping_cost, fedex.mean_cost) == (Decimal("24.25"), Decimal("12.13"))
    assert (fedex.on_time, fedex.delivered, fedex.mean_transit_days) == (Ratio(1, 1), 0, None)
    assert (ups.carrier, ups.shipments) == ("ups", 3)  # F-4 cancelled aside
    assert (ups.shipping_cost, ups.mean_cost) == (Decimal("19.50"), Decimal("6.50"))
    assert ups.on_time == Ratio(2, 3)  # F-2 shipped the day after its promise
    assert ups.on_time.rate == 0.6667
    assert (ups.delivered, ups.mean_transit_days) == (2, 1.75)  # 2 days and 1.5 days


def test_fulfilment_per_location_counts_shipments_and_their_units(
    uow: InMemoryUnitOfWork,
) -> None:
    locations = reports.fulfilment(uow, PERIOD).locations
    assert [(r.location_code, r.shipments, r.units) for r in locations] == [
        ("DAL-01", 3, 4),
        ("RNO-02", 2, 3),
    ]


def test_split_rate_is_of_orders_created_in_the_period_that_have_shipments(
    uow: InMemoryUnitOfWork,
) -> None:
    split = reports.fulfilment(uow, PERIOD).split
    # O-1 and O-5 in two parcels, O-2 in one; O-3's only shipment was cancelled.
    assert (split.orders, split.split, split.shipments) == (3, Ratio(2, 3), 5)
    assert split.shipments_per_order == 1.67


def test_cycle_time_runs_from_creation_to_the_last_shipment_of_orders_fully_shipped(
    uow: InMemoryUnitOfWork,
) -> None:
    cycle = reports.fulfilment(uow, PERIOD).cycle_time
    # O-1: 2 March 09:00 to 5 March 09:00 = 72 h; O-2: 2 March 15:30 to 3 March 12:00 =
    # 20.5 h. O-5 has shipped only in part, so it is not measured yet.
    assert (cycle.orders, cycle.mean_hours, cycle.p90_hours) == (2, 46.25, 72.0)
    assert reports.operations(uow, PERIOD, NOW).cycle_time == cycle


def test_operations_count_late_shipments_defective_orders_and_wrong_items(
    uow: InMemoryUnitOfWork,
) -> None:
    report = reports.operations(uow, PERIOD, NOW)
    assert report.today == date(2026, 3, 10)
    # F-2 shipped after its promise; F-6 has not shipped and its day (the 7th) is over.
    assert report.late_shipments == Ratio(2, 5)
    defects = report.order_defects
    assert defects.orders == 5  # O-4 rejected aside
    assert defects.cancelled_shipment == 1  # O-3
    assert defects.late_shipment == 2  # O-1 (F-2), O-5 (F-6)
    assert defects.defect_return == 2  # O-1 damaged, O-2 wrong item; O-5's claim rejected
    assert defects.defective == Ratio(4, 5)  # O-1, O-2, O-3, O-5, each once
    # Shipped: O-1, O-2, O-5; a wrong item came back on O-2.
    assert (report.order_accuracy.shipped, report.order_accuracy.wrong_item) == (3, 1)
    assert report.order_accuracy.rate == 0.6667


def test_a_shipment_is_not_late_while_its_promised_day_lasts(uow: InMemoryUnitOfWork) -> None:
    on_the_day = reports.operations(uow, PERIOD, NOW - timedelta(days=3))
    assert on_the_day.late_shipments == Ratio(1, 5)  # F-6, promised the 7th, is not late yet


def test_customers_split_new_from_returning_and_count_repeat_buyers(
    uow: InMemoryUnitOfWork,
) -> None:
    report = reports.customers(uow, PERIOD)
    # C-1 (O-1, O-3), C-2 (O-2, O-5; O-0 before the period), C-4 (O-6); C-3 only rejected.
    assert (report.customers, report.new, report.returning, report.orders) == (3, 2, 1, 5)
    assert report.repeat == Ratio(2, 3)
    assert report.orders_per_customer == 1.67


def test_top_customers_are_ranked_by_revenue_within_each_currency(
    uow: InMemoryUnitOfWork,
) -> None:
    top = reports.customers(uow, PERIOD).top_customers
    ranked = {
        c: [(t.customer_id, t.orders, str(t.revenue)) for t in rows] for c, rows in top.items()
    }
    assert ranked == {
        # C-1's EUR order was cancelled whole: no revenue, so not listed.
        "EUR": [("C-2", 1, "22.00")],
        "USD": [("C-1", 1, "25.50"), ("C-4", 1, "11.00"), ("C-2", 1, "10.00")],
    }


def test_purchase_patterns_count_orders_by_weekday_and_hour_in_utc(
    uow: InMemoryUnitOfWork,
) -> None:
    report = reports.customers(uow, PERIOD)
    assert {day: n for day, n in report.by_weekday.items() if n} == {
        "monday": 2,
        "tuesday": 1,
        "thursday": 1,
        "friday": 1,
    }
    assert next(iter(report.by_weekday)) == "monday"
    assert {hour: n for hour, n in enumerate(report.by_hour) if n} == {
        8: 1,
        9: 1,
        10: 1,
        15: 1,
        23: 1,
    }


def test_inventory_gives_stock_now_per_location_beside_what_shipped_in_the_period(
    uow: InMemoryUnitOfWork,
) -> None:
    report = reports.inventory(uow, PERIOD, NOW)
    rows = [(r.location_code, r.skus, r.on_hand, r.reserved, r.available) for r in report.locations]
    assert rows == [
        ("DAL-01", 3, 13, 5, 7),  # SKU-C's available is 0, not 3 - 3 - 2
        ("RNO-02", 1, 6, 1, 5),
    ]
    assert (report.on_hand, report.reserved, report.available) == (19, 6, 12)
    # Shipped 3 to 6 March: F-1 2 and F-3 1 of SKU-A, F-2 1 and F-5 2 of SKU-B (F-0 in Feb).
    assert report.units_shipped == 6
    assert report.turnover == round(6 / 19, 4)


def test_days_of_cover_divide_what_is_available_by_the_daily_units_shipped(
    uow: InMemoryUnitOfWork,
) -> None:
    skus = reports.inventory(uow, PERIOD, NOW).skus
    assert [(s.sku, s.units_shipped, s.on_hand, s.available) for s in skus] == [
        ("SKU-A", 3, 10, 7),
        ("SKU-B", 3, 6, 5),
    ]
    # 3 units in 7 days: 7 / (3/7) = 16.3 days of SKU-A, 5 / (3/7) = 11.7 of SKU-B.
    assert [(s.days_of_cover, s.turnover) for s in skus] == [(16.3, 0.3), (11.7, 0.5)]


def test_replenishment_lists_the_reorder_suggestions_at_or_below_their_point(
    uow: InMemoryUnitOfWork,
) -> None:
    needs = reports.inventory(uow, PERIOD, NOW).replenishment
    # SKU-B at DAL-01 and SKU-C have nothing to sell; SKU-A and SKU-B at RNO-02 have plenty.
    assert [(r.sku, r.location_code) for r in needs] == [("SKU-B", "DAL-01"), ("SKU-C", "DAL-01")]
    assert all(r.suggested_quantity > 0 for r in needs)


def test_a_period_defaults_to_the_30_days_ending_today() -> None:
    today = date(2026, 3, 10)
    assert Period.of(None, None, today) == Period(date(2026, 2, 9), today)
    assert Period.of(None, date(2026, 1, 30), today) == Period(date(2026, 1, 1), date(2026, 1, 30))
    assert Period.of(date(2026, 3, 1), None, today).days == 10


def test_a_period_that_runs_backwards_or_spans_more_than_366_days_is_refused_at_both_ends() -> None:
    with pytest.raises(InvalidPeriod) as backwards:
        Period.of(date(2026, 3, 2), date(2026, 3, 1), date(2026, 3, 10))
    assert set(backwards.value.parameters) == {"from", "to"}
    assert "before 'from' (2026-03-02)" in backwards.value.parameters["to"]
    assert Period.of(date(2024, 1, 1), date(2024, 12, 31), date(2026, 1, 1)).days == 366
    with pytest.raises(InvalidPeriod) as long:
        Period.of(date(2024, 1, 1), date(2025, 1, 1), date(2026, 1, 1))
    assert "367 days" in long.value.message
    assert set(long.value.parameters) == {"from", "to"}


def test_an_empty_period_reports_zeros_and_no_rates_rather_than_failing(
    uow: InMemoryUnitOfWork,
) -> None:
    empty = Period(date(2025, 1, 1), date(2025, 1, 2))
    assert reports.sales(uow, empty).average_order_value == {}
    assert reports.fulfilment(uow, empty).cycle_time == reports.CycleTime(0, None, None)
    operations = reports.operations(uow, empty, NOW)
    assert (operations.late_shipments.rate, operations.order_accuracy.rate) == (None, None)
    assert reports.customers(uow, empty).orders_per_customer is None
    assert reports.inventory(uow, empty, NOW).skus == []
