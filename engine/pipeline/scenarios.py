"""Pipeline scenarios: YAML files saying "given this world and these steps, expect this".

A file declares a world (locations, products, customers, stock, inbound supply, rulesets,
settings, the clock) and a list of scenarios. Each scenario is a list of steps run through
the real message bus and handlers on an in-memory unit of work: `order` (create and process;
`fulfilment: pickup` with a `pickup_location` makes it click and collect, checked as the API
checks it), `cancel`, `cancel_backordered` (units of a live order's remainder,
`lines: {2: 1}`; every unit that waits without `lines`), `modify` (quantities, lines, the
address, or a switch between `fulfilment: ship` and `pickup` at a `pickup_location`),
`release_hold`, `pick`/`pack`/`ship`/`deliver` (a location's shipment), `adjust`, `receive`,
`transfer`, `receive_transfer`, `expire` (after advancing the clock), `consolidate`,
`advance` (move the clock), `release_preorders` (the pre-order release the worker runs on a
schedule, as of the clock's date or `today`). A step's `expect` checks the persisted state of
the order it names (or the last one): status, allocations per line and location, backorders,
units cancelled per line, shipments and carriers, hold or reject codes, trace fragments,
stock counters, other orders' statuses (`orders`), parcels and boxes per location.

Scenarios decide as production does when given its box catalogue (`packaging`, what
`ORDO_PACKAGING_FILE` names): shipments are packed and priced per parcel. Without one, each
shipment is one parcel, as without packaging in production. A file may name its own at its
top level (`packaging: boxes.yaml`, relative to the file, or `packaging: none`), which wins
over the one it is run with; `ordo rules test`'s flags win over the file's.

`run_scenario_file(path)` is what `ordo rules test` and pytest call.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from dsl.diagnostics import suggest
from engine.domain import commands as c
from engine.domain.catalog import Customer, Location, LocationType, Product, Service
from engine.domain.errors import DomainError
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.inventory import InboundKind, InboundSupply, ReservationStatus, Stock
from engine.domain.orders import Fulfilment, InvalidLine, LineStatus, OrderStatus, check_pickup
from engine.domain.packaging import BoxCatalog, PackagingError
from engine.domain.values import Address, Dimensions
from engine.pipeline.carriers import CarrierCatalog, load_catalog
from engine.pipeline.decide import Decider, DeciderSettings
from engine.rules.registry import RulesetRegistry


@dataclass
class ScenarioResult:
    file: str
    name: str
    passed: bool
    failures: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        detail = "".join(f"\n    - {f}" for f in self.failures)
        return f"{mark} {self.file}: {self.name}{detail}"


class ScenarioError(DomainError):
    code = "invalid_scenario"


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _time(value: Any) -> time:
    hours, minutes = str(value).split(":")
    return time(int(hours), int(minutes))


def _location(spec: Mapping[str, Any]) -> Location:
    return Location(
        code=str(spec["code"]),
        name=str(spec.get("name", spec["code"])),
        type=LocationType(spec.get("type", "warehouse")),
        address=Address(
            str(spec.get("postal_code", "")),
            state=str(spec.get("state", "")),
            lat=spec.get("lat"),
            lon=spec.get("lon"),
        ),
        daily_capacity=int(spec.get("capacity", 1000)),
        cutoff=_time(spec.get("cutoff", "17:00")),
        tags=frozenset(spec.get("tags", [])),
        services=frozenset(Service(s) for s in spec.get("services", ["ship"])),
        enabled=bool(spec.get("enabled", True)),
    )


def _product(spec: Mapping[str, Any]) -> Product:
    dims = spec.get("dimensions_cm") or [0, 0, 0]
    return Product(
        sku=str(spec["sku"]),
        name=str(spec.get("name", spec["sku"])),
        price=_price(spec.get("price", "10.00")),
        weight_kg=float(spec.get("weight_kg", 1.0)),
        dimensions=Dimensions(*(float(d) for d in dims)),
        hazmat=bool(spec.get("hazmat", False)),
        category=str(spec.get("category", "")),
        tags=frozenset(spec.get("tags", [])),
        preorder_release=_date(spec["preorder_release"]) if spec.get("preorder_release") else None,
        dropship_vendor=spec.get("dropship_vendor"),
    )


def _stock(spec: Mapping[str, Any]) -> Stock:
    return Stock(
        sku=str(spec["sku"]),
        location_code=str(spec["location"]),
        on_hand=int(spec.get("on_hand", 0)),
        reserved=int(spec.get("reserved", 0)),
        safety_stock=int(spec.get("safety_stock", 0)),
        channel_allocations={str(k): int(v) for k, v in (spec.get("allocations") or {}).items()},
        reorder_point=int(spec.get("reorder_point", 0)),
    )


def _rulesets(spec: Mapping[str, Any], base: Path) -> RulesetRegistry:
    sources = []
    for entry in spec.get("rulesets", []) or []:
        text = str(entry)
        if "\n" not in text and text.endswith(".ordo"):
            text = (base / text).read_text(encoding="utf-8")
        sources.append(text)
    return RulesetRegistry.from_sources(sources)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@functools.cache
def _catalog() -> CarrierCatalog:
    """The demo rate cards, read once: they are immutable, and reading their YAML for every
    scenario was nine tenths of a scenario's time (200 scenarios sent to the API took 19 s)."""
    return load_catalog()


@dataclass
class World:
    """One scenario's engine: bus, unit of work and clock over a freshly built world."""

    bus: Any
    uow: Any
    clock: _Clock
    decider: Decider
    last_order: str = ""
    last_transfer: str = ""


def build_world(spec: Mapping[str, Any], base: Path, packaging: BoxCatalog | None = None) -> World:
    """`packaging`: the box catalogue the Decider packs shipments with (None: one parcel each)."""
    from engine.adapters.memory import InMemoryUnitOfWork
    from engine.service_layer.handlers import PipelineOptions
    from engine.service_layer.messagebus import build_bus

    uow = InMemoryUnitOfWork()
    with uow:
        for loc in spec.get("locations", []):
            uow.locations.add(_location(loc))
        for product in spec.get("products", []):
            uow.products.add(_product(product))
        for customer in spec.get("customers", []):
            uow.customers.add(
                Customer(
                    str(customer["id"]),
                    str(customer.get("email", "")),
                    tier=str(customer.get("tier", "standard")),
                    group=str(customer.get("group", "")),
                )
            )
        for row in spec.get("stock", []):
            uow.stock.add(_stock(row))
        for number, supply in enumerate(spec.get("inbound", []), start=1):
            uow.inbound.add(
                InboundSupply(
                    id=str(supply.get("id", f"po-{number}")),
                    sku=str(supply["sku"]),
                    location_code=str(supply["location"]),
                    quantity=int(supply["quantity"]),
                    expected_on=_date(supply["expected_on"]),
                    kind=InboundKind.PURCHASE_ORDER,
                )
            )
        uow.commit()
    settings = dict(spec.get("settings") or {})
    options = PipelineOptions(
        auto_release=bool(settings.pop("auto_release", True)),
        reservation_ttl=timedelta(minutes=int(settings.pop("reservation_ttl_minutes")))
        if "reservation_ttl_minutes" in settings
        else None,
    )
    decider = Decider(_rulesets(spec, base), _catalog(), DeciderSettings(**settings), packaging)
    clock = _Clock(_datetime(spec.get("now", "2026-11-18T10:00:00")))
    bus = build_bus(lambda: uow, decider, clock, options)
    return World(bus, uow, clock, decider)


# --- steps ------------------------------------------------------------------------------------


_ORDER_KEYS = (
    "id",
    "channel",
    "channel_order_id",
    "customer",
    "ship_to",
    "lines",
    "service_level",
    "requested_date",
    "priority",
    "fulfilment",
    "pickup_location",
)
_LINE_KEYS = ("sku", "qty", "quantity", "price")
_LINE_EXAMPLE = "{sku: MUG-1, qty: 2}"
_ORDER_EXAMPLE = f'{{ship_to: "10001", lines: [{_LINE_EXAMPLE}]}}'


def _only_known(spec: Mapping[str, Any], known: Sequence[str], what: str) -> None:
    """ScenarioError for the first key of `spec` not in `known`: read with defaults, a
    misspelt key (`chanel: marketplace`) would be dropped and the scenario would test the
    default while saying it tests something else."""
    for key in spec:
        if key not in known:
            hint = suggest(str(key), known)
            raise ScenarioError(f"{what} has no field '{key}'" + (f" ({hint})" if hint else ""))


def _shown(value: Any) -> str:
    """A value as the scenario's YAML wrote it (`true`, `1.5`, `"2"`)."""
    return json.dumps(value, default=str)


def _whole(value: Any, what: str, least: int | None = None) -> int:
    """`value` as a whole number (at least `least`), or ScenarioError naming `what` and the
    value. `int()` would take YAML's `1.5` as 1 and `true` as 1 without a word, and the
    scenario would test another number than the one it shows."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if whole and (least is None or value >= least):
        return int(value)
    wanted = "a whole number" + (f" of at least {least}" if least is not None else "")
    raise ScenarioError(f"{what} must be {wanted}, got {_shown(value)}")


def _quantity(line: Mapping[str, Any], what: str) -> int:
    """An order line's units (`qty`, or `quantity`; 1 when it gives neither)."""
    key = "qty" if "qty" in line else "quantity"
    return _whole(line[key], f"the {key} of {what}", 1) if key in line else 1


_ADVANCE_KEYS = ("minutes", "days")


def _advance(arg: Any) -> timedelta:
    """How far an `advance` step moves the clock: forward, by something. A step that moves it
    back would let a scenario decide orders before they were placed; one that moves it by
    nothing (`advance: {}`, a misspelt `mins`) is a mistake that would pass unnoticed."""
    if arg is None:
        arg = {}
    if not isinstance(arg, Mapping):
        raise ScenarioError(f"advance takes minutes and days, such as {{minutes: 30}}, not {arg!r}")
    _only_known(arg, _ADVANCE_KEYS, "advance")
    minutes, days = (_whole(arg.get(key, 0), f"advance {key}") for key in _ADVANCE_KEYS)
    for key, value in (("minutes", minutes), ("days", days)):
        if value < 0:
            raise ScenarioError(
                f"advance {key} must not be negative, got {value}: the clock only moves forward"
            )
    if not minutes and not days:
        raise ScenarioError("advance moves the clock by nothing: give it minutes or days")
    try:
        return timedelta(minutes=minutes, days=days)
    except OverflowError:
        raise ScenarioError(
            f"advance moves the clock off the calendar (minutes {minutes}, days {days})"
        ) from None


def _fulfilment(arg: Mapping[str, Any], what: str) -> tuple[str | None, str | None]:
    """The `fulfilment` and `pickup_location` a step gives (None where it gives none), or
    ScenarioError naming a way to the customer that is neither `ship` nor `pickup`."""
    fulfilment, store = arg.get("fulfilment"), arg.get("pickup_location")
    known = [str(f) for f in Fulfilment]
    if fulfilment is not None and fulfilment not in known:
        hint = suggest(str(fulfilment), known)
        raise ScenarioError(
            f"{what}'s fulfilment {_shown(fulfilment)} is not one of {', '.join(known)}"
            + (f" ({hint})" if hint else "")
        )
    return fulfilment, None if store is None else str(store)


def _pickup(arg: Mapping[str, Any]) -> tuple[str, str | None]:
    """An order's way to the customer, checked as the API checks it (`check_pickup`: a
    pickup names its store, a shipped order none); the store itself is the engine's to
    check when the order is placed, as for the API."""
    fulfilment, store = _fulfilment(arg, "an order")
    fulfilment = fulfilment or str(Fulfilment.SHIP)
    try:
        check_pickup(Fulfilment(fulfilment), store)
    except InvalidLine as invalid:
        raise ScenarioError(f"an order's pickup_location: {invalid.reason}") from None
    return fulfilment, store


def _order_command(spec: Mapping[str, Any], number: int) -> c.CreateOrder:
    if not isinstance(spec, Mapping):
        raise ScenarioError(f"an order is a mapping such as {_ORDER_EXAMPLE}, not {spec!r}")
    _only_known(spec, _ORDER_KEYS, "an order")
    for line in spec.get("lines", []):
        if not isinstance(line, Mapping):
            raise ScenarioError(f"an order line is a mapping such as {_LINE_EXAMPLE}, not {line!r}")
        _only_known(line, _LINE_KEYS, "an order line")
    ship_to = spec.get("ship_to", "10001")
    address = (
        c.AddressInput(str(ship_to))
        if not isinstance(ship_to, Mapping)
        else c.AddressInput(**{k: str(v) for k, v in ship_to.items()})
    )
    lines = tuple(
        c.LineInput(
            str(line["sku"]),
            _quantity(line, f"line {index}"),
            _price(line["price"]) if "price" in line else None,
        )
        for index, line in enumerate(spec.get("lines", []), start=1)
    )
    fulfilment, store = _pickup(spec)
    return c.CreateOrder(
        channel=str(spec.get("channel", "web")),
        channel_order_id=str(spec.get("channel_order_id", spec.get("id", f"S-{number}"))),
        customer_id=str(spec.get("customer", "c1")),
        ship_to=address,
        lines=lines,
        service_level=str(spec.get("service_level", "standard")),
        requested_date=_date(spec["requested_date"]) if spec.get("requested_date") else None,
        priority=int(spec.get("priority", 0)),
        order_id=str(spec["id"]) if "id" in spec else None,
        fulfilment=fulfilment,
        pickup_location=store,
    )


def _modify_quantities(arg: Mapping[str, Any]) -> tuple[dict[str, int], list[int]]:
    """A `modify` step's new quantities per line, and the units of each line it adds."""
    if not isinstance(arg.get("quantities") or {}, Mapping):
        raise ScenarioError("modify's `quantities` maps line ids to new quantities, such as {1: 3}")
    for line in arg.get("add_lines") or []:
        if not isinstance(line, Mapping):
            raise ScenarioError(
                f"modify's `add_lines` are mappings such as {_LINE_EXAMPLE}, not {line!r}"
            )
    quantities = {
        str(line): _whole(units, f"the new quantity of line {line}", 1)
        for line, units in (arg.get("quantities") or {}).items()
    }
    added = [
        _quantity(line, f"added line {index}")
        for index, line in enumerate(arg.get("add_lines") or [], start=1)
    ]
    return quantities, added


def _units_to_cancel(arg: Mapping[str, Any]) -> dict[str, int] | None:
    """A `cancel_backordered` step's units per line; None (no `lines`) cancels all that waits."""
    lines = arg.get("lines")
    if lines is None:
        return None
    if not isinstance(lines, Mapping):
        raise ScenarioError(
            "cancel_backordered's `lines` maps line ids to the units to cancel, such as {2: 1}"
        )
    return {
        str(line): _whole(units, f"the units to cancel of line {line}", 1)
        for line, units in lines.items()
    }


# The number a stock step moves, whole but of either sign: the engine says which it refuses
# (a scenario may expect that refusal as its `error`).
_STOCK_NUMBERS = {"adjust": "delta", "receive": "quantity", "transfer": "quantity"}


def _stock_number(action: str, arg: Mapping[str, Any]) -> int:
    key = _STOCK_NUMBERS[action]
    return _whole(arg[key], f"{action} {key}")


def _step_values(action: str, arg: Any) -> None:
    """ScenarioError for a number a step gives that the engine would take as another (a
    truncated `1.5`, a `true`) or that no step can mean (no units, a clock going back)."""
    if action == "advance":
        _advance(arg)
    elif not isinstance(arg, Mapping):
        return  # a step of the wrong shape is refused when it runs, with its own words
    elif action == "order":
        lines = arg.get("lines")
        for index, line in enumerate(lines if isinstance(lines, list) else [], start=1):
            if isinstance(line, Mapping):
                _quantity(line, f"line {index}")
        _pickup(arg)
    elif action == "modify":
        _modify_quantities(arg)
        _fulfilment(arg, "modify")
    elif action == "cancel_backordered":
        _units_to_cancel(arg)
    elif action in _STOCK_NUMBERS and _STOCK_NUMBERS[action] in arg:
        _stock_number(action, arg)


# Where a shipment already is once a step has been done to it: a location may ship an order
# twice (a backordered remainder sourced later), and `ship` then means the one not yet shipped.
_DONE = {
    "pick": {ShipmentStatus.PICKED, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED},
    "pack": {ShipmentStatus.PACKED, ShipmentStatus.SHIPPED},
    "ship": {ShipmentStatus.SHIPPED},
    "deliver": set(),
}


def _shipment_at(world: World, order_id: str, location: str, action: str = "ship") -> str:
    with world.uow:
        live = [
            s
            for s in world.uow.shipments.for_order(order_id)
            if s.location_code == location and s.status is not ShipmentStatus.CANCELLED
        ]
    done = _DONE[action] | {ShipmentStatus.DELIVERED}
    for shipment in live:
        if shipment.status not in done:
            return str(shipment.id)
    if live:
        return str(live[0].id)  # nothing left to move: the handler says why
    raise ScenarioError(f"order {order_id} has no shipment from {location}")


def _run_step(world: World, step: Mapping[str, Any], number: int) -> str:
    """Run one step; returns the id of the order it concerns."""
    bus, action = world.bus, next(k for k in step if k != "expect")
    arg = step[action] if isinstance(step[action], Mapping) else {}
    order_id = str(arg.get("order", world.last_order))
    if action == "order":
        order_id = bus.handle(_order_command(step[action], number))
    elif action == "cancel":
        bus.handle(c.CancelOrder(order_id, str(arg.get("reason", "customer request"))))
    elif action == "cancel_backordered":
        reason = str(arg.get("reason", "customer would not wait"))
        bus.handle(c.CancelBackordered(order_id, reason, _units_to_cancel(arg)))
    elif action == "modify":
        ship_to = c.AddressInput(str(arg["ship_to"])) if "ship_to" in arg else None
        quantities, added = _modify_quantities(arg)
        fulfilment, store = _fulfilment(arg, "modify")
        bus.handle(
            c.ModifyOrder(
                order_id,
                quantities=quantities,
                ship_to=ship_to,
                add_lines=tuple(
                    c.LineInput(str(x["sku"]), units)
                    for x, units in zip(arg.get("add_lines") or [], added, strict=True)
                ),
                remove_lines=tuple(str(x) for x in arg.get("remove_lines", [])),
                fulfilment=fulfilment,
                pickup_location=store,
            )
        )
    elif action == "release_hold":
        bus.handle(c.ReleaseHold(order_id, str(arg.get("actor", "support"))))
    elif action == "release":
        bus.handle(c.ReleaseOrder(order_id))
    elif action in ("pick", "pack", "ship", "deliver"):
        status = {"pick": "picked", "pack": "packed", "ship": "shipped", "deliver": "delivered"}
        shipment = _shipment_at(world, order_id, str(arg["location"]), action)
        bus.handle(c.UpdateShipment(shipment, status[action], str(arg.get("tracking", ""))))
    elif action == "adjust":
        bus.handle(c.AdjustStock(str(arg["sku"]), str(arg["location"]), _stock_number(action, arg)))
    elif action == "receive":
        bus.handle(
            c.ReceiveStock(
                str(arg["sku"]),
                str(arg["location"]),
                _stock_number(action, arg),
                str(arg.get("reference", "")),
            )
        )
    elif action == "transfer":
        world.last_transfer = bus.handle(
            c.TransferStock(
                str(arg["sku"]),
                str(arg["from"]),
                str(arg["to"]),
                _stock_number(action, arg),
                _date(arg.get("expected_on", world.clock.now.date())),
            )
        )
    elif action == "receive_transfer":
        bus.handle(c.ReceiveTransfer(str(arg.get("transfer", world.last_transfer))))
    elif action == "advance":
        by = _advance(step[action])
        try:
            world.clock.now += by
        except OverflowError:
            raise ScenarioError(
                f"advance moves the clock off the calendar ({by.days} days after "
                f"{world.clock.now:%Y-%m-%d})"
            ) from None
    elif action == "release_preorders":
        bus.handle(c.ReleaseDuePreorders(_date(arg["today"]) if "today" in arg else None))
    elif action == "expire":
        bus.handle(c.ExpireReservations())
    elif action == "consolidate":
        merged = bus.handle(c.ConsolidateOrders(str(arg.get("customer", "c1"))))
        order_id = merged or order_id
    else:
        raise ScenarioError(f"step {number}: unknown action '{action}'")
    world.last_order = order_id
    return order_id


# --- expectations -----------------------------------------------------------------------------


def _latest(traces: Sequence[Any], step: str) -> dict[str, Any]:
    found = [t for t in traces if t.step == step]
    found.sort(key=lambda t: (t.at, int(t.detail.get("order_version", 0))))
    return dict(found[-1].detail) if found else {}


def _observe(
    world: World, order_id: str, wanted: Collection[str] = ("stock", "orders")
) -> dict[str, Any]:
    """The persisted state an expectation may look at. Every stock row and every order are
    read only when `wanted`: the in-memory unit of work copies each one it loads, and a
    scenario of many orders would otherwise read all of them at every step."""
    uow = world.uow
    with uow:
        order = uow.orders.get(order_id)
        if order is None:
            raise ScenarioError(f"order {order_id} does not exist")
        traces = sorted(uow.traces.for_order(order_id), key=lambda t: (t.at, t.id))
        shipments = [
            s for s in uow.shipments.for_order(order_id) if s.status is not ShipmentStatus.CANCELLED
        ]
        reservations = [
            r for r in uow.reservations.for_order(order_id) if r.status is ReservationStatus.ACTIVE
        ]
        stock = (
            {f"{s.sku}@{s.location_code}": s for s in uow.stock.list(limit=100_000)}
            if "stock" in wanted
            else {}
        )
        orders = (
            {o.id: str(o.status) for o in uow.orders.list(limit=100_000)}
            if "orders" in wanted
            else {}
        )
    allocations: dict[str, dict[str, int]] = {}
    for shipment in shipments:
        for line in shipment.lines:
            per = allocations.setdefault(line.order_line_id, {})
            per[shipment.location_code] = per.get(shipment.location_code, 0) + line.quantity
    sourcing = _latest(traces, "sourcing")
    reserved: dict[str, int] = {}
    for r in reservations:
        key = f"{r.sku}@{r.location_code}"
        reserved[key] = reserved.get(key, 0) + r.quantity
    return {
        "status": str(order.status),
        "outcome": sourcing.get("outcome") or _latest(traces, "validation").get("outcome", ""),
        "holds": [h.code for h in order.active_holds],
        "reject": _latest(traces, "validation").get("code", ""),
        "allocations": allocations,
        "shipments": len(shipments),
        "carriers": {s.location_code: f"{s.carrier}/{s.service}" for s in shipments},
        "parcels": _parcels(shipments),
        "boxes": _boxes(shipments),
        "packed": world.decider.packaging is not None,
        "backorders": {b["line"]: b["quantity"] for b in sourcing.get("backorders", [])},
        "backorder_modes": {b["line"]: b["mode"] for b in sourcing.get("backorders", [])},
        "promised_date": order.promised_date.isoformat() if order.promised_date else None,
        "reserved": reserved,
        "stock": stock,
        "lines": {line.id: str(line.status) for line in order.lines},
        "quantities": {line.id: line.quantity for line in order.lines},
        "cancelled": {line.id: line.quantity_cancelled for line in order.lines},
        "excluded": {
            k: v.get("excluded", {})
            for k, v in sourcing.get("sourcing", {}).get("lines", {}).items()
        },
        "optimiser": sourcing.get("optimiser", {}).get("method"),
        "trace_text": json.dumps([t.detail for t in traces], default=str),
        "trace_steps": [t.step for t in traces],
        "orders": orders,
    }


def _parcels(shipments: Sequence[Any]) -> dict[str, int]:
    """The parcels each location ships the order in: a shipment not packed (no catalogue,
    or no boxes at its location) is one, as carrier rules count it (`shipment.parcels`)."""
    found: dict[str, int] = {}
    for s in shipments:
        found[s.location_code] = found.get(s.location_code, 0) + (len(s.parcels) or 1)
    return found


def _boxes(shipments: Sequence[Any]) -> dict[str, list[str | None]]:
    """The boxes each location packs the order into, in packing order; None for a unit that
    ships alone, in its own packaging. A shipment not packed uses none."""
    found: dict[str, list[str | None]] = {}
    for s in shipments:
        found.setdefault(s.location_code, []).extend(p.box or None for p in s.parcels)
    return found


# Said when parcels or boxes differ and no catalogue was given: the likely reason.
_UNPACKED = " (no box catalogue: each shipment is one parcel, in no box)"


def _check(expect: Mapping[str, Any], seen: Mapping[str, Any]) -> list[str]:
    failures: list[str] = []

    def same(key: str, want: Any, got: Any) -> None:
        if want != got:
            why = _UNPACKED if key in ("parcels", "boxes") and not seen.get("packed") else ""
            failures.append(f"{key}: expected {want!r}, got {got!r}{why}")

    plain = {"status", "outcome", "shipments", "optimiser", "promised_date"}
    for key, want in expect.items():
        if key in plain:
            same(key, str(want) if key == "promised_date" else want, seen[key])
        elif key == "hold":
            if want not in seen["holds"]:
                failures.append(f"hold: expected '{want}' among active holds {seen['holds']}")
        elif key == "reject":
            same(key, want, seen["reject"])
        elif key in _KEYED_EXPECTS:
            got = seen[key]
            wanted = {str(k): v for k, v in want.items()}
            if key == "orders":
                got = {k: v for k, v in got.items() if k in wanted}
            same(key, wanted, got)
        elif key in ("backorders", "backorder_modes"):
            same(key, {str(k): v for k, v in want.items()}, seen[key])
        elif key == "stock":
            for where, counters in want.items():
                row = seen["stock"].get(where)
                if row is None:
                    failures.append(f"stock: no row {where}")
                    continue
                for name, value in counters.items():
                    same(f"stock {where}.{name}", value, getattr(row, name))
        elif key == "excluded":
            for line, per_loc in want.items():
                got_line = seen["excluded"].get(str(line), {})
                for loc, fragment in per_loc.items():
                    if fragment not in got_line.get(loc, ""):
                        failures.append(
                            f"excluded[{line}][{loc}]: expected '{fragment}' in "
                            f"{got_line.get(loc)!r}"
                        )
        elif key == "trace":
            for fragment in want:
                if str(fragment) not in seen["trace_text"]:
                    failures.append(f"trace: '{fragment}' not found")
        elif key == "trace_steps":
            for step in want:
                if step not in seen["trace_steps"]:
                    failures.append(f"trace_steps: '{step}' missing from {seen['trace_steps']}")
        else:
            failures.append(f"unknown expectation '{key}'")
    return failures


def run_scenario(
    spec: Mapping[str, Any],
    scenario: Mapping[str, Any],
    base: Path,
    file: str = "",
    packaging: BoxCatalog | None = None,
) -> ScenarioResult:
    """Run one scenario in a fresh world; `packaging`: the box catalogue to pack with."""
    name = str(scenario.get("name", "unnamed"))
    if "settings" in scenario:
        # A scenario may override the file's settings (say, to compare two optimisers).
        spec = {**spec, "settings": {**(spec.get("settings") or {}), **scenario["settings"]}}
    if "rulesets" in scenario:
        # Or add rulesets of its own to the file's (say, a priority rule for one scenario).
        spec = {**spec, "rulesets": [*(spec.get("rulesets") or []), *scenario["rulesets"]]}
    world = build_world(spec, base, packaging)
    steps = list(scenario.get("steps", []))
    if "order" in scenario:
        steps.insert(0, {"order": scenario["order"], "expect": scenario.get("expect", {})})
    failures: list[str] = []
    for number, step in enumerate(steps, start=1):
        expect = dict(step.get("expect") or {})
        wanted_error = expect.pop("error", None)
        try:
            order_id = _run_step(world, step, number)
        except DomainError as exc:
            if wanted_error is None or str(wanted_error) not in exc.message:
                # The engine's refusals are named by kind; the scenario's own mistakes speak
                # for themselves.
                kind = "" if isinstance(exc, ScenarioError) else f"{type(exc).__name__}: "
                failures.append(f"step {number}: {kind}{exc.message}")
            continue
        if wanted_error is not None:
            failures.append(f"step {number}: expected an error containing '{wanted_error}'")
            continue
        if expect:
            failures += [
                f"step {number}: {f}" for f in _check(expect, _observe(world, order_id, expect))
            ]
    return ScenarioResult(file, name, not failures, failures)


def _price(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except ArithmeticError:  # decimal.InvalidOperation says only "ConversionSyntax"
        raise ValueError(f"price {value!r} is not a number") from None


# What a scenario, a step and an expectation may say: anything else is a typo that would be
# ignored, and a scenario that ignores what it was meant to check passes without checking it.
_SCENARIO_KEYS = ("name", "description", "order", "expect", "steps", "settings", "rulesets")
_ACTIONS = (
    "order",
    "cancel",
    "cancel_backordered",
    "modify",
    "release_hold",
    "release",
    "pick",
    "pack",
    "ship",
    "deliver",
    "adjust",
    "receive",
    "transfer",
    "receive_transfer",
    "advance",
    "release_preorders",
    "expire",
    "consolidate",
)
# Expectations that map keys (line ids, locations, order ids) to what each should be.
_KEYED_EXPECTS = (
    "allocations",
    "carriers",
    "parcels",
    "boxes",
    "reserved",
    "lines",
    "quantities",
    "cancelled",
    "orders",
)
_EXPECT_KEYS = (
    "status",
    "outcome",
    "shipments",
    "optimiser",
    "promised_date",
    "hold",
    "reject",
    *_KEYED_EXPECTS,
    "backorders",
    "backorder_modes",
    "stock",
    "excluded",
    "trace",
    "trace_steps",
    "error",
)
_ORDER_STATUSES = tuple(str(status) for status in OrderStatus)
_LINE_STATUSES = tuple(str(status) for status in LineStatus)


def check_scenarios(scenarios: Sequence[Any], where: str = "") -> None:
    """Each scenario a mapping of known fields that runs something (an `order`, or `steps`
    each naming one known action, with numbers that mean what they say) and expects only
    what can be checked, or ScenarioError naming the first that is not (`where` prefixes the
    message: the file, say). No scenarios at all test nothing, and are refused too."""
    if not scenarios:
        raise ScenarioError(
            f"{where}the 'scenarios' list is empty: give at least one scenario, or the file "
            "tests nothing"
        )
    for number, scenario in enumerate(scenarios, start=1):
        steps = scenario.get("steps", []) if isinstance(scenario, dict) else None
        if not isinstance(steps, list) or not all(isinstance(step, dict) for step in steps):
            raise ScenarioError(
                f"{where}scenario {number} must be a mapping with a name and a list of steps, "
                "each step a mapping"
            )
        _check_scenario(scenario, f"{where}scenario {number}")


def _check_scenario(scenario: Mapping[str, Any], label: str) -> None:
    if scenario.get("name"):
        label += f" ({scenario['name']})"
    _only_known(scenario, _SCENARIO_KEYS, label)
    if "order" not in scenario and not scenario.get("steps"):
        raise ScenarioError(
            f"{label} has nothing to run: give it an `order` (and what to `expect` of it) "
            "or a list of `steps`"
        )
    if "expect" in scenario:
        if "order" not in scenario:
            raise ScenarioError(
                f"{label}: `expect` checks the scenario's `order`, and it has none; give each "
                "step its own `expect`"
            )
        _check_expect(scenario["expect"], label)
    if "order" in scenario:
        _check_values("order", scenario["order"], f"{label}, order")
    for number, step in enumerate(scenario.get("steps", []), start=1):
        where = f"{label}, step {number}"
        actions = [key for key in step if key != "expect"]
        if len(actions) != 1:
            found = ", ".join(map(str, actions)) or "none"
            raise ScenarioError(
                f"{where} must name one action (it names {found}): a step is one of "
                f"{', '.join(_ACTIONS)}, with an optional `expect`"
            )
        if actions[0] not in _ACTIONS:
            hint = suggest(str(actions[0]), _ACTIONS)
            raise ScenarioError(
                f"{where} has no action '{actions[0]}'"
                + (f" ({hint})" if hint else f"; actions are {', '.join(_ACTIONS)}")
            )
        _check_values(actions[0], step[actions[0]], where)
        if "expect" in step:
            _check_expect(step["expect"], where)
    if not scenario.get("expect") and not any(s.get("expect") for s in scenario.get("steps", [])):
        raise ScenarioError(
            f"{label} checks nothing: give its `order`, or one of its `steps`, an `expect`"
        )


def _check_values(action: str, arg: Any, where: str) -> None:
    try:
        _step_values(action, arg)
    except ScenarioError as error:
        raise ScenarioError(f"{where}: {error.message}") from None


def _check_expect(expect: Any, label: str) -> None:
    if expect is None:
        return
    if not isinstance(expect, Mapping):
        raise ScenarioError(f"{label}: `expect` is a mapping such as {{status: released}}")
    _only_known(expect, _EXPECT_KEYS, f"{label}: `expect`")
    _check_packing_expect(expect, label)
    statuses = [("status", expect["status"])] if "status" in expect else []
    for key in ("orders", "lines"):
        if isinstance(expect.get(key), Mapping):
            statuses += [(f"{key}[{name}]", value) for name, value in expect[key].items()]
    for key, value in statuses:
        kind, known = ("a line", _LINE_STATUSES) if key[0] == "l" else ("an order", _ORDER_STATUSES)
        if str(value) not in known:
            hint = suggest(str(value), known)
            raise ScenarioError(
                f"{label}: `expect.{key}` '{value}' is not {kind} status"
                + (f" ({hint})" if hint else f"; the statuses are {', '.join(known)}")
            )


def _check_packing_expect(expect: Mapping[str, Any], label: str) -> None:
    """ScenarioError for `parcels` or `boxes` written so no shipment could match them: each
    maps a location to its parcels' count (a whole number of at least 1), or to the box
    codes of its parcels, in packing order (null for a unit shipped alone)."""
    for key, example in (("parcels", "{EWR-01: 2}"), ("boxes", "{EWR-01: [MEDIUM, SMALL]}")):
        if key not in expect:
            continue
        want = expect[key]
        if not isinstance(want, Mapping) or not want:
            raise ScenarioError(
                f"{label}: `expect.{key}` maps each location to its {key}, such as {example}, "
                f"not {_shown(want)}"
            )
        for where, value in want.items():
            field = f"{label}: `expect.{key}[{where}]`"
            if key == "parcels":
                # `_whole`'s test: YAML's `1.5` or `true` is not a count of parcels.
                _whole(value, f"{field} (the parcels of its shipments)", 1)
            elif not isinstance(value, list) or not all(
                box is None or isinstance(box, str) for box in value
            ):
                raise ScenarioError(
                    f"{field} must be a list of box codes, such as [MEDIUM, SMALL] (null for a "
                    f"unit shipped alone), got {_shown(value)}"
                )


# A file's own box catalogue: `packaging: <path>` (relative to the file) or `packaging: none`.
PACKAGING, NO_PACKAGING = "packaging", "none"


@dataclass(frozen=True)
class OwnPackaging:
    """What a scenario file's `packaging` says, read when the file is loaded: the catalogue
    its scenarios pack with, None for `packaging: none`."""

    catalog: BoxCatalog | None


def says_no_packaging(value: Any) -> bool:
    """Whether a file's `packaging` is `none` (one parcel per shipment)."""
    return isinstance(value, str) and value.strip().lower() == NO_PACKAGING


def _own_packaging(value: Any, named_in: Path) -> OwnPackaging:
    """The catalogue `value` names, relative to `named_in` (the file that names it), or none;
    ScenarioError naming the file and the field when it is neither, or cannot be used."""
    if says_no_packaging(value):
        return OwnPackaging(None)
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(
            f"{named_in}: `packaging` must be a box catalogue's path (relative to this file) "
            f"or none, got {_shown(value)}"
        )
    from engine.pipeline.packing import load_packaging

    try:
        return OwnPackaging(load_packaging(named_in.parent / value.strip()))
    except PackagingError as error:
        raise ScenarioError(f"{named_in}: `packaging`: {error.message}") from None


def own_packaging(spec: Mapping[str, Any]) -> OwnPackaging | None:
    """What a loaded file says of its packaging (`load_scenario_file`); None: nothing."""
    own = spec.get(PACKAGING)
    return own if isinstance(own, OwnPackaging) else None


def load_scenario_file(path: Path) -> dict[str, Any]:
    # The rule language's reader, which `ordo rules test` uses for every file: why a file
    # cannot be read, or where it stops being YAML.
    from dsl.tooling import read_yaml

    data = read_yaml(path, ScenarioError)
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(f"{path}: expected a mapping with a 'scenarios' list")
    if PACKAGING in data:
        data[PACKAGING] = _own_packaging(data[PACKAGING], path)
    if "world" in data:
        # A shared world file: its lists come first, the file's own entries are added to them.
        world = path.parent / str(data.pop("world"))
        base = read_yaml(world, ScenarioError)
        if not isinstance(base, dict):
            raise ScenarioError(
                f"{world}: a world file is a mapping (locations, products, stock, ...), "
                f"not a {type(base).__name__}"
            )
        if PACKAGING in base:  # relative to the world file; the scenario file's wins
            named = base.pop(PACKAGING)
            if PACKAGING not in data:
                data[PACKAGING] = _own_packaging(named, world)
        for key, value in base.items():
            if isinstance(value, list):
                data[key] = [*value, *(data.get(key) or [])]
            else:
                data.setdefault(key, value)
    # After the world file it names is read: a broken one is told first, as other files
    # share it (and a file of no scenarios is often one being started on a shared world).
    check_scenarios(data["scenarios"], f"{path}: ")
    check_world(data, f"{path}: ")
    return data


_WORLD_LISTS = ("locations", "products", "customers", "stock", "inbound")
_OPTION_SETTINGS = ("auto_release", "reservation_ttl_minutes")


def check_world(spec: Mapping[str, Any], where: str = "") -> None:
    """ScenarioError for a world of the wrong shape, before any scenario runs: building it
    would fail with Python's words ("'int' object is not iterable") naming no field."""
    for key in _WORLD_LISTS:
        value = spec.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            raise ScenarioError(f"{where}`{key}` must be a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise ScenarioError(
                    f"{where}`{key}[{index}]` must be a mapping of fields, got {item!r}"
                )
    settings = spec.get("settings")
    if settings is None:
        return
    if not isinstance(settings, dict):
        raise ScenarioError(f"{where}`settings` must be a mapping, got {type(settings).__name__}")
    known = [f.name for f in dataclasses.fields(DeciderSettings)] + list(_OPTION_SETTINGS)
    for name in settings:
        if name not in known:
            hint = suggest(str(name), known)
            hint = f" ({hint})" if hint else ""
            raise ScenarioError(
                f"{where}`settings.{name}` is not a setting{hint}; the settings are "
                + ", ".join(known)
            )


def run_scenario_file(
    path: str | Path, packaging: BoxCatalog | None = None
) -> list[ScenarioResult]:
    """Run every scenario of a file; each gets a fresh world, packing with the catalogue the
    file names (`packaging:`), else with `packaging`."""
    path = Path(path)
    spec = load_scenario_file(path)
    own = own_packaging(spec)
    return run_scenarios(spec, path, own.catalog if own is not None else packaging)


def run_scenarios(
    spec: Mapping[str, Any], path: Path, packaging: BoxCatalog | None
) -> list[ScenarioResult]:
    """Run every scenario of a loaded file (`load_scenario_file`), packing with `packaging`."""
    return [run_scenario(spec, s, path.parent, path.name, packaging) for s in spec["scenarios"]]
