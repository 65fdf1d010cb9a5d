"""The rate-card carrier connector quotes what the pipeline's rate cards say."""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors.base import DeliveryError
from connectors.carriers.ratecard import RateCardCarrier

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


def test_labels_are_zpl_with_a_stable_tracking_number() -> None:
    carrier = RateCardCarrier({"carrier": "SWX"})
    first = carrier.label({"id": "ful_1", "to_postal_code": "10001"}, "express_2day", "zpl")
    again = carrier.label({"id": "ful_1", "to_postal_code": "10001"}, "express_2day", "zpl")
    assert first.tracking_number == again.tracking_number
    assert first.content.startswith(b"^XA") and first.tracking_number.encode() in first.content
    with pytest.raises(DeliveryError, match="ZPL labels only"):
        carrier.label({"id": "ful_1"}, "express_2day", "pdf")
