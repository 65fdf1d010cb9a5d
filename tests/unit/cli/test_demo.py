"""The demo data set: realistic, deterministic, and idempotent through any unit of work."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import zipcodes

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.catalog import LocationType
from engine.domain.orders import OrderStatus
from ordo.demo import database_is_empty, seed_demo
from ordo.demo.stock import HAZMAT_SITES, plan_stock
from ordo.demo.world import build_world

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_about_twenty_locations_of_every_kind_sit_at_real_postal_codes() -> None:
    locations = build_world(TODAY).locations
    assert len(locations) == 20
    assert {loc.type for loc in locations} == set(LocationType)
    for location in locations:
        known = zipcodes.matching(location.address.postal_code)[0]
        assert (location.lat, location.lon) == (float(known["lat"]), float(known["long"]))
        assert location.address.state == known["state"]


def test_the_catalogue_has_several_hundred_skus_with_the_attributes_rules_need() -> None:
    products = build_world(TODAY).products
    assert 250 <= len(products) <= 500
    assert len({p.sku for p in products}) == len(products)
    assert any(p.hazmat for p in products)
    assert any(p.dropship_vendor for p in products)
    assert any(p.preorder_release and p.preorder_release > TODAY for p in products)
    assert all(p.weight_kg > 0 and p.price > 0 for p in products)


def test_every_kit_is_made_of_skus_that_exist() -> None:
    products = build_world(TODAY).products
    skus = {p.sku for p in products}
    kits = [p for p in products if p.is_kit]
    assert kits
    assert all(set(kit.kit_components) <= skus for kit in kits)


def test_hazmat_stock_sits_only_at_hazmat_sites_and_stores() -> None:
    world = build_world(TODAY)
    hazmat = {p.sku for p in world.products if p.hazmat}
    stores = {loc.code for loc in world.locations if loc.type is LocationType.STORE}
    sites = {row.location_code for row in plan_stock(world.products, world.locations)
             if row.sku in hazmat}  # fmt: skip
    assert sites <= HAZMAT_SITES | stores


def test_dropship_skus_are_stocked_only_by_their_vendor() -> None:
    world = build_world(TODAY)
    vendor_of = {p.sku: p.dropship_vendor for p in world.products if p.dropship_vendor}
    for row in plan_stock(world.products, world.locations):
        if row.sku in vendor_of:
            assert row.location_code == vendor_of[row.sku]


def test_the_world_is_the_same_every_time() -> None:
    assert build_world(TODAY) == build_world(TODAY)


def test_seeding_twice_adds_nothing_the_second_time() -> None:
    uow = InMemoryUnitOfWork()
    assert database_is_empty(lambda: uow)
    first = seed_demo(lambda: uow, today=TODAY, now=NOW)
    second = seed_demo(lambda: uow, today=TODAY, now=NOW)
    assert not database_is_empty(lambda: uow)
    assert all(added > 0 for added, _ in first.counts().values())
    assert all(added == 0 for added, _ in second.counts().values())
    assert {name: existing for name, (_, existing) in second.counts().items()} == {
        name: added for name, (added, _) in first.counts().items() if name in second.added
    }


def test_demo_orders_cover_the_lifecycle_and_shipped_ones_have_tracking() -> None:
    uow = InMemoryUnitOfWork()
    seed_demo(lambda: uow, today=TODAY, now=NOW)
    with uow:
        orders = uow.orders.list(limit=500)
        statuses = Counter(order.status for order in orders)
        assert len(orders) == 60
        assert {OrderStatus.RECEIVED, OrderStatus.HELD, OrderStatus.RESERVED,
                OrderStatus.SHIPPED, OrderStatus.DELIVERED} <= set(statuses)  # fmt: skip
        shipped = [o for o in orders if o.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)]
        for order in shipped:
            shipments = uow.shipments.for_order(order.id)
            assert shipments and all(s.tracking_number for s in shipments)
