"""Replay a data set's orders, in time order, through the production Decider.

Nothing here reads or writes live data: stock is a `StockLedger` built from the data set's
snapshot, receipts land when the replay clock reaches their date, and every order that is
sourced reserves what it was allocated before the next order is decided, exactly as the
pipeline's reservation step would. Each order's decision is reduced to a compact outcome
written to disk as it is made, so memory does not grow with the history.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from engine.adapters.geo import postal_code_coordinates
from engine.domain.catalog import Customer, Location, Product
from engine.domain.errors import DomainError
from engine.domain.inventory import Stock
from engine.domain.orders import Order
from engine.domain.packaging import BoxCatalog
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider, DeciderSettings, Decision, Inbound
from engine.pipeline.stock_view import StockView
from engine.simulation.dataset import (
    Dataset,
    to_customer,
    to_location,
    to_order,
    to_product,
    to_receipt,
)
from engine.simulation.errors import SimulationError
from engine.simulation.kpis import Kpis
from engine.simulation.ledger import StockLedger
from engine.simulation.outcome import count_fired_rules, order_outcome
from engine.simulation.packaging import RunBoxes, add_parcels, read_boxes
from engine.simulation.report import RunWriter
from engine.simulation.rulesets import fingerprints, registry_for

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000
SOURCED = ("allocated", "partially_allocated")


class DecidesOrders(Protocol):
    """What the replay needs from `engine.pipeline.Decider` (tests may pass a double)."""

    def decide(
        self,
        order: Order,
        customer: Customer | None,
        products: Mapping[str, Product],
        locations: Sequence[Location],
        stock: StockView,
        now: datetime,
        *,
        inbound: Inbound = (),
        shipments_today: Mapping[str, int] | None = None,
        trace: bool = True,
    ) -> Decision: ...


@dataclass(frozen=True)
class RunSpec:
    """One simulation: a data set, a ruleset set (name -> source), and where results go."""

    dataset: Path
    out: Path
    rulesets: Mapping[str, str]
    name: str = "run"
    carriers_dir: Path | None = None
    settings: DeciderSettings = field(default_factory=DeciderSettings)
    limit: int | None = None
    # Inclusive calendar dates compared with each order's created date. Orders before
    # `date_from` are still decided, so stock moves as it did, but they are not recorded;
    # orders after `date_to` end the replay (the data set is time-ordered).
    date_from: date | None = None
    date_to: date | None = None
    # Orders whose full decision trace is kept (in traces.jsonl): an analyst asking why a few
    # orders changed. Traces of all orders would be most of the run's memory and disk.
    trace_orders: frozenset[str] = frozenset()
    # The box catalogue shipments are packed into (docs/packaging.md); None: one parcel
    # each. A path, read by the process that runs the replay; `packaging_sha256` is the
    # content the simulation started with, when it checked the file for every run at once.
    packaging: Path | None = None
    packaging_sha256: str | None = None

    def __post_init__(self) -> None:
        check_date_range(self.date_from, self.date_to)


def check_date_range(date_from: date | None, date_to: date | None) -> None:
    """A range that ends before it starts selects nothing, which is surely a mistake."""
    if date_from is not None and date_to is not None and date_from > date_to:
        raise SimulationError(
            f"date_from {date_from.isoformat()} is after date_to {date_to.isoformat()}"
        )


@dataclass
class RunResult:
    out: Path
    summary: dict[str, Any]
    orders: int
    seconds: float
    # Of `seconds`, the time spent inside the Decider: the rest is the replay's own cost.
    decide_seconds: float = 0.0
    # CPU time of the loop: on a shared machine a steadier measure than wall-clock time.
    cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


def run_boxes(spec: RunSpec) -> RunBoxes | None:
    """The run's box catalogue, read now (None: packaging off)."""
    if spec.packaging is None:
        return None
    return read_boxes(spec.packaging, sha256=spec.packaging_sha256)


def build_decider(spec: RunSpec, boxes: RunBoxes | None = None) -> Decider:
    """The production Decider for `spec`; `boxes`: its catalogue as `run_boxes` read it
    (None: read here, when the spec names one)."""
    catalog = load_catalog(spec.carriers_dir) if spec.carriers_dir else load_catalog()
    boxes = boxes if boxes is not None else run_boxes(spec)
    packaging = boxes.catalog if boxes is not None else None
    return Decider(registry_for(spec.rulesets), catalog, spec.settings, packaging=packaging)


def run_simulation(spec: RunSpec, progress: Progress | None = None) -> RunResult:
    """Replay `spec.dataset` with `spec.rulesets`; results land atomically in `spec.out`."""
    boxes = run_boxes(spec)  # once: the Decider packs with it, the replay records the parcels
    return replay(spec, build_decider(spec, boxes), progress, boxes)


def replay(
    spec: RunSpec,
    decider: DecidesOrders,
    progress: Progress | None = None,
    boxes: RunBoxes | None = None,
) -> RunResult:
    """The replay loop itself, with any Decider (tests pass a double); `boxes` as for
    `build_decider`."""
    boxes = boxes if boxes is not None else run_boxes(spec)
    dataset = Dataset(spec.dataset)
    world = _World.load(dataset, boxes.catalog if boxes is not None else None)
    in_range = _count_in_range(spec, dataset)
    if in_range == 0:
        # Before any result is written: an empty run would replace the last real one.
        raise SimulationError(_nothing_in_range(spec, dataset))
    total = in_range if spec.limit is None else min(spec.limit, in_range)
    kpis = Kpis(packaging=boxes is not None)
    tick = progress or (lambda done, total: None)
    # Often enough for a smooth bar on a small history, rarely enough to cost nothing.
    every = max(1, min(PROGRESS_EVERY, total // 100))
    day = _Day()
    started, cpu_started = time.perf_counter(), time.process_time()
    with RunWriter(spec.out, packaging=boxes is not None) as writer:
        done, deciding, failed_before = 0, 0.0, 0
        keep = spec.trace_orders
        for order in dataset.read("orders", to_order):
            if done >= total:
                break
            created = order.created_at.date()
            if spec.date_to is not None and created > spec.date_to:
                break
            before_range = spec.date_from is not None and created < spec.date_from
            day.advance(created, world, kpis, count=not before_range)
            if world.synthesise_products:
                world.know_skus_of(order)
            before = time.perf_counter()
            decision = _decide(decider, world, order, day.shipments, order.id in keep)
            if not before_range:
                deciding += time.perf_counter() - before
            _book(world.ledger, order, decision, day.shipments)
            if before_range:
                failed_before = world.ledger.failed_reservations
                continue  # moves stock as it did, but is not part of the results
            _record(spec, writer, kpis, order, decision, world)
            done += 1
            if done % every == 0:
                tick(done, total)
        day.close(world, kpis)
        kpis.failed_reservations = world.ledger.failed_reservations - failed_before
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        summary = _summary(spec, dataset, kpis, boxes)
        timing = {"orders": done, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                  "decide_seconds": round(deciding, 3)}  # fmt: skip
        writer.finish(summary, timing)
    tick(done, total)
    return RunResult(spec.out, summary, done, seconds, deciding, cpu)


def _count_in_range(spec: RunSpec, dataset: Dataset) -> int:
    """Orders the run will record: all of them, or a pass over the data set for a range."""
    if spec.date_from is None and spec.date_to is None:
        return dataset.order_count
    return sum(
        1
        for order in dataset.read("orders", to_order)
        if _within(order.created_at.date(), spec.date_from, spec.date_to)
    )


def _nothing_in_range(spec: RunSpec, dataset: Dataset) -> str:
    first = str(dataset.manifest.get("first_order_at") or "?")[:10]
    last = str(dataset.manifest.get("last_order_at") or "?")[:10]
    start = spec.date_from.isoformat() if spec.date_from else "its start"
    end = spec.date_to.isoformat() if spec.date_to else "its end"
    return (
        f"no order of data set {dataset.manifest.get('name')!r} was created from {start} to "
        f"{end}: its orders run from {first} to {last}"
    )


def _within(day: date, date_from: date | None, date_to: date | None) -> bool:
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


class _Day:
    """The replay clock's current day: shipments planned per location so far today."""

    def __init__(self) -> None:
        self.date: date | None = None
        self.shipments: dict[str, int] = defaultdict(int)
        # Days before the requested range run only to move stock: not counted in KPIs.
        self.counted = True

    def advance(self, today: date, world: _World, kpis: Kpis, *, count: bool = True) -> None:
        """On a new day: count yesterday's capacity breaches, start afresh, land receipts."""
        if today == self.date:
            return
        self.close(world, kpis)
        self.date, self.shipments, self.counted = today, defaultdict(int), count
        world.ledger.receive_until(today)

    def close(self, world: _World, kpis: Kpis) -> None:
        if self.date is not None and self.counted:
            kpis.close_day(self.shipments, world.capacity)


def _record(
    spec: RunSpec, writer: RunWriter, kpis: Kpis, order: Order, decision: Decision, world: _World
) -> None:
    outcome = order_outcome(order, decision, located=world.located(order), unplaced=world.unplaced)
    if world.packaging is not None:
        add_parcels(outcome, decision, world.products, world.packaging)
    kpis.add(outcome)
    count_fired_rules(decision.trace, kpis.rule_hits)
    writer.add(outcome)
    if order.id in spec.trace_orders:
        writer.trace(order.id, decision.trace)


@dataclass
class _World:
    """The reference data of a data set, loaded once per run."""

    ledger: StockLedger
    # A tuple: the Decider knows the very tuple it was last given holds the same locations.
    locations: tuple[Location, ...]
    capacity: dict[str, int]
    products: dict[str, Product]
    customers: dict[str, Customer]
    # A history without a product master: every SKU is known, weightless and plain, rather
    # than every order rejected by the pipeline's unknown-SKU check.
    synthesise_products: bool = False
    # Locations the Decider cannot place on the map: its distance from them is 0.0, which
    # their shipments must not add to the distance KPIs as if it were a distance.
    unplaced: frozenset[str] = frozenset()
    # The box catalogue the Decider packs with (None: off), to record each shipment's parcels.
    packaging: BoxCatalog | None = None

    @staticmethod
    def located(order: Order) -> bool:
        """Whether the Decider knew where `order` ships to (or took its distances as 0.0)."""
        ship_to = order.ship_to
        return _placed(ship_to.postal_code, ship_to.country, ship_to.lat, ship_to.lon)

    def know_skus_of(self, order: Order) -> None:
        """With no product master, a plain product for each SKU the first time one is ordered
        (the orders are streamed, so the SKUs are not all known up front)."""
        products = self.products
        for line in order.lines:
            if line.sku not in products:
                products[line.sku] = Product(sku=line.sku, name=line.sku)

    @classmethod
    def load(cls, dataset: Dataset, packaging: BoxCatalog | None = None) -> _World:
        locations = tuple(dataset.read("locations", to_location))
        stock = dataset.read(
            "stock",
            lambda r: Stock(
                r["sku"], r["location_code"], on_hand=r["on_hand"], safety_stock=r["safety_stock"]
            ),
        )
        numbers = itertools.count(1)
        receipts = dataset.read("receipts", lambda r: to_receipt(r, next(numbers)))
        return cls(
            ledger=StockLedger(stock, receipts),
            locations=locations,
            capacity={loc.code: loc.daily_capacity for loc in locations},
            products={p.sku: p for p in dataset.read("products", to_product)},
            customers={c.id: c for c in dataset.read("customers", to_customer)},
            synthesise_products=not dataset.manifest["counts"].get("products"),
            unplaced=frozenset(
                loc.code
                for loc in locations
                if not _placed(loc.address.postal_code, loc.address.country, loc.lat, loc.lon)
            ),
            packaging=packaging,
        )


def _placed(postal_code: str, country: str, lat: float | None, lon: float | None) -> bool:
    """Whether the Decider has coordinates for an address: its own, or its postal code's
    (the test `engine.pipeline.decide` makes before it measures a distance)."""
    if lat is not None and lon is not None:
        return True
    return postal_code_coordinates(postal_code, country) is not None


def _decide(
    decider: DecidesOrders,
    world: _World,
    order: Order,
    today: Mapping[str, int],
    full_trace: bool,
) -> Decision:
    try:
        return decider.decide(
            order,
            world.customers.get(order.customer_id),
            world.products,
            world.locations,
            world.ledger,
            order.created_at,
            # Pending receipts matter only to an order short of stock: the Decider asks.
            inbound=lambda: world.ledger.pending(line.sku for line in order.lines),
            shipments_today=today,
            # Only the orders named in `trace_orders` keep their full trace; the rest keep the
            # matched rules per step, all the KPIs read (a quarter of the Decider's work).
            trace=full_trace,
        )
    except DomainError as error:
        # One order the engine refuses must not end a million-order run; it is counted.
        return Decision("error", order.id, error.code, error.message)
    except OverflowError:
        # A date near the end of the calendar (year 9999), which imports now refuse but an
        # older data set may hold: a ship or promise date computed from it does not exist.
        requested = order.requested_date
        raise SimulationError(
            f"order {order.id!r} (created {order.created_at.date().isoformat()}"
            f"{', requested ' + requested.isoformat() if requested else ''}): a date computed "
            "from it falls past the year 9999; correct the order's dates and re-import the "
            "data set"
        ) from None


def _book(ledger: StockLedger, order: Order, decision: Decision, today: dict[str, int]) -> None:
    """Reserve what was allocated and count the shipments against today's capacity."""
    if decision.outcome not in SOURCED:
        return
    for allocation in decision.allocations:
        if allocation.reserve:
            ledger.reserve(
                allocation.sku, allocation.location_code, allocation.quantity, order.channel
            )
    for shipment in decision.shipments:
        today[shipment.location_code] += 1


def _summary(
    spec: RunSpec, dataset: Dataset, kpis: Kpis, boxes: RunBoxes | None = None
) -> dict[str, Any]:
    """Everything deterministic about a run: the same inputs give byte-identical text."""
    summary: dict[str, Any] = {
        "format": 1,
        "run": spec.name,
        "dataset": {
            "name": dataset.manifest.get("name"),
            "fingerprint": dataset.fingerprint(),
            "orders": dataset.order_count,
        },
        "rulesets": fingerprints(spec.rulesets),
        "limit": spec.limit,
        "date_from": spec.date_from.isoformat() if spec.date_from else None,
        "date_to": spec.date_to.isoformat() if spec.date_to else None,
        "products_synthesised": not dataset.manifest["counts"].get("products"),
        "kpis": kpis.to_dict(),
        "rule_hits": dict(sorted(kpis.rule_hits.items())),
    }
    if boxes is not None:
        # Only when on: a run without packaging writes the summary it always wrote.
        summary["packaging"] = boxes.describe()
    return summary
