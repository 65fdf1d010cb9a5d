"""The stock ledger (receipts on their dates, reservations) and the streaming KPI arithmetic."""

from __future__ import annotations

from datetime import date

from engine.domain.inventory import InboundSupply, Stock
from engine.simulation.kpis import DistanceHistogram, Kpis
from engine.simulation.ledger import StockLedger


def receipt(n: int, sku: str, location: str, quantity: int, day: int) -> InboundSupply:
    return InboundSupply(f"R{n}", sku, location, quantity, date(2025, 7, day))


def test_receipts_land_on_their_date_and_only_pending_ones_are_inbound() -> None:
    ledger = StockLedger(
        [Stock("S1", "A", on_hand=2)],
        [receipt(2, "S1", "B", 4, 5), receipt(1, "S1", "A", 3, 3), receipt(3, "S2", "A", 1, 9)],
    )
    assert ledger.receive_until(date(2025, 7, 2)) == 0
    assert [r.id for r in ledger.pending(["S1"])] == ["R1", "R2"]
    assert ledger.receive_until(date(2025, 7, 5)) == 2
    assert ledger.available("S1", "A", "web") == 5
    assert ledger.available("S1", "B", "web") == 4  # a receipt can open a new stock row
    assert sorted(ledger.locations("S1")) == ["A", "B"]
    assert ledger.pending(["S1"]) == []
    assert [r.id for r in ledger.pending(["S1", "S2"])] == ["R3"]


def test_days_the_clock_skipped_land_together_in_date_then_id_order_and_only_once() -> None:
    ledger = StockLedger(
        [Stock("S1", "A", on_hand=0)],
        [receipt(3, "S1", "A", 1, 4), receipt(2, "S1", "A", 10, 3), receipt(1, "S1", "B", 5, 4),
         receipt(4, "S1", "A", 7, 9)],
    )  # fmt: skip
    assert [r.id for r in ledger.pending(["S1"])] == ["R2", "R1", "R3", "R4"]
    assert ledger.receive_until(date(2025, 7, 8)) == 3
    assert ledger.receive_until(date(2025, 7, 8)) == 0
    assert (ledger.available("S1", "A", None), ledger.available("S1", "B", None)) == (11, 5)
    assert list(ledger.locations("S1")) == ["A", "B"]
    assert [r.id for r in ledger.pending(["S1"])] == ["R4"]
    assert ledger.received_units == 16


def test_reserving_uses_the_domain_arithmetic_and_counts_what_could_not_be_reserved() -> None:
    ledger = StockLedger(
        [Stock("S1", "A", on_hand=5, safety_stock=1, channel_allocations={"pos": 2})]
    )
    assert ledger.available("S1", "A", "web") == 2
    assert ledger.available("S1", "A", "pos") == 4
    assert ledger.reserve("S1", "A", 2, "web")
    assert not ledger.reserve("S1", "A", 1, "web")
    assert not ledger.reserve("S9", "A", 1, "web")
    assert ledger.failed_reservations == 2
    assert ledger.available("S1", "A", "pos") == 2


def test_p95_is_the_nearest_rank_value_to_a_tenth_of_a_kilometre() -> None:
    histogram = DistanceHistogram()
    for km in range(1, 101):  # 1 .. 100 km
        histogram.add(float(km) + 0.04)
    assert histogram.percentile(95) == 95.1
    assert histogram.percentile(100) == 100.1
    assert round(histogram.mean or 0, 2) == 50.54
    assert histogram.coarse(50.0) == {"0": 49, "50": 50, "100": 1}


def outcome(kind: str, shipments: list[tuple[str, float, float]], **extra: object) -> dict:
    return {
        "outcome": kind, "code": extra.get("code", ""), "lines": 2, "lines_backordered": 0,
        "units": 4, "allocated": extra.get("allocated", 4), "backordered": 0,
        "shipments": [{"location": loc, "carrier": "C", "service": "g", "rate": rate,
                       "distance_km": km, "units": 2} for loc, rate, km in shipments],
        "promised": extra.get("promised"), "requested": extra.get("requested"),
    }  # fmt: skip


def test_kpis_count_outcomes_splits_promises_and_capacity_breaches() -> None:
    kpis = Kpis()
    kpis.add(
        outcome("allocated", [("A", 5.0, 10.0)], promised="2025-07-03", requested="2025-07-04")
    )
    kpis.add(outcome("allocated", [("A", 5.0, 10.0), ("B", 7.5, 30.0)], promised="2025-07-06",
                     requested="2025-07-04"))  # fmt: skip
    kpis.add(outcome("partially_allocated", [("B", 2.5, 20.0)], allocated=2))
    kpis.add(outcome("rejected", [], code="EMBARGO"))
    kpis.close_day({"A": 2, "B": 5}, {"A": 1, "B": 9})
    figures = kpis.to_dict()
    assert (figures["accepted"], figures["rejected"], figures["reasons"]) == (3, 1, {"EMBARGO": 1})
    assert figures["fill_rate"] == round(10 / 12, 4)
    assert figures["split_rate"] == round(1 / 3, 4)
    assert figures["shipments_per_order"] == round(4 / 3, 4)
    assert figures["shipping_cost"] == 20.0
    assert figures["distance_km_mean"] == 17.5
    assert (figures["promises_requested"], figures["promises_met"]) == (2, 1)
    assert (figures["capacity_breaches"], figures["shipments_over_capacity"]) == (1, 1)
