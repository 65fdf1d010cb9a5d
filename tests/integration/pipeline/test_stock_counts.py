"""A location's count through the real handlers on SQLite and PostgreSQL: on-hand becomes what
was counted, never below what is reserved; a count short of the reservations names the
shipments whose short picks account for the units; bad lines refuse the whole count; a row
another transaction moves while the count runs still ends at the count.

Run by hand, `python -m tests.integration.pipeline.test_stock_counts` times a 5,000-line count
on a throw-away PostgreSQL database (not a timed test: the machine is shared).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.errors import NotFound
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import Stock
from engine.domain.orders import OrderStatus
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry
from engine.service_layer.counts import CountedLine, CountRefused, StockCount, count_stock
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus
from engine.service_layer.shortages import ShortPick
from tests.support.clock import Clock

ACTOR = "warehouse:nj-wms"


@dataclass
class World:
    bus: MessageBus
    uows: Callable[[], SqlAlchemyUnitOfWork]

    def count(self, *lines: tuple[str, int], location: str = "NJ", **extra: Any) -> StockCount:
        counted = tuple(c.CountLine(sku, units) for sku, units in lines)
        done = self.bus.handle(c.CountStock(location, counted, actor=ACTOR, **extra))
        assert isinstance(done, StockCount)
        return done

    def order(self, ref: str, qty: int) -> str:
        lines = (c.LineInput("JEANS", qty),)
        return str(self.bus.handle(c.CreateOrder("web", ref, "c1", c.AddressInput("10001"), lines)))

    def stock(self, sku: str = "JEANS", location: str = "NJ") -> tuple[int, int] | None:
        with self.uows() as uow:
            row = uow.stock.get((sku, location))
            return None if row is None else (row.on_hand, row.reserved)

    def outbox(self, name: str) -> list[dict[str, Any]]:
        with self.uows() as uow:
            assert uow.session is not None
            query = select(orm.outbox.c.payload).where(orm.outbox.c.name == name)
            return list(uow.session.execute(query).scalars())

    def audit(self) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
        with self.uows() as uow:
            return [
                (e.action, e.actor, dict(e.before), dict(e.after))
                for e in uow.audit.list(entity="location", entity_id="NJ")
            ]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)

    def uows() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uows() as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.locations.add(Location("PA", "Philadelphia", LocationType.WAREHOUSE, Address("19153")))
        closed = Location("OLD", "Closed", LocationType.WAREHOUSE, Address("08608"))
        closed.enabled = False
        uow.locations.add(closed)
        for sku in ("JEANS", "SHIRT", "HAT"):
            uow.products.add(Product(sku, sku.title(), Decimal("20.00"), weight_kg=0.5))
        uow.customers.add(Customer("c1", "ann@example.com"))
        uow.stock.add(Stock("JEANS", "NJ", on_hand=5))
        uow.stock.add(Stock("JEANS", "PA", on_hand=7))
        uow.stock.add(Stock("HAT", "NJ", on_hand=2))
        uow.commit()
    decider = Decider(RulesetRegistry.from_sources([]), load_catalog(), DeciderSettings("greedy"))
    bus = build_bus(uows, decider, Clock(datetime(2026, 11, 18, 10, 0)), PipelineOptions())
    yield World(bus, uows)
    engine.dispose()


def test_each_sku_is_set_to_its_count_and_a_sku_new_to_the_location_gets_a_row(
    world: World,
) -> None:
    done = world.count(("JEANS", 3), ("SHIRT", 4), ("HAT", 2), reason="cycle count")

    assert done.lines == (
        CountedLine("JEANS", 3, before=5, after=3, reserved=0),
        CountedLine("SHIRT", 4, before=0, after=4, reserved=0),
        CountedLine("HAT", 2, before=2, after=2, reserved=0),
    )
    assert (done.changed, done.rose, done.fell, done.came_up_short) == (2, 1, 1, 0)
    assert (world.stock("JEANS"), world.stock("SHIRT"), world.stock("HAT")) == (
        (3, 0),
        (4, 0),
        (2, 0),
    )
    assert world.stock("JEANS", "PA") == (7, 0)  # another location's row of the SKU is left
    # A change raises what an adjustment raises; HAT, counted as it stood, raises nothing.
    assert sorted(
        (p["sku"], p["delta"], p["on_hand"], p["reason"]) for p in world.outbox("stock.adjusted")
    ) == [("JEANS", -2, 3, "cycle count"), ("SHIRT", 4, 4, "cycle count")]


def test_a_count_of_zero_makes_a_row_for_a_sku_the_location_never_stocked(world: World) -> None:
    done = world.count(("SHIRT", 0))

    assert done.lines == (CountedLine("SHIRT", 0, before=0, after=0, reserved=0),)
    assert world.stock("SHIRT") == (0, 0)
    assert world.outbox("stock.adjusted") == []


def test_one_audit_entry_says_who_counted_what_and_when(world: World) -> None:
    world.count(
        ("JEANS", 3),
        ("SHIRT", 4),
        ("HAT", 2),
        reason="nightly",
        counted_at=datetime(2026, 11, 18, 2, 0),
    )

    [(action, actor, before, after)] = world.audit()
    assert (action, actor) == ("stock.count", ACTOR)
    assert before == {"on_hand": {"JEANS": 5, "SHIRT": 0}}
    assert after == {
        "on_hand": {"JEANS": 3, "SHIRT": 4},
        "short": {},
        "not_listed": 0,
        "reason": "nightly",
        "counted_at": "2026-11-18T02:00:00+00:00",
        "lines": 3,
        "changed": 2,
        "rose": 1,
        "fell": 1,
        "came_up_short": 0,
    }
    [jeans] = [p for p in world.outbox("stock.adjusted") if p["sku"] == "JEANS"]
    assert jeans["reason"] == "nightly (counted at 2026-11-18T02:00:00+00:00)"


def test_a_rising_count_serves_the_order_waiting_for_the_sku(world: World) -> None:
    world.count(("JEANS", 0))
    world.count(("JEANS", 0), location="PA")
    order_id = world.order("W-1", 2)
    with world.uows() as uow:
        waiting = uow.orders.get(order_id)
        assert waiting is not None and waiting.status is OrderStatus.BACKORDERED

    world.count(("JEANS", 4))

    with world.uows() as uow:
        served = uow.orders.get(order_id)
        assert served is not None and served.status is not OrderStatus.BACKORDERED
        [shipment] = uow.shipments.for_order(order_id)
        assert (shipment.location_code, shipment.quantity) == ("NJ", 2)
    assert world.stock("JEANS") == (4, 2)


def test_a_count_below_the_reservations_keeps_them_and_names_the_shipments_holding_them(
    world: World,
) -> None:
    order_id = world.order("W-1", 4)
    with world.uows() as uow:
        [shipment] = uow.shipments.for_order(order_id)
    assert (shipment.location_code, shipment.status) == ("NJ", ShipmentStatus.RELEASED)

    done = world.count(("JEANS", 1), counted_at=datetime(2026, 11, 18, 2, 0))

    # On hand stops at what is reserved: nothing more is promised from Newark, and the
    # reservations still stand on units it says it has.
    assert done.lines == (CountedLine("JEANS", 1, before=5, after=4, reserved=4),)
    assert done.lines[0].short == 3
    assert world.stock("JEANS") == (4, 4)
    [short] = world.outbox("stock.count_short")
    assert short == {
        "sku": "JEANS",
        "location_code": "NJ",
        "counted": 1,
        "reserved": 4,
        "short": 3,
        "shipment_ids": [shipment.id],
        "counted_at": "2026-11-18T02:00:00+00:00",
    }
    [adjusted] = world.outbox("stock.adjusted")
    assert (adjusted["delta"], adjusted["on_hand"], adjusted["available"]) == (-1, 4, 0)
    [(_, _, _, after)] = world.audit()
    assert (after["short"], after["came_up_short"]) == ({"JEANS": 3}, 1)


def test_the_short_pick_that_follows_takes_on_hand_down_to_the_count_and_sources_elsewhere(
    world: World,
) -> None:
    order_id = world.order("W-1", 4)
    with world.uows() as uow:
        [shipment] = uow.shipments.for_order(order_id)
    world.count(("JEANS", 1))

    lines = (c.ShortLineInput(3, sku="JEANS"),)
    done = world.bus.handle(c.ReportShortPick(shipment.id, lines, "count came up short", ACTOR))

    assert isinstance(done, ShortPick)
    assert world.stock("JEANS") == (1, 1)  # what the count found, all of it promised
    assert world.stock("JEANS", "PA") == (7, 3)
    assert done.resourced == {"1": 3}


def test_a_count_already_at_the_reservations_raises_the_short_but_moves_nothing(
    world: World,
) -> None:
    world.order("W-1", 5)
    assert world.stock("JEANS") == (5, 5)

    done = world.count(("JEANS", 2))

    assert done.lines == (CountedLine("JEANS", 2, before=5, after=5, reserved=5),)
    assert world.outbox("stock.adjusted") == []
    assert [p["short"] for p in world.outbox("stock.count_short")] == [3]


def test_bad_lines_refuse_the_whole_count_each_named_at_its_place(world: World) -> None:
    with pytest.raises(CountRefused) as refused:
        world.count(("JEANS", 1), ("NOPE-1", 3), ("HAT", 0), ("JEANS", 2), ("NOPE-2", 1))

    assert [(p.loc, p.reason.split(";")[0]) for p in refused.value.problems] == [
        (("counts", 1, "sku"), "product 'NOPE-1' does not exist"),
        (("counts", 3, "sku"), "JEANS is counted twice (also at counts[0])"),
        (("counts", 4, "sku"), "product 'NOPE-2' does not exist"),
    ]
    assert "the count of NJ was not applied, nothing changed" in refused.value.message
    assert (world.stock("JEANS"), world.stock("HAT")) == ((5, 0), (2, 0))
    assert world.outbox("stock.adjusted") == [] and world.audit() == []


def test_a_disabled_location_is_refused_with_the_lines_and_an_unknown_one_is_not_found(
    world: World,
) -> None:
    with pytest.raises(CountRefused) as refused:
        world.count(("JEANS", 1), ("NOPE-1", 1), location="OLD")
    assert [p.loc for p in refused.value.problems] == [("location_code",), ("counts", 1, "sku")]
    assert "location OLD is disabled" in refused.value.message
    assert world.stock("JEANS", "OLD") is None

    with pytest.raises(NotFound, match="location 'NOWHERE' does not exist"):
        world.count(("JEANS", 1), location="NOWHERE")


# --- a row moved by another transaction between the count's read and its move ---------------


class _Meddled(SqlAlchemyUnitOfWork):
    """A unit of work whose first stock read is followed, before anything else, by `meddle`
    committing a move of its own in another transaction."""

    def __init__(self, sessions: Any, meddle: Callable[[], None]) -> None:
        super().__init__(sessions)
        self.meddle: Callable[[], None] | None = meddle

    def __getattr__(self, name: str) -> Any:
        repository = super().__getattr__(name)
        if name == "stock":
            for method in ("for_skus", "read_for_skus"):
                setattr(repository, method, self._then_meddle(getattr(repository, method)))
        return repository

    def _then_meddle(self, read: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def read_then_meddle(skus: Any) -> Any:
            rows = read(skus)
            if self.meddle is not None:
                meddle, self.meddle = self.meddle, None
                meddle()
            return rows

        return read_then_meddle


@pytest.fixture
def sessions(postgres_url: str) -> Iterator[Any]:
    """PostgreSQL only: SQLite runs one writer at a time, so no move can come in between."""
    engine = make_engine(postgres_url)
    sessions = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.locations.add(Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114")))
        uow.products.add(Product("JEANS", "Jeans", Decimal("59.00")))
        uow.stock.add(Stock("JEANS", "NJ", on_hand=5))
        uow.commit()
    yield sessions
    engine.dispose()


def _elsewhere(sessions: Any, move: Callable[[SqlAlchemyUnitOfWork], object]) -> None:
    with SqlAlchemyUnitOfWork(sessions) as uow:
        move(uow)
        uow.commit()


def _count_meddled(sessions: Any, units: int, meddle: Callable[[], None]) -> StockCount:
    cmd = c.CountStock("NJ", (c.CountLine("JEANS", units),), actor=ACTOR)
    return count_stock(cmd, _Meddled(sessions, meddle), PipelineOptions())


def _row(sessions: Any) -> tuple[int, int]:
    with SqlAlchemyUnitOfWork(sessions) as uow:
        row = uow.stock.get(("JEANS", "NJ"))
        assert row is not None
        return row.on_hand, row.reserved


def test_units_received_after_the_read_do_not_survive_the_count(sessions: Any) -> None:
    def receipt() -> None:
        _elsewhere(sessions, lambda uow: uow.stock.adjust("JEANS", "NJ", 2))

    done = _count_meddled(sessions, 3, receipt)

    # The delta from the read (-2) would have left 5; the row as locked said 7.
    assert _row(sessions) == (3, 0)
    assert done.lines == (CountedLine("JEANS", 3, before=7, after=3, reserved=0),)


def test_a_reservation_made_after_the_read_is_kept_and_the_count_comes_up_short(
    sessions: Any,
) -> None:
    def reservation() -> None:
        _elsewhere(sessions, lambda uow: uow.stock.try_reserve("JEANS", "NJ", 4, None))

    done = _count_meddled(sessions, 2, reservation)

    # 5 - 3 would leave 2 under 4 reserved: refused, so the count is set against the row as
    # it stands once locked, and stops at what is reserved.
    assert _row(sessions) == (4, 4)
    assert done.lines == (CountedLine("JEANS", 2, before=5, after=4, reserved=4),)
    assert done.lines[0].short == 2


# --- run by hand: a 5,000-line count on PostgreSQL --------------------------------------------


def _time_a_large_count(lines: int = 5_000) -> None:
    """Seed `lines` products stocked at one location (a tenth of them with no row yet), count
    them all with new figures, and print how long the count's transaction and then the
    events it raised (handled in process, as the API does without Redis) took."""
    from tests.support import servers

    problem = servers.postgres_reachable()
    if problem is not None:
        raise SystemExit(problem)
    with servers.postgres_template() as template:
        databases = servers.PostgresDatabases(template)
        try:
            engine = make_engine(servers.pg_url(databases.acquire()))
            sessions = make_session_factory(engine)
            with SqlAlchemyUnitOfWork(sessions) as uow:
                uow.locations.add(
                    Location("NJ", "Newark", LocationType.WAREHOUSE, Address("07114"))
                )
                for n in range(lines):
                    uow.products.add(Product(f"SKU-{n:05}", "x", Decimal("1.00")))
                    if n % 10:
                        uow.stock.add(Stock(f"SKU-{n:05}", "NJ", on_hand=50))
                uow.commit()
            counted = tuple(c.CountLine(f"SKU-{n:05}", 40 + n % 20) for n in range(lines))
            cmd = c.CountStock("NJ", counted, actor=ACTOR)
            started = time.perf_counter()
            done = count_stock(cmd, SqlAlchemyUnitOfWork(sessions), PipelineOptions())
            handled = time.perf_counter() - started
            print(f"{lines} lines, {done.changed} changed: the count's transaction {handled:.2f} s")

            again = tuple(c.CountLine(line.sku, line.on_hand + 1) for line in counted)
            decider = Decider(RulesetRegistry.from_sources([]), load_catalog())
            bus = build_bus(lambda: SqlAlchemyUnitOfWork(sessions), decider)
            started = time.perf_counter()
            bus.handle(c.CountStock("NJ", again, actor=ACTOR))
            print(
                f"again, every line rising, through the bus with its {lines} stock.adjusted "
                f"events handled in process: {time.perf_counter() - started:.2f} s"
            )
            engine.dispose()
        finally:
            databases.close()


if __name__ == "__main__":
    _time_a_large_count()
