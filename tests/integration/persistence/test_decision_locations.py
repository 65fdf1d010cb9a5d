"""An order is decided from the locations loaded for it, on every backend.

The handler loads only the locations that stock the order's SKUs and its products' drop-ship
vendors, not the whole network: a vendor stocks nothing of ours, so it must still be found
through the product, or a drop-shipped line would go on backorder."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from engine.domain import commands as c
from engine.domain.catalog import Location, LocationType, Product
from engine.domain.inventory import Stock
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import build_bus
from tests.integration.persistence.conftest import UowFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def _seed(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        for code, kind, postal in (
            ("NJ-EWR", LocationType.WAREHOUSE, "07114"),
            ("VEND-ACME", LocationType.DROPSHIP_VENDOR, "60601"),
            # Neither stocks the order's SKUs nor drop-ships them: not needed to decide it.
            ("CA-LAX", LocationType.WAREHOUSE, "90045"),
            ("TX-DAL", LocationType.WAREHOUSE, "75201"),
        ):
            uow.locations.add(Location(code, code, kind, Address(postal_code=postal)))
        uow.products.add(Product("TSHIRT", "T-shirt", price=Decimal("10"), weight_kg=0.2))
        uow.products.add(
            Product(
                "KAYAK", "Kayak", price=Decimal("400"), weight_kg=20, dropship_vendor="VEND-ACME"
            )
        )
        uow.products.add(Product("LAMP", "Lamp", price=Decimal("30"), weight_kg=1))
        uow.stock.add(Stock("TSHIRT", "NJ-EWR", on_hand=5))
        uow.stock.add(Stock("LAMP", "TX-DAL", on_hand=5))
        uow.commit()


def test_a_line_nobody_stocks_ships_from_its_vendor(uow_factory: UowFactory) -> None:
    _seed(uow_factory)
    decider = Decider(
        RulesetRegistry.from_sources([]),
        load_catalog(),
        DeciderSettings(default_fallback="dropship"),
    )
    bus = build_bus(uow_factory, decider, lambda: NOW, PipelineOptions())
    order_id = bus.handle(
        c.CreateOrder(
            "web",
            "DS-1",
            "c1",
            c.AddressInput("10001"),
            (c.LineInput("TSHIRT", 1), c.LineInput("KAYAK", 1)),
        )
    )
    with uow_factory() as uow:
        order = uow.orders.get(str(order_id))
        assert order is not None
        assert str(order.status) == "released"
        shipped_from = {s.location_code for s in uow.shipments.for_order(order.id)}
        reserved = {(r.sku, r.location_code) for r in uow.reservations.for_order(order.id)}
    assert shipped_from == {"NJ-EWR", "VEND-ACME"}
    # The vendor's stock is not ours: only the warehouse's units are reserved.
    assert reserved == {("TSHIRT", "NJ-EWR")}
