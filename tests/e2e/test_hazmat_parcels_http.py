"""Dangerous goods kept apart over HTTP: on a deployment whose box catalogue says
`hazmat: apart`, an order of lamp oil and shoes is decided into one shipment of two parcels,
the oil in a box of its own, and the carrier's hazmat fee is charged on that box alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ordo.bootstrap import Container
from tests.e2e.conftest import Api, packing_container
from tests.e2e.test_labels_http import shipment_of

# Room for both products in one carton: only the catalogue's `hazmat` keeps them apart.
BOXES = """hazmat: {mode}
boxes:
  - {{code: CARTON, length_cm: 40, width_cm: 30, height_cm: 20, max_weight_kg: 10,
     tare_kg: 0.3, cost: 0.80}}
"""
PRODUCTS = {
    "SHOE-42": {"weight_kg": 1.2, "dimensions": {"length_cm": 25, "width_cm": 15, "height_cm": 8}},
    "LAMP-OIL": {"weight_kg": 1.0, "hazmat": True,
                 "dimensions": {"length_cm": 20, "width_cm": 10, "height_cm": 10}},
}  # fmt: skip
LINES = [{"sku": "SHOE-42", "quantity": 1}, {"sku": "LAMP-OIL", "quantity": 1}]


@pytest.fixture
def container(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[Container]:
    """The app of a deployment whose catalogue keeps dangerous goods apart (or, given as the
    test's `container` parameter, another `hazmat` mode)."""
    boxes = BOXES.format(mode=getattr(request, "param", "apart"))
    with packing_container(database_url, tmp_path, boxes) as built:
        yield built


def decided(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one shipment of an order of a pair of shoes and a can of lamp oil from Dallas, and
    its entry in the decision's carrier trace."""
    for sku, measures in PRODUCTS.items():
        body = {"name": sku, "price": "20.00", **measures}
        assert api.put(f"/v1/products/{sku}", json=body).status_code == 200
        api.seed(sku, units=5)
    shipment = shipment_of(api, "H-1", lines=LINES)
    order = api.get(f"/v1/orders/{shipment['order_id']}").json()
    [carrier] = [t["detail"]["DAL-01"] for t in order["trace"] if t["step"] == "carrier"]
    return shipment, carrier


def chosen_quote(carrier: dict[str, Any]) -> dict[str, Any]:
    [quote] = [
        q for q in carrier["quotes"] if f"{q['carrier']}/{q['service']}" == carrier["chosen"]
    ]
    return dict(quote)


def test_kept_apart_the_lamp_oil_ships_in_a_carton_of_its_own_that_alone_pays_the_fee(
    api: Api,
) -> None:
    shipment, carrier = decided(api)
    assert [(p["box"], p["units"], p["weight_kg"]) for p in shipment["parcels"]] == [
        ("CARTON", {"SHOE-42": 1}, 1.5),
        ("CARTON", {"LAMP-OIL": 1}, 1.3),
    ]
    # Parcelline carries dangerous goods for 32.00 a parcel holding them: one here, not two.
    quote = chosen_quote(carrier)
    assert (quote["carrier"], quote["surcharges"]["hazmat"]) == ("PCL", 32.0)
    assert quote["surcharges"]["boxes"] == 1.6
    assert shipment["rate"] == f"{quote['rate']:.2f}"
    traced = [(p["box"], p["units"]) for p in carrier["packing"]["parcels"]]
    assert traced == [(p["box"], p["units"]) for p in shipment["parcels"]]


@pytest.mark.parametrize("container", ["mixed"], indirect=True)
def test_mixed_the_same_order_ships_in_one_carton(api: Api) -> None:
    shipment, carrier = decided(api)
    assert [(p["box"], p["units"], p["weight_kg"]) for p in shipment["parcels"]] == [
        ("CARTON", {"LAMP-OIL": 1, "SHOE-42": 1}, 2.5),
    ]
    assert chosen_quote(carrier)["surcharges"]["boxes"] == 0.8
