"""Returns, shipments and alerts searched by status, RMA, customer and location: the filters
apply before the page is cut, in the same order, on the in-memory fake and on each database."""

from __future__ import annotations

import pytest

from engine.domain.fulfilment import ReturnStatus, ShipmentStatus
from engine.domain.operations import AlertStatus
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b


@pytest.fixture
def rows(uow_factory: UowFactory) -> UowFactory:
    """O-1 of customer C-1, O-2 of C-2; returns, shipments and alerts a minute apart, the
    lowest number oldest."""
    with uow_factory() as uow:
        uow.orders.add(b.a_plain_order(1))
        uow.orders.add(b.a_plain_order(2, customer_id="C-2"))
        returns = [
            ("O-2", ReturnStatus.REQUESTED, "", ""),
            ("O-2", ReturnStatus.RECEIVED, "RMA-2", "RNO-02"),
            ("O-1", ReturnStatus.AUTHORISED, "RMA-3", ""),
            ("O-2", ReturnStatus.REFUNDED, "RMA-4", "DAL-01"),
            ("O-1", ReturnStatus.REQUESTED, "", ""),
        ]
        for n, (order_id, status, rma, location) in enumerate(returns, 1):
            uow.returns.add(
                b.a_return(
                    id=f"RT-{n}",
                    order_id=order_id,
                    status=status,
                    rma=rma,
                    location_code=location,
                    created_at=b.at(n),
                )
            )
        shipments = [
            ("O-2", "DAL-01", ShipmentStatus.PICKED),
            ("O-2", "RNO-02", ShipmentStatus.SHIPPED),
            ("O-1", "DAL-01", ShipmentStatus.SHIPPED),
            ("O-1", "RNO-02", ShipmentStatus.PICKED),
        ]
        for n, (order_id, location, shipment_status) in enumerate(shipments, 1):
            uow.shipments.add(
                b.a_shipment(
                    id=f"F-{n}",
                    order_id=order_id,
                    location_code=location,
                    status=shipment_status,
                    created_at=b.at(n),
                )
            )
        alerts = [AlertStatus.ACKNOWLEDGED, AlertStatus.OPEN, AlertStatus.CLOSED, AlertStatus.OPEN]
        for n, alert_status in enumerate(alerts, 1):
            uow.alerts.add(
                b.an_alert(id=f"A-{n}", key=f"k{n}", status=alert_status, created_at=b.at(n))
            )
        uow.commit()
    return uow_factory


def _returns(factory: UowFactory, **filters: object) -> list[str]:
    with factory() as uow:
        return [r.id for r in uow.returns.search(**filters)]  # type: ignore[arg-type]


def _shipments(factory: UowFactory, **filters: object) -> list[str]:
    with factory() as uow:
        return [s.id for s in uow.shipments.search(**filters)]  # type: ignore[arg-type]


def _alerts(factory: UowFactory, **filters: object) -> list[str]:
    with factory() as uow:
        return [a.id for a in uow.alerts.search(**filters)]  # type: ignore[arg-type]


def test_returns_are_found_by_rma_and_status_past_the_first_page(rows: UowFactory) -> None:
    assert _returns(rows, rma="RMA-4", limit=1) == ["RT-4"]
    assert _returns(rows, status=ReturnStatus.REQUESTED, limit=1, offset=1) == ["RT-5"]
    assert _returns(rows) == ["RT-1", "RT-2", "RT-3", "RT-4", "RT-5"]


def test_a_customers_returns_are_those_of_its_own_orders(rows: UowFactory) -> None:
    assert _returns(rows, customer_id="C-1") == ["RT-3", "RT-5"]
    assert _returns(rows, customer_id="C-1", limit=1, offset=1) == ["RT-5"]
    assert _returns(rows, customer_id="C-9") == []


def test_a_warehouse_has_authorised_returns_and_those_received_at_its_locations(
    rows: UowFactory,
) -> None:
    assert _returns(rows, locations=["DAL-01"]) == ["RT-3", "RT-4"]
    assert _returns(rows, locations=["DAL-01", "RNO-02"], limit=1, offset=2) == ["RT-4"]
    assert _returns(rows, locations=[]) == ["RT-3"]
    assert _returns(rows, locations=[""]) == ["RT-3"]


def test_one_locations_returns_are_those_going_back_to_or_received_there_past_the_first_page(
    rows: UowFactory,
) -> None:
    with rows() as uow:
        going_back = b.a_return(
            id="RT-6",
            order_id="O-1",
            status=ReturnStatus.AUTHORISED,
            rma="RMA-6",
            location_code="DAL-01",
            created_at=b.at(6),
        )
        uow.returns.add(going_back)
        uow.commit()

    assert _returns(rows, location_code="DAL-01") == ["RT-4", "RT-6"]
    assert _returns(rows, location_code="DAL-01", limit=1, offset=1) == ["RT-6"]
    assert _returns(rows, location_code="DAL-01", status=ReturnStatus.AUTHORISED) == ["RT-6"]
    assert _returns(rows, location_code="RNO-02", limit=1) == ["RT-2"]
    assert _returns(rows, location_code="RNO-02", limit=1, offset=1) == []
    assert _returns(rows, location_code="") == [], "no location yet is no location's"
    assert _returns(rows, location_code="NOWHERE") == []
    # With a warehouse's sight: its location's, not every authorised return (RT-3).
    assert _returns(rows, locations=["DAL-01"], location_code="DAL-01") == ["RT-4", "RT-6"]


def test_shipments_are_found_by_status_location_and_customer_past_the_first_page(
    rows: UowFactory,
) -> None:
    assert _shipments(rows, status=ShipmentStatus.SHIPPED, limit=1, offset=1) == ["F-3"]
    assert _shipments(rows, locations=["RNO-02"]) == ["F-2", "F-4"]
    assert _shipments(rows, locations=["RNO-02", "DAL-01"], limit=2, offset=1) == ["F-2", "F-3"]
    assert _shipments(rows, locations=[]) == []
    assert _shipments(rows, customer_id="C-1", limit=1) == ["F-3"]
    assert _shipments(rows, customer_id="C-1", locations=["RNO-02"]) == ["F-4"]


def test_alerts_are_newest_first_and_filtered_before_paging(rows: UowFactory) -> None:
    assert _alerts(rows) == ["A-4", "A-3", "A-2", "A-1"]
    assert _alerts(rows, status=AlertStatus.OPEN, limit=1, offset=1) == ["A-2"]
    assert _alerts(rows, status=AlertStatus.ACKNOWLEDGED, limit=1) == ["A-1"]
