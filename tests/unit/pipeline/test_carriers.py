"""Rate cards: zones, weight breaks, surcharges, promise dates from cut-offs and transit."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from engine.pipeline.carriers import (
    Parcel,
    QuoteMemo,
    RateCardError,
    add_business_days,
    load_catalog,
    quote,
    rate_card_from_dict,
    ship_date,
)

FRIDAY_MORNING = datetime(2026, 11, 20, 9, 0)
FRIDAY_EVENING = datetime(2026, 11, 20, 19, 0)


def test_the_shipped_rate_cards_load_with_four_carriers() -> None:
    catalog = load_catalog()
    assert [card.code for card in catalog.cards] == ["HVF", "PCL", "RPS", "SWX"]


def test_a_parcel_before_the_cut_off_ships_today_and_after_it_next_business_day() -> None:
    assert ship_date(FRIDAY_MORNING, time(17, 0)) == date(2026, 11, 20)
    assert ship_date(FRIDAY_EVENING, time(17, 0)) == date(2026, 11, 23)  # Monday
    assert add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 23)


def test_quotes_shared_through_a_memo_are_the_quotes_each_service_gives_alone() -> None:
    catalog = load_catalog()
    memo = QuoteMemo(limit=50)  # small, so the memo is also emptied along the way
    parcels = [
        Parcel(weight, distance, postal, hazmat, longest)
        for weight in (0.3, 1.2, 4.9, 25.0, 45.0, 400.0)
        for distance in (50.0, 700.0, 3500.0)
        for postal in ("10001", "99501")
        for hazmat, longest in ((False, 30.0), (True, 30.0), (False, 150.0))
    ]
    moments = [
        FRIDAY_MORNING,
        FRIDAY_EVENING,
        datetime(2026, 11, 21, 12),
        datetime(2026, 11, 25, 14, 30),
    ]
    for parcel in parcels:
        for now in moments:
            for cutoff in (None, time(12, 0), time(16, 0)):
                alone = [
                    q
                    for card in catalog.cards
                    for service in card.services
                    if (q := quote(card, service, parcel, now, cutoff)) is not None
                ]
                assert catalog.quotes(parcel, now, cutoff) == alone
                assert catalog.quotes(parcel, now, cutoff, memo) == alone
                assert catalog.quotes(parcel, now, cutoff, memo) == alone


def test_heavier_and_farther_parcels_cost_more() -> None:
    catalog = load_catalog()
    near_light = catalog.estimate(Parcel(1.0, 100, "10001"))
    near_heavy = catalog.estimate(Parcel(25.0, 100, "10001"))
    far_light = catalog.estimate(Parcel(1.0, 3000, "10001"))
    assert near_light < near_heavy
    assert near_light < far_light


def test_hazmat_parcels_only_get_quotes_from_carriers_that_take_hazmat_with_the_fee() -> None:
    catalog = load_catalog()
    quotes = catalog.quotes(Parcel(2.0, 500, "10001", hazmat=True), FRIDAY_MORNING)
    # Swift and Regional Post refuse hazmat; Heavyhaul takes it but only from 20 kg.
    assert {q.carrier for q in quotes} == {"PCL"}
    assert all("hazmat" in q.surcharges for q in quotes)


def test_only_freight_takes_a_500_kg_consignment() -> None:
    quotes = load_catalog().quotes(Parcel(500.0, 800, "60601"), FRIDAY_MORNING)
    assert [(q.carrier, q.service) for q in quotes] == [("HVF", "ltl")]
    assert quotes[0].rate > 95.0


def test_remote_postal_prefixes_use_the_highest_zone_whatever_the_distance() -> None:
    card = load_catalog().cards[1]  # Parcelline
    assert card.zone(50, "99501") == 8
    assert card.zone(50, "10001") == 2


def test_oversize_parcels_pay_the_oversize_surcharge() -> None:
    catalog = load_catalog()
    quotes = catalog.quotes(Parcel(5.0, 300, "10001", longest_side_cm=150), FRIDAY_MORNING)
    parcel_quotes = [q for q in quotes if q.carrier == "PCL"]
    assert parcel_quotes and all(q.surcharges.get("oversize") == 45.0 for q in parcel_quotes)


def test_a_rate_card_with_mismatched_weight_breaks_is_refused_with_the_carrier_named() -> None:
    bad = {
        "code": "BAD",
        "zones": {"by_distance_km": [[100, 1]]},
        "services": [
            {"code": "g", "weight_breaks_kg": [1, 2], "rates": {1: [3.0]}, "transit_days": {1: 1}}
        ],
    }
    with pytest.raises(RateCardError, match="carrier BAD service g: zone 1 has 1 rates"):
        rate_card_from_dict(bad)


def test_a_rate_card_that_is_not_yaml_is_refused_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("code: X\nzones: [\n")
    with pytest.raises(RateCardError, match=r"broken\.yaml:3:1: not valid YAML \(expected"):
        load_catalog(tmp_path)
