"""`ordo demo` against real databases: it seeds once, and running it again changes nothing."""

from __future__ import annotations

import pytest
import zipcodes
from typer.testing import CliRunner

from ordo.bootstrap import build_app_container
from ordo.cli import app
from ordo.settings import load_settings

runner = CliRunner()


def row_counts(database_url: str) -> dict[str, int]:
    with (
        build_app_container(load_settings(database_url=database_url)) as container,
        container.uow_factory() as uow,
    ):
        return {
            "locations": len(uow.locations.list(limit=10_000)),
            "products": len(uow.products.list(limit=10_000)),
            "customers": len(uow.customers.list(limit=10_000)),
            "orders": len(uow.orders.list(limit=10_000)),
            "rulesets": len(uow.rulesets.list(limit=1_000)),
            "stock": sum(
                len(uow.stock.for_location(loc.code)) for loc in uow.locations.list(limit=100)
            ),
        }


def test_running_the_demo_twice_leaves_the_same_rows(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", database_url)
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    after_first = row_counts(database_url)
    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert row_counts(database_url) == after_first
    assert after_first["locations"] == 20
    assert after_first["products"] > 250
    # Sixty seeded orders plus the pipeline's showcase orders (`--live`, the default).
    assert after_first["orders"] >= 60
    assert after_first["stock"] > 1000
    assert after_first["rulesets"] > 0  # the live demo publishes the shipped rulesets once


def test_demo_locations_keep_their_real_coordinates(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    assert runner.invoke(app, ["demo"]).exit_code == 0
    with (
        build_app_container(load_settings(database_url=sqlite_url)) as container,
        container.uow_factory() as uow,
    ):
        locations = uow.locations.list(limit=100)
    assert len(locations) == 20
    for location in locations:
        known = zipcodes.matching(location.address.postal_code)[0]
        assert location.lat == pytest.approx(float(known["lat"]))
        assert location.lon == pytest.approx(float(known["long"]))


def test_reserved_demo_stock_is_counted_in_the_database(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDO_DATABASE_URL", sqlite_url)
    assert runner.invoke(app, ["demo"]).exit_code == 0
    with (
        build_app_container(load_settings(database_url=sqlite_url)) as container,
        container.uow_factory() as uow,
    ):
        rows = [row for loc in uow.locations.list(limit=100)
                    for row in uow.stock.for_location(loc.code)]  # fmt: skip
        reserved = sum(row.reserved for row in rows)
        active = sum(
            len(uow.reservations.for_order(order.id))
            for order in uow.orders.list(limit=100)
            if order.status in ("reserved", "released")
        )
    assert reserved > 0
    assert active > 0
