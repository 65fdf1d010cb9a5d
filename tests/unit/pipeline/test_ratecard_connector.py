"""The rate-card carrier connector quotes what the pipeline's rate cards say (its labels:
test_carrier_labels.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import DeliveryError
from connectors.carriers.ratecard import RateCardCarrier, ShipmentError
from engine.pipeline.carriers import RateCardError

MORNING = datetime(2026, 11, 18, 9, 0)


def test_it_quotes_every_service_of_its_carrier_from_the_postal_codes() -> None:
    carrier = RateCardCarrier({"carrier": "PCL"})
    quotes = carrier.rates(
        {"weight_kg": 2, "from_postal_code": "07114", "to_postal_code": "60601", "now": MORNING}
    )
    assert [q.service for q in quotes] == ["ground", "2day", "overnight"]
    assert quotes[0].amount < quotes[1].amount < quotes[2].amount
    assert quotes[2].transit_days == 1


def test_an_unknown_carrier_or_postal_code_is_refused_by_name() -> None:
    with pytest.raises(DeliveryError, match="no rate card for carrier 'NOPE'"):
        RateCardCarrier({"carrier": "NOPE"})
    with pytest.raises(DeliveryError, match="unknown postal code 00000"):
        RateCardCarrier({"carrier": "PCL"}).rates(
            {"weight_kg": 1, "from_postal_code": "00000", "to_postal_code": "60601"}
        )


SHIPMENT = {"weight_kg": 2, "from_postal_code": "07114", "to_postal_code": "60601", "now": MORNING}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"weight_kg": None}, "weight_kg: missing (a weight in kg)"),
        ({"weight_kg": "3kg"}, "weight_kg: expected a weight in kg above 0, got '3kg'"),
        ({"from_postal_code": None}, "from_postal_code: missing (give it, or distance_km)"),
        ({"to_postal_code": 60601}, "to_postal_code: expected a postal code as text, got 60601"),
        ({"hazmat": "false"}, "hazmat: expected true or false, got 'false'"),
        ({"cutoff": "5pm"}, "cutoff: expected a time as \"HH:MM\", got '5pm'"),
        ({"now": "yesterday"}, "now: expected a date and time (ISO 8601, e.g. 2026-11-18T09:00)"),
    ],
    ids=[
        "no weight",
        "weight with its unit",
        "no origin",
        "postal code as a number",
        "quoted false",
        "cut-off in words",
        "now in words",
    ],
)
def test_a_shipment_with_a_missing_or_mistyped_field_is_refused_naming_the_field(
    changes: dict[str, Any], expected: str
) -> None:
    shipment = {k: v for k, v in {**SHIPMENT, **changes}.items() if v is not None}
    with pytest.raises(ShipmentError) as refused:
        RateCardCarrier({"carrier": "PCL"}).rates(shipment)
    assert str(refused.value).startswith(expected)


def test_a_shipment_refusal_is_still_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match="weight_kg: missing"):
        RateCardCarrier({"carrier": "PCL"}).rates({"to_postal_code": "60601"})


def test_now_may_be_given_as_an_iso_string() -> None:
    carrier = RateCardCarrier({"carrier": "PCL"})
    as_text = carrier.rates({**SHIPMENT, "now": "2026-11-18T09:00"})
    assert as_text == carrier.rates(SHIPMENT)


def test_a_missing_rate_card_directory_is_named_not_listed_as_no_carriers(tmp_path: Path) -> None:
    with pytest.raises(RateCardError, match=r"nowhere: no such directory of rate cards"):
        RateCardCarrier({"carrier": "PCL", "directory": str(tmp_path / "nowhere")})
