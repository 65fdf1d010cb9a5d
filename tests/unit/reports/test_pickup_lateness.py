"""A pickup (click and collect) is late in the reports only until its store has packed it:
ready at the counter, or collected, the wait is the customer's. Worked by hand on a small
history of its own, read on 10 March 2026 at noon; every shipment was promised for the 3rd.

- O-20, a pickup packed on the 2nd: it waits at the counter, so it is not late;
- O-21, a pickup collected on the 8th (packed -> delivered, so never `shipped_at`): not late;
- O-22, a pickup only picked: the store is late with it;
- O-23, a parcel not shipped: late, as before click and collect.
"""

from __future__ import annotations

from datetime import date

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.fulfilment import PICKUP_CARRIER, PICKUP_SERVICE, ShipmentStatus
from engine.service_layer import reports
from engine.service_layer.reports import Ratio
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.builders import a_location, a_product
from tests.unit.reports.report_history import NOW, PERIOD, S, line, moment, order, shipment

F = ShipmentStatus
PROMISED = date(2026, 3, 3)
AT_THE_COUNTER = {"carrier": PICKUP_CARRIER, "service": PICKUP_SERVICE, "rate": "0.00"}
ORDERS = [
    order(20, moment(2, 9), S.PACKED, [line("1", "SKU-A", 1, "10.00")], customer="C-1"),
    order(21, moment(2, 9), S.DELIVERED, [line("1", "SKU-A", 1, "10.00", shipped=1)],
          customer="C-2"),
    order(22, moment(2, 9), S.PICKED, [line("1", "SKU-A", 1, "10.00")], customer="C-3"),
    order(23, moment(2, 9), S.RELEASED, [line("1", "SKU-A", 1, "10.00")], customer="C-4"),
]  # fmt: skip
SHIPMENTS = [
    shipment("P-20", "O-20", "NYC-5", moment(2, 9, 5), F.PACKED, [("1", "SKU-A", 1)],
             promised=PROMISED, **AT_THE_COUNTER),
    shipment("P-21", "O-21", "NYC-5", moment(2, 9, 5), F.DELIVERED, [("1", "SKU-A", 1)],
             promised=PROMISED, delivered_at=moment(8, 17), **AT_THE_COUNTER),
    shipment("P-22", "O-22", "NYC-5", moment(2, 9, 5), F.PICKED, [("1", "SKU-A", 1)],
             promised=PROMISED, **AT_THE_COUNTER),
    shipment("F-23", "O-23", "DAL-01", moment(2, 9, 5), F.RELEASED, [("1", "SKU-A", 1)],
             promised=PROMISED, carrier="ups", service="ground", rate="7.00"),
]  # fmt: skip


def build(uow: UnitOfWork) -> None:
    with uow:
        for code in ("DAL-01", "NYC-5"):
            uow.locations.add(a_location(code=code, enabled=True))
        uow.products.add(a_product(sku="SKU-A", preorder_release=None, kit_components={}))
        for item in ORDERS:
            uow.orders.add(item)
        for item in SHIPMENTS:
            uow.shipments.add(item)
        uow.commit()


def figures(uow: UnitOfWork) -> tuple[Ratio, int, int]:
    """Late shipments of the period, orders with one, and late shipments promised the 3rd."""
    operations = reports.operations(uow, PERIOD, NOW)
    kpis = reports.daily_kpis(uow, PROMISED, NOW)
    return operations.late_shipments, operations.order_defects.late_shipment, kpis.late_shipments


def test_a_pickup_packed_or_collected_is_not_late_but_one_not_ready_is() -> None:
    uow = InMemoryUnitOfWork()
    build(uow)

    # P-22 and F-23 of the four; orders O-22 and O-23; the same two promised the 3rd.
    assert figures(uow) == (Ratio(2, 4), 2, 2)
