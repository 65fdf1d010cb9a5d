"""Boxes as stock: how many of each box of the catalogue each location has
(docs/packaging.md#boxes-in-stock).

Levels live beside the decision, not in it: the Decider still packs into every box its
location stocks, counted or not. They change three ways:

- `count_boxes`: a location's people report what they have; each counted box's on-hand
  becomes its count (`boxes.counted`). Every line is checked first (a box the catalogue does
  not know, one not stocked there, one counted twice), and a bad line refuses the whole
  count, each named at its place (`$.counts[i].box`);
- `receive_boxes`: boxes delivered are added (`boxes.received`);
- `BoxCounter`, a worker observer of `shipment.status_changed` to `shipped`: one box per
  parcel in a box is taken off the shipment's location (`boxes.used`), once per shipment
  (`uow.box_stock.mark_used` notes the shipment first; a redelivered event finds it). A box
  not counted there yet is tracked from 0, and may go below 0: levels are what people
  report, and a level below 0 says boxes left that nobody counted in.

A box whose catalogue entry has a `reorder_point` is watched: a change that leaves its level
at or below the point raises the medium alert `packaging/boxes low`, keyed `<box>@<location>`
(a count or a receipt that leaves it low tells it again, with the units left; boxes used
while it is already low do not), and a count or receipt that lifts it above closes the open
alert. The level's row is held by the change until the transaction ends, so two changes of
one box at one location decide about its alert one after the other.

`box_levels` lists a location's boxes as the catalogue stocks them, a box without a level
included (never counted, received or shipped from there).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.adapters.bus.base import Message
from engine.domain import commands, events
from engine.domain.errors import Conflict, NotFound
from engine.domain.fulfilment import ShipmentStatus
from engine.domain.orders import InvalidLine
from engine.domain.packaging import Box, BoxCatalog, BoxStock
from engine.domain.values import utcnow
from engine.service_layer import alerts, audit
from engine.service_layer.counts import CountRefused
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

LOW_RULE = "packaging/boxes low"
LOW_SEVERITY = "medium"


class Packs(Protocol):
    """What the handlers need of the Decider: the box catalogue it packs with."""

    packaging: BoxCatalog | None


def _catalog(decider: Packs) -> BoxCatalog:
    if decider.packaging is None:
        raise Conflict(
            "there is no box catalogue (ORDO_PACKAGING_FILE is not set), so there are no boxes "
            "to count: set it to the catalogue and restart Ordo"
        )
    return decider.packaging


def _box_problem(catalog: BoxCatalog, code: str, location_code: str) -> str | None:
    """Why `code` cannot be stock at the location, or None when it can."""
    box = next((box for box in catalog.boxes if box.code == code), None)
    if box is None:
        known = ", ".join(sorted(box.code for box in catalog.boxes))
        return f"box '{code}' is not in the box catalogue, whose boxes are {known}"
    if not box.stocked_at(location_code):
        where = ", ".join(sorted(box.locations))
        return (
            f"box {code} is not stocked at {location_code}: the box catalogue stocks it at "
            f"{where} only (its `locations`)"
        )
    return None


def _location(uow: UnitOfWork, code: str) -> None:
    if uow.locations.get(code) is None:
        raise NotFound("location", code)


@dataclass(frozen=True, slots=True)
class BoxLevel:
    """A box at a location as `GET /v1/inventory/boxes` lists it: `level` is None for a box
    the catalogue stocks there that was never counted, received or shipped from there."""

    location_code: str
    box_code: str
    level: BoxStock | None


def box_levels(
    uow: UnitOfWork, catalog: BoxCatalog | None, location_code: str | None
) -> list[BoxLevel]:
    """The levels at `location_code` (every location's without it), by location and box.

    At one location with a catalogue, every box the catalogue stocks there is listed, those
    without a level too: "what boxes does EWR-01 have" is answered by the catalogue, and a
    box nobody counted yet is one to count, not one the location lacks. A level of a box the
    catalogue no longer stocks there is still listed. Every location's: only levels, since
    the catalogue's boxes times every location is mostly boxes nobody keeps."""
    found = uow.box_stock.levels(location_code)
    levels = {(level.location_code, level.box_code): level for level in found}
    keys = set(levels)
    if location_code is not None and catalog is not None:
        keys.update(
            (location_code, box.code) for box in catalog.boxes if box.stocked_at(location_code)
        )
    return [BoxLevel(location, box, levels.get((location, box))) for location, box in sorted(keys)]


def count_boxes(cmd: commands.CountBoxes, uow: UnitOfWork, decider: Packs) -> list[BoxStock]:
    """Set each counted box's on-hand at the location to its count, audited, in one
    transaction; the levels after, in the order counted."""
    catalog = _catalog(decider)
    if not cmd.counts:
        raise InvalidLine(("counts",), "is empty: send at least one box and how many there are")
    with uow:
        _location(uow, cmd.location_code)
        problems: list[InvalidLine] = []
        first: dict[str, int] = {}
        for index, line in enumerate(cmd.counts):
            if line.box in first:
                problems.append(InvalidLine(("counts", index, "box"), (
                    f"{line.box} is counted twice (also at counts[{first[line.box]}]); send "
                    "each box once, with all there are"
                )))  # fmt: skip
                continue
            first[line.box] = index
            problem = _box_problem(catalog, line.box, cmd.location_code)
            if problem:
                problems.append(InvalidLine(("counts", index, "box"), problem))
        if problems:
            raise CountRefused(cmd.location_code, problems)
        now = utcnow()
        levels, before_all = [], {}
        for line in cmd.counts:
            before, level = uow.box_stock.set(cmd.location_code, line.box, line.on_hand, now)
            uow.record(events.BoxesCounted(
                cmd.location_code, line.box, level.on_hand, before, cmd.actor))  # fmt: skip
            _watch(uow, catalog, level, before, cmd.actor, reported=True)
            levels.append(level)
            before_all[line.box] = before
        audit.record(
            uow, cmd.actor, "boxes.count", "location", cmd.location_code, before_all,
            {level.box_code: level.on_hand for level in levels},
        )  # fmt: skip
        uow.commit()
    return levels


def receive_boxes(cmd: commands.ReceiveBoxes, uow: UnitOfWork, decider: Packs) -> BoxStock:
    """Add the boxes delivered to the location's level, audited; the level after."""
    catalog = _catalog(decider)
    if cmd.quantity <= 0:
        raise InvalidLine(("quantity",), f"boxes received are at least 1, got {cmd.quantity}")
    with uow:
        _location(uow, cmd.location_code)
        problem = _box_problem(catalog, cmd.box, cmd.location_code)
        if problem:
            raise InvalidLine(("box",), problem)
        before, level = uow.box_stock.add(cmd.location_code, cmd.box, cmd.quantity, utcnow())
        uow.record(
            events.BoxesReceived(
                cmd.location_code, cmd.box, cmd.quantity, level.on_hand, cmd.reference, cmd.actor
            )
        )
        _watch(uow, catalog, level, before, cmd.actor, reported=True)
        audit.record(
            uow, cmd.actor, "boxes.receive", "box_stock", f"{cmd.box}@{cmd.location_code}",
            {"on_hand": before}, {"on_hand": level.on_hand, "quantity": cmd.quantity,
                                  "reference": cmd.reference},
        )  # fmt: skip
        uow.commit()
    return level


def _watch(
    uow: UnitOfWork,
    catalog: BoxCatalog,
    level: BoxStock,
    before: int | None,
    actor: str,
    *,
    reported: bool,
) -> None:
    """Raise or close the box's low alert for the change from `before` to `level`.
    `reported`: people counted or received, so a level still low is told again."""
    box = next((b for b in catalog.boxes if b.code == level.box_code), None)
    if box is None or box.reorder_point is None:
        return
    key = f"{level.box_code}@{level.location_code}"
    if level.low(box):
        crossed = before is None or before > box.reorder_point
        if crossed or reported:
            alerts.raise_alert(
                uow, rule=LOW_RULE, key=key, severity=LOW_SEVERITY, message=_low(box, level),
                now=level.updated_at,
            )  # fmt: skip
        return
    alert = uow.alerts.open_for(LOW_RULE, key)
    if alert is not None:
        alerts.record_close(
            uow, alert, actor, at=level.updated_at,
            note=f"{level.on_hand} on hand, above the reorder point of {box.reorder_point}",
        )  # fmt: skip


def _low(box: Box, level: BoxStock) -> str:
    return (
        f"Box {box.code} at {level.location_code} is low: {level.on_hand} left, at or below "
        f"its reorder point of {box.reorder_point}. Receive more "
        f"(POST /v1/inventory/boxes/receipts) or count what is there "
        f"(POST /v1/inventory/boxes/counts)."
    )


class BoxCounter:
    """Worker observer: a packed shipment shipped takes one box per parcel in a box off its
    location's stock, once per shipment."""

    name = "box-stock"

    def __init__(self, catalog: BoxCatalog) -> None:
        self.catalog = catalog
        self.counted = 0

    def wants(self, message: Message) -> bool:
        return (
            message.name == events.ShipmentStatusChanged.name
            and message.payload.get("to_status") == ShipmentStatus.SHIPPED.value
        )

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message):
            return
        shipment_id = str(message.payload["shipment_id"])
        with uow:
            shipment = uow.shipments.get(shipment_id)
            if shipment is None:
                log.warning("%s: shipment %s not found", self.name, shipment_id)
                return
            boxes = Counter(parcel.box for parcel in shipment.parcels if parcel.box)
            if not boxes:
                return  # not packed, or every unit shipped alone
            code, now = shipment.location_code, utcnow()
            if not uow.box_stock.mark_used(shipment.id, code, dict(boxes), now):
                log.info("%s: shipment %s had its boxes counted already", self.name, shipment.id)
                return
            left = self.take(uow, code, sorted(boxes.items()), now)
            uow.record(events.BoxesUsed(shipment.id, shipment.order_id, code, dict(boxes), left))
            uow.commit()
        self.counted += 1

    def take(
        self, uow: UnitOfWork, code: str, boxes: Sequence[tuple[str, int]], now: datetime
    ) -> dict[str, int]:
        """Take `boxes` (box code, how many) off the location, in code order; the levels left."""
        left = {}
        for box, used in boxes:
            before, level = uow.box_stock.add(code, box, -used, now)
            _watch(uow, self.catalog, level, before, alerts.AUTO_CLOSER, reported=False)
            left[box] = level.on_hand
        return left


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Any]] = {
    commands.CountBoxes: count_boxes,
    commands.ReceiveBoxes: receive_boxes,
}
