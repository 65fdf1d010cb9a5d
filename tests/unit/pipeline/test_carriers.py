"""Rate cards: zones, weight breaks, surcharges, promise dates from cut-offs and transit."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.pipeline.carriers import (
    Parcel,
    QuoteMemo,
    RateCardError,
    add_business_days,
    default_carriers_dir,
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
    with pytest.raises(
        RateCardError, match=r"carrier BAD: services\.g\.rates\.1: expected 2 rates \(one per"
    ):
        rate_card_from_dict(bad)


def test_a_rate_card_that_is_not_yaml_is_refused_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("code: X\nzones: [\n")
    with pytest.raises(RateCardError, match=r"broken\.yaml:3:1: not valid YAML \(expected"):
        load_catalog(tmp_path)


# --- a rate card is checked field by field when it is loaded ---------------------------------

Card = dict[str, Any]


def parcelline() -> Card:
    """The shipped Parcelline card as its YAML reads, for each test to spoil one field of."""
    card: Card = yaml.safe_load((default_carriers_dir() / "parcelline.yaml").read_text())
    return copy.deepcopy(card)


def refusal(change: Callable[[Card], object]) -> str:
    card = parcelline()
    change(card)
    with pytest.raises(RateCardError) as refused:
        rate_card_from_dict(card, "parcelline.yaml")
    return refused.value.message


def service(card: Card, code: str) -> Card:
    found: Card = next(s for s in card["services"] if s["code"] == code)
    return found


def test_a_negative_rate_is_refused_naming_the_file_the_carrier_and_the_field() -> None:
    def negative(card: Card) -> None:
        service(card, "overnight")["rates"][3][0] = -5

    assert refusal(negative) == (
        "parcelline.yaml: carrier PCL: services.overnight.rates.3[0]: "
        "expected an amount of USD at least 0, got -5"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda card: card["surcharges"].update(fuel_percent=-200),
            "surcharges.fuel_percent: expected a percentage at least 0, got -200",
        ),
        (
            lambda card: card["surcharges"].update(fuel_percent="9.5%"),
            "surcharges.fuel_percent: expected a percentage at least 0, got '9.5%'",
        ),
        (
            lambda card: service(card, "ground")["rates"].update({2: [math.nan] * 6}),
            "services.ground.rates.2[0]: expected an amount of USD at least 0, got nan",
        ),
        (
            lambda card: service(card, "ground")["rates"].update({2: ["8.20"] * 6}),
            "services.ground.rates.2[0]: expected an amount of USD at least 0, got '8.20'",
        ),
        (
            lambda card: service(card, "ground").update(max_weight_kg=-1),
            "services.ground.max_weight_kg: expected a weight in kg at least 0, got -1",
        ),
        (
            lambda card: service(card, "ground")["transit_days"].update({2: -3}),
            "services.ground.transit_days.2: expected a number of business days "
            "(a whole number at least 1), got -3",
        ),
    ],
    ids=[
        "negative fuel",
        "fuel with a percent sign",
        "nan rate",
        "quoted rate",
        "negative max weight",
        "negative transit",
    ],
)
def test_a_number_that_is_text_negative_or_not_finite_is_refused_at_its_field(
    change: Callable[[Card], object], expected: str
) -> None:
    assert refusal(change) == f"parcelline.yaml: carrier PCL: {expected}"


def test_a_quoted_false_is_refused_instead_of_being_read_as_true() -> None:
    assert refusal(lambda card: card.update(hazmat="false")).endswith(
        "hazmat: expected true or false, got 'false' (quoted, so text)"
    )
    assert refusal(lambda card: service(card, "ground").update(per_kg="no")).endswith(
        "services.ground.per_kg: expected true or false, got 'no' (quoted, so text)"
    )


def test_weight_breaks_out_of_order_are_refused_instead_of_mispricing() -> None:
    def unsorted(card: Card) -> None:
        service(card, "ground")["weight_breaks_kg"] = [5, 1, 10, 20, 35, 68]

    assert refusal(unsorted).endswith(
        "services.ground.weight_breaks_kg[1]: 1 kg is not above the break before it (5 kg): "
        "breaks go up, lightest first"
    )


def test_a_zone_the_card_uses_without_rates_or_transit_days_is_refused() -> None:
    assert refusal(lambda card: service(card, "2day")["rates"].pop(8)).endswith(
        "services.2day.rates: zone 8 is missing (the card's zones use it)"
    )
    assert refusal(lambda card: service(card, "2day").update(transit_days={})).endswith(
        "services.2day.transit_days: expected a mapping of zone to days, got {}"
    )


def test_two_services_with_one_code_are_refused() -> None:
    assert refusal(lambda card: card["services"][1].update(code="ground")).endswith(
        "services[1].code: 'ground' is already the code of services[0]"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda card: service(card, "ground").update(rates=[1, 2]),
            "services.ground.rates: expected a mapping of zone to rates, got [1, 2]",
        ),
        (
            lambda card: service(card, "ground").update(weight_breaks_kg=[]),
            "services.ground.weight_breaks_kg: expected a list of weights in kg, got []",
        ),
        (
            lambda card: card.update(zones=[]),
            "zones: expected a mapping with by_distance_km, got []",
        ),
        (
            lambda card: card.update(surcharges=[]),
            "surcharges: expected a mapping of fees, got []",
        ),
        (
            lambda card: card["surcharges"].update(oversize=45),
            "surcharges.oversize: expected a mapping of longest_side_cm and amount, got 45",
        ),
        (
            lambda card: card.update(services=["ground"]),
            "services[0]: expected a service (a mapping with code, rates, ...), got 'ground'",
        ),
        (
            lambda card: card["surcharges"].update(fuel_precent=9.5),
            "surcharges.fuel_precent: unknown field (did you mean 'fuel_percent'?)",
        ),
        (
            lambda card: service(card, "ground").update(cutoff=1020),
            'services.ground.cutoff: expected a time in quotes ("HH:MM"), got 1020',
        ),
    ],
    ids=[
        "rates as a list",
        "no weight breaks",
        "zones as a list",
        "surcharges as a list",
        "oversize as a number",
        "services as names",
        "misspelt field",
        "unquoted cut-off",
    ],
)
def test_a_section_of_the_wrong_shape_is_refused_at_its_field_not_with_a_traceback(
    change: Callable[[Card], object], expected: str
) -> None:
    assert refusal(change) == f"parcelline.yaml: carrier PCL: {expected}"


def test_a_bad_rate_card_file_is_named_when_the_catalog_loads(tmp_path: Path) -> None:
    (tmp_path / "parcelline.yaml").write_text(
        (default_carriers_dir() / "parcelline.yaml")
        .read_text()
        .replace("fuel_percent: 9.5", "fuel_percent: 9.5%")
    )
    with pytest.raises(RateCardError, match=r"parcelline\.yaml: carrier PCL: surcharges\.fuel"):
        load_catalog(tmp_path)


def test_two_rate_cards_for_one_carrier_are_refused_naming_both_files(tmp_path: Path) -> None:
    text = (default_carriers_dir() / "parcelline.yaml").read_text()
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)
    with pytest.raises(RateCardError, match=r"b\.yaml: carrier PCL: code: .*a\.yaml has this"):
        load_catalog(tmp_path)


def test_a_missing_or_empty_rate_card_directory_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(RateCardError, match=r"nowhere: no such directory of rate cards"):
        load_catalog(tmp_path / "nowhere")
    with pytest.raises(RateCardError, match=r"no rate cards \(\*\.yaml\) in this directory"):
        load_catalog(tmp_path)
