"""With manual release and a reservation time-to-live, an order's reservations carry an expiry
date and the ticker `ordo worker` runs gives them back once it passes (real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.inventory import ReservationStatus, Stock
from engine.domain.orders import OrderStatus
from engine.domain.values import Address
from engine.service_layer.inventory import ReservationExpirer
from ordo.bootstrap import Container, build_app_container, build_workers
from ordo.settings import load_settings


def _container(sqlite_url: str, tmp_path: Path, **settings: object) -> Container:
    built = build_app_container(
        load_settings(database_url=sqlite_url, data_dir=tmp_path, redis_url=None, **settings)
    )
    with built.uow_factory() as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.products.add(Product("JEANS", "Jeans", Decimal("59.00"), weight_kg=0.8))
        uow.customers.add(Customer("c1", "c1@example.com"))
        uow.stock.add(Stock("JEANS", "NJ", on_hand=5))
        uow.commit()
    return built


@pytest.fixture
def container(sqlite_url: str, tmp_path: Path) -> Iterator[Container]:
    ttl = {"auto_release": "false", "reservation_ttl_minutes": 30}
    with _container(sqlite_url, tmp_path, **ttl) as built:
        yield built


def _place(container: Container, qty: int) -> str:
    line = c.LineInput("JEANS", qty)
    command = c.CreateOrder("web", f"R-{qty}", "c1", c.AddressInput("10001"), (line,))
    return str(container.bus.handle(command))


def test_an_unreleased_orders_reservation_is_given_back_by_the_worker_once_it_expires(
    container: Container,
) -> None:
    before = datetime.now(UTC)
    order_id = _place(container, 2)
    with container.uow_factory() as uow:
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.CARRIER_ASSIGNED
        (reservation,) = uow.reservations.for_order(order_id)
        assert reservation.expires_at is not None
        expires_at = reservation.expires_at.replace(tzinfo=reservation.expires_at.tzinfo or UTC)
        ttl = timedelta(minutes=30)
        assert before + ttl <= expires_at <= datetime.now(UTC) + ttl
    (worker,) = build_workers(container, name="w")
    (expirer,) = [t for t in worker.tickers if isinstance(t, ReservationExpirer)]
    assert expirer.tick(datetime.now(UTC)) == 0  # thirty minutes are not up yet
    with container.uow_factory() as uow:
        (reservation,) = uow.reservations.for_order(order_id)
        reservation.expires_at = datetime.now(UTC) - timedelta(seconds=1)  # time is up
        uow.commit()
    assert expirer.tick(datetime.now(UTC) + timedelta(minutes=1)) == 1
    with container.uow_factory() as uow:
        (reservation,) = uow.reservations.for_order(order_id)
        assert reservation.status is ReservationStatus.EXPIRED
        order = uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.HELD
        stock = uow.stock.get(("JEANS", "NJ"))
        assert stock is not None and stock.reserved == 0


def test_without_a_time_to_live_the_worker_runs_no_expiry_and_reservations_never_expire(
    sqlite_url: str, tmp_path: Path
) -> None:
    with _container(sqlite_url, tmp_path, auto_release="false") as container:
        order_id = _place(container, 2)
        with container.uow_factory() as uow:
            (reservation,) = uow.reservations.for_order(order_id)
            assert reservation.expires_at is None
        (worker,) = build_workers(container, name="w")
        assert not [t for t in worker.tickers if isinstance(t, ReservationExpirer)]
