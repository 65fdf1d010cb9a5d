"""Stock counts: a location (its warehouse system, a cycle count) says what is on its shelves,
and each SKU's on-hand there becomes what it counted.

`count_stock` does a whole count in one transaction:

1. every line is checked first (a SKU the catalogue does not know, a SKU counted twice, a
   disabled location); any bad line refuses the whole count, each one named at its place in
   the request (`$.counts[i].sku`), and nothing is applied;
2. the location's rows of the counted SKUs are read in one query, and the SKUs whose count
   differs from their row are set to it by the stock repository in a few statements per
   thousand SKUs (`StockRepository.set_counts`), which holds the rows until the transaction
   ends, taken in SKU order. The read is not locked: a row that moved between the read and
   the set is set against what it holds once taken, so the count lands on the row as it
   stands; a row the count agrees with as read is neither held nor written;
3. on-hand never goes below what is reserved. A count below it sets on-hand to the reserved
   figure (nothing more is promised from there) and raises `stock.count_short`, naming the
   location's open shipments holding the SKU: their short picks take on-hand down to what is
   there and source the units elsewhere (`shortages.py`);
4. every change raises `stock.adjusted` (a rise serves waiting orders, `backorders.py`), and
   one audit entry `stock.count` says what the count did.

The count is applied as of when Ordo receives it: `counted_at` is recorded, and movements
Ordo booked between it and then are not replayed on top of it.

`COMMAND_HANDLERS` lists the handler for the message bus's registry (`messagebus._registry`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from engine.domain import commands, events
from engine.domain.errors import Conflict, DomainError, NotFound
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.orders import InvalidLine
from engine.domain.values import in_utc
from engine.service_layer import audit
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.unit_of_work import CountApplied, UnitOfWork

# Shipments whose lines still hold reserved units at their location: a shipment consumes its
# reservations when it ships, and a cancelled one gave them back.
HOLDING = (
    ShipmentStatus.PENDING,
    ShipmentStatus.RELEASED,
    ShipmentStatus.PICKED,
    ShipmentStatus.PACKED,
)
# SKUs the audit entry lists by name; a nightly count of thousands is summed up past these.
AUDIT_LISTED = 100
# Refused lines the message spells out; the API's answer lists every one under `errors`.
MESSAGE_LISTED = 5


@dataclass(frozen=True)
class CountedLine:
    """One SKU of a count: the units `counted`, on-hand `before` and `after` the count, and
    what orders hold `reserved` there."""

    sku: str
    counted: int
    before: int
    after: int
    reserved: int

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def short(self) -> int:
        """Reserved units the count did not find; 0 when it covers what is reserved."""
        return max(0, self.reserved - self.counted)


@dataclass(frozen=True)
class StockCount:
    """What a count did, line by line in the order the lines were sent."""

    location_code: str
    lines: tuple[CountedLine, ...]

    @property
    def changed(self) -> int:
        return sum(1 for line in self.lines if line.delta)

    @property
    def rose(self) -> int:
        return sum(1 for line in self.lines if line.delta > 0)

    @property
    def fell(self) -> int:
        return sum(1 for line in self.lines if line.delta < 0)

    @property
    def came_up_short(self) -> int:
        return sum(1 for line in self.lines if line.short)


class CountRefused(DomainError):
    """Lines of a count that cannot be applied, each at its place in the request (`problems`,
    one `InvalidLine` per bad field): nothing of the count was applied."""

    code = "invalid_count"

    def __init__(self, location_code: str, problems: Sequence[InvalidLine]) -> None:
        shown = "; ".join(problem.message for problem in problems[:MESSAGE_LISTED])
        if len(problems) > MESSAGE_LISTED:
            shown += f"; and {len(problems) - MESSAGE_LISTED} more"
        super().__init__(f"the count of {location_code} was not applied, nothing changed: {shown}")
        self.problems = tuple(problems)


def count_stock(cmd: commands.CountStock, uow: UnitOfWork, options: PipelineOptions) -> StockCount:
    """Set each counted SKU's on-hand at the location to its count, audited, in one
    transaction; run again from the start when PostgreSQL broke a lock cycle with another
    transaction moving the same rows (the whole count rolled back)."""
    if not cmd.counts:
        raise InvalidLine(("counts",), "is empty: send at least one SKU and what was counted")
    for _attempt in range(options.max_attempts):
        try:
            with uow:
                done = _count(uow, cmd)
                uow.commit()
                return done
        except Conflict:
            continue
    raise Conflict(
        f"the stock of {cmd.location_code} kept being moved by other transactions while its "
        f"count was applied ({options.max_attempts} attempts); nothing was changed: send the "
        "count again"
    )


def _count(uow: UnitOfWork, cmd: commands.CountStock) -> StockCount:
    """One attempt inside the caller's transaction."""
    _check(uow, cmd)
    code = cmd.location_code
    # One query for every row of the counted SKUs (their other locations' too), only read:
    # the rows the count moves are taken by `set_counts`, the others are left to orders.
    # Numbers are copied out: a store handing out its live rows moves them under our feet.
    seen = {
        row.sku: (row.on_hand, row.reserved)
        for row in uow.stock.read_for_skus([line.sku for line in cmd.counts])
        if row.location_code == code
    }
    moving = {line.sku: line.on_hand for line in cmd.counts if _moves(line, seen.get(line.sku))}
    applied = uow.stock.set_counts(code, moving) if moving else {}
    reason = cmd.reason
    if cmd.counted_at is not None:
        reason = f"{cmd.reason} (counted at {_moment(cmd)})"
    # In SKU order, the order the rows were set in.
    for sku in sorted(applied):
        row = applied[sku]
        if row.on_hand != row.before:
            uow.record(
                events.StockAdjusted(
                    sku, code, row.on_hand - row.before, row.on_hand, row.available, reason
                )
            )
    done = StockCount(code, tuple(_counted(line, seen, applied) for line in cmd.counts))
    _report_short(uow, cmd, done)
    _audit(uow, cmd, done)
    return done


def _moves(line: commands.CountLine, seen: tuple[int, int] | None) -> bool:
    """Whether the count would change the row as read, (on hand, reserved) or None when
    there was none (a SKU not stocked there yet: the row is made with the count, even 0)."""
    if seen is None:
        return True
    on_hand, reserved = seen
    return max(line.on_hand, reserved) != on_hand


def _counted(
    line: commands.CountLine,
    seen: dict[str, tuple[int, int]],
    applied: dict[str, CountApplied],
) -> CountedLine:
    row = applied.get(line.sku)
    if row is None:  # the count agreed with the row as read
        on_hand, reserved = seen[line.sku]
        return CountedLine(line.sku, line.on_hand, on_hand, on_hand, reserved)
    return CountedLine(line.sku, line.on_hand, row.before, row.on_hand, row.reserved)


def _check(uow: UnitOfWork, cmd: commands.CountStock) -> None:
    """Refuse the whole count, naming every bad line, before anything is applied."""
    code = cmd.location_code
    location = uow.locations.get(code)
    if location is None:
        raise NotFound("location", code)
    problems: list[InvalidLine] = []
    if not location.enabled:
        problems.append(
            InvalidLine(
                ("location_code",),
                f"location {code} is disabled: nothing is sourced from it, so a count for it "
                f"is more likely meant for another location; enable it (PUT "
                f"/v1/locations/{code}) first if its stock is to be counted",
            )
        )
    known = uow.products.read_many(line.sku for line in cmd.counts)
    first: dict[str, int] = {}
    for index, line in enumerate(cmd.counts):
        if line.sku in first:
            problems.append(
                InvalidLine(
                    ("counts", index, "sku"),
                    f"{line.sku} is counted twice (also at counts[{first[line.sku]}]); send "
                    "each SKU once, with all its units",
                )
            )
            continue
        first[line.sku] = index
        if line.sku not in known:
            problems.append(
                InvalidLine(
                    ("counts", index, "sku"),
                    f"product '{line.sku}' does not exist; add it to the catalogue "
                    f"(PUT /v1/products/{line.sku}) or leave it out of the count",
                )
            )
        if line.on_hand < 0:
            problems.append(
                InvalidLine(
                    ("counts", index, "on_hand"),
                    f"{line.sku}: a count cannot be negative, got {line.on_hand}",
                )
            )
    if problems:
        raise CountRefused(code, problems)


def _report_short(uow: UnitOfWork, cmd: commands.CountStock, done: StockCount) -> None:
    """`stock.count_short` for each line counted below what is reserved, naming the
    shipments whose short picks would account for the units."""
    short = [line for line in done.lines if line.short]
    if not short:
        return
    holding = _holding(uow, done.location_code, {line.sku for line in short})
    for line in short:
        uow.record(
            events.StockCountShort(
                line.sku,
                done.location_code,
                line.counted,
                line.reserved,
                line.short,
                holding.get(line.sku, []),
                _moment(cmd),
            )
        )


def _holding(uow: UnitOfWork, code: str, skus: Collection[str]) -> dict[str, list[str]]:
    """The ids of the location's open shipments carrying each of `skus`, pending ones first,
    then released, picked and packed: a released or picked one can be reported short now, a
    pending one once released."""
    found: dict[str, list[str]] = defaultdict(list)
    for status in HOLDING:
        for shipment in uow.shipments.for_location(code, str(status)):
            for sku in sorted({line.sku for line in shipment.lines if line.quantity > 0}):
                if sku in skus:
                    found[sku].append(shipment.id)
    return dict(found)


def _moment(cmd: commands.CountStock) -> str:
    return in_utc(cmd.counted_at).isoformat() if cmd.counted_at is not None else ""


def _audit(uow: UnitOfWork, cmd: commands.CountStock, done: StockCount) -> None:
    """One entry for the whole count: its figures, and the SKUs it changed or found short
    by name up to `AUDIT_LISTED` of each (the rest are counted, not listed)."""
    changed = [line for line in done.lines if line.delta][:AUDIT_LISTED]
    short = [line for line in done.lines if line.short][:AUDIT_LISTED]
    before = {"on_hand": {line.sku: line.before for line in changed}}
    after: dict[str, Any] = {
        "on_hand": {line.sku: line.after for line in changed},
        "short": {line.sku: line.short for line in short},
        "not_listed": done.changed - len(changed),
        "reason": cmd.reason,
        "counted_at": _moment(cmd) or None,
        "lines": len(done.lines),
        "changed": done.changed,
        "rose": done.rose,
        "fell": done.fell,
        "came_up_short": done.came_up_short,
    }
    audit.record(uow, cmd.actor, "stock.count", "location", done.location_code, before, after)


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.CountStock: count_stock,
}
