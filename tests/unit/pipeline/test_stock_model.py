"""A stateful model test of stock: reserve, release, ship, adjust, transfer, expire.

Hypothesis drives random sequences of operations through the real handlers while a simple
model counts the units that should exist per SKU (on hand everywhere plus in transit). After
every step: 0 <= reserved <= on hand at every location, reserved equals the active
reservations, and the physical count matches the model.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engine.domain import commands as c
from engine.domain.errors import DomainError
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import InboundKind, ReservationStatus
from engine.pipeline.decide import DeciderSettings
from engine.service_layer.handlers import PipelineOptions
from tests.unit.pipeline.world import LOCATIONS, SKUS, build

CODES = sorted(LOCATIONS)


class StockMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        stock = {(sku, code): (5, 0) for sku in SKUS for code in CODES}
        # Orders wait for release so their reservations can expire or be cancelled.
        self.engine = build(
            stock,
            settings=DeciderSettings(optimiser="greedy"),
            options=PipelineOptions(auto_release=False, reservation_ttl=timedelta(minutes=30)),
        )
        self.physical = {sku: 5 * len(CODES) for sku in SKUS}
        self.orders: list[str] = []
        self.transfers: list[str] = []
        self.count = 0

    def _handle(self, command: c.Command) -> object:
        try:
            return self.engine.bus.handle(command)
        except DomainError:
            return None  # refused with a clear error: the state must simply be unchanged

    @rule(
        sku=st.sampled_from(SKUS),
        qty=st.integers(1, 12),
        postal=st.sampled_from(["10001", "94105", "60601"]),
    )
    def reserve(self, sku: str, qty: int, postal: str) -> None:
        self.count += 1
        order_id = self._handle(
            c.CreateOrder(
                "web", f"M-{self.count}", "c1", c.AddressInput(postal), (c.LineInput(sku, qty),)
            )
        )
        if isinstance(order_id, str):
            self.orders.append(order_id)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self._handle(c.CancelOrder(data.draw(st.sampled_from(self.orders)), "model"))

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        order_id = data.draw(st.sampled_from(self.orders))
        self._handle(c.ReleaseOrder(order_id))
        with self.engine.uow as uow:
            shipments = [
                s for s in uow.shipments.for_order(order_id) if s.status is ShipmentStatus.RELEASED
            ]
            lines = [(s.id, sum(x.quantity for x in s.lines), s.lines[0].sku) for s in shipments]
        for shipment_id, qty, sku in lines:
            if self._handle(c.UpdateShipment(shipment_id, "shipped")) is not None:
                self.physical[sku] -= qty

    @rule(sku=st.sampled_from(SKUS), code=st.sampled_from(CODES), delta=st.integers(-6, 6))
    def adjust(self, sku: str, code: str, delta: int) -> None:
        if self._handle(c.AdjustStock(sku, code, delta)) is not None:
            self.physical[sku] += delta

    @rule(
        sku=st.sampled_from(SKUS),
        source=st.sampled_from(CODES),
        dest=st.sampled_from(CODES),
        qty=st.integers(1, 6),
    )
    def transfer(self, sku: str, source: str, dest: str, qty: int) -> None:
        transfer_id = self._handle(c.TransferStock(sku, source, dest, qty, date(2026, 11, 20)))
        if isinstance(transfer_id, str):
            self.transfers.append(transfer_id)

    @precondition(lambda self: self.transfers)
    @rule(data=st.data())
    def receive_transfer(self, data: st.DataObject) -> None:
        self._handle(c.ReceiveTransfer(data.draw(st.sampled_from(self.transfers))))

    @rule(minutes=st.integers(1, 40))
    def expire(self, minutes: int) -> None:
        self.engine.clock.advance(minutes)
        self._handle(c.ExpireReservations())

    @invariant()
    def reserved_stays_between_zero_and_on_hand(self) -> None:
        with self.engine.uow as uow:
            rows = uow.stock.list(limit=10_000)
            active = [
                r
                for r in uow.reservations.list(limit=100_000)
                if r.status is ReservationStatus.ACTIVE
            ]
            in_transit = [
                t
                for t in uow.inbound.list(limit=10_000)
                if t.kind is InboundKind.TRANSFER and not t.received
            ]
            for row in rows:
                assert 0 <= row.reserved <= row.on_hand, row
                held = sum(
                    r.quantity
                    for r in active
                    if (r.sku, r.location_code) == (row.sku, row.location_code)
                )
                assert held == row.reserved, (row, held)
            for sku in SKUS:
                counted = sum(r.on_hand for r in rows if r.sku == sku)
                counted += sum(t.quantity for t in in_transit if t.sku == sku)
                assert counted == self.physical[sku], (sku, counted, self.physical[sku])


StockMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestStockModel = StockMachine.TestCase
