"""The Order aggregate: lines, holds, and the lifecycle state machine.

The allowed moves follow DESIGN.md's lifecycle. Modification and hold release send an order
back to `received` so the affected pipeline steps run again; nothing moves once it has left
the building except towards delivery. A released order may still be cancelled or modified
while no location has picked any of it: the order does not know its shipments, so
`fulfilment.check_changeable` asks them before either.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from engine.domain import events
from engine.domain.catalog import erased_email
from engine.domain.errors import Conflict, DomainError, IllegalTransition, InvalidQuantity
from engine.domain.values import Address, money


class OrderStatus(StrEnum):
    RECEIVED = "received"
    VALIDATED = "validated"
    REJECTED = "rejected"
    HELD = "held"
    SOURCED = "sourced"
    BACKORDERED = "backordered"
    PREORDERED = "preordered"
    RESERVED = "reserved"
    CARRIER_ASSIGNED = "carrier_assigned"
    RELEASED = "released"
    PICKED = "picked"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


S = OrderStatus

# Before release, an order may be held, cancelled, or sent back to `received` (modified).
_BEFORE_RELEASE = {S.HELD, S.CANCELLED, S.RECEIVED}

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.RECEIVED: frozenset({S.VALIDATED, S.REJECTED, S.HELD, S.CANCELLED}),
    S.HELD: frozenset({S.RECEIVED, S.VALIDATED, S.REJECTED, S.CANCELLED}),
    S.VALIDATED: frozenset({S.SOURCED, S.BACKORDERED, S.PREORDERED} | _BEFORE_RELEASE),
    S.SOURCED: frozenset({S.RESERVED, S.BACKORDERED} | _BEFORE_RELEASE),
    S.BACKORDERED: frozenset({S.SOURCED} | _BEFORE_RELEASE),
    S.PREORDERED: frozenset({S.SOURCED} | _BEFORE_RELEASE),
    S.RESERVED: frozenset({S.CARRIER_ASSIGNED} | _BEFORE_RELEASE),
    S.CARRIER_ASSIGNED: frozenset({S.RELEASED} | _BEFORE_RELEASE),
    # Released, fulfilment has not started until a location picks: until then the order can
    # still be cancelled or modified (`fulfilment.check_changeable` asks its shipments).
    S.RELEASED: frozenset(
        {S.PICKED, S.PACKED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED, S.RECEIVED}
    ),
    S.PICKED: frozenset({S.PACKED, S.PARTIALLY_SHIPPED, S.SHIPPED}),
    S.PACKED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED}),
    S.PARTIALLY_SHIPPED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL = frozenset(status for status, moves in TRANSITIONS.items() if not moves)
# Orders that will never ship anything: not demand (reorder forecasts leave them out).
NEVER_SHIPS = frozenset({S.CANCELLED, S.REJECTED})
# An order not yet decided can be changed too; it simply stays `received`. A released one
# only while none of its shipments is picked (`fulfilment.check_changeable`).
MODIFIABLE = frozenset(
    {S.RECEIVED} | {status for status, moves in TRANSITIONS.items() if S.RECEIVED in moves}
)
# Allocated (in whole or in part) and going out: from reserved to partially shipped. Its
# backordered lines, its remainder, still wait for stock (`backorders.LIVE` is this set);
# shipped means nothing is left to send.
ON_ITS_WAY = frozenset(
    {S.RESERVED, S.CARRIER_ASSIGNED, S.RELEASED, S.PICKED, S.PACKED, S.PARTIALLY_SHIPPED}
)


class Fulfilment(StrEnum):
    """How the customer gets the order: shipped to `ship_to`, or collected in a store."""

    SHIP = "ship"
    PICKUP = "pickup"


class LineStatus(StrEnum):
    OPEN = "open"
    ALLOCATED = "allocated"
    BACKORDERED = "backordered"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class InvalidLine(DomainError):
    """A line of a request that the order cannot take, named by where it sits in the request
    (`("add_lines", 0, "line_id")`), so the message, and the API's answer, point at it."""

    code = "invalid_line"

    def __init__(self, loc: Sequence[str | int], reason: str) -> None:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        super().__init__(f"{path}: {reason}")
        self.loc = tuple(loc)
        self.reason = reason


def check_line_ids(line_ids: Sequence[str | None], taken: Collection[str], field: str) -> None:
    """Refuse a line id a request names (None: none named) that is already taken, by a line
    of the order or by an earlier line of the same request. Line ids key the order's lines,
    their reservations and shipments: a second line under one id would replace the first."""
    first: dict[str, int] = {}
    for index, line_id in enumerate(line_ids):
        if line_id is None:
            continue
        if line_id in taken:
            reason = f"line id '{line_id}' is already a line of this order"
        elif line_id in first:
            reason = f"line id '{line_id}' is already used by {field}[{first[line_id]}]"
        else:
            first[line_id] = index
            continue
        raise InvalidLine(
            (field, index, "line_id"),
            f"{reason}; each line needs its own id: choose another, or leave line_id out to "
            "have one assigned",
        )


def check_pickup(fulfilment: Fulfilment, pickup_location: str | None) -> None:
    """Refuse, at `$.pickup_location`, a pickup order without a store to collect it at, or a
    store named for an order that is shipped (which store would be meant is unclear)."""
    if fulfilment is Fulfilment.PICKUP and not pickup_location:
        raise InvalidLine(
            ("pickup_location",),
            "a pickup order needs the code of the store it is collected at",
        )
    if fulfilment is Fulfilment.SHIP and pickup_location:
        raise InvalidLine(
            ("pickup_location",),
            f"names store '{pickup_location}' but the order is shipped: send "
            '`fulfilment: "pickup"` with it, or leave pickup_location out',
        )


@dataclass(frozen=True, slots=True)
class KitShape:
    """What a line filed for one component of a kit keeps of the kit it came from: the kit's
    SKU, `units` of this component in one kit, and the `kits` the customer ordered on the
    kit's line. The line's id is `<kit line>.<n>`. Kept so that the kit's units can be told
    to and from the shop, whose line is the kit (`engine.domain.kits`): the parts'
    quantities alone cannot say it (2 kits of A+B read like 1 kit of 2A+2B)."""

    sku: str
    units: int
    kits: int


@dataclass(slots=True)
class OrderLine:
    id: str
    sku: str
    quantity: int
    price: Decimal
    status: LineStatus = LineStatus.OPEN
    quantity_shipped: int = 0
    quantity_cancelled: int = 0
    # None: not a kit's part (or filed before Ordo kept the shape, which is then unknown).
    kit: KitShape | None = None

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise InvalidQuantity(f"line {self.id}: quantity must be positive, got {self.quantity}")

    @property
    def amount(self) -> Decimal:
        return money(self.price * self.quantity)

    @property
    def kit_line(self) -> str | None:
        """The id of the kit's line this part was filed for (`7` of `7.2`); None for a line
        that is no kit's part."""
        return self.id.rpartition(".")[0] if self.kit is not None else None


def _as_placed(line: OrderLine) -> LineStatus:
    """A line with nothing waiting: where its placed (not cancelled) units are."""
    placed = line.quantity - line.quantity_cancelled
    if placed <= 0:
        return LineStatus.CANCELLED
    return LineStatus.SHIPPED if line.quantity_shipped >= placed else LineStatus.ALLOCATED


# Who released a hold that a re-decision of the changed order no longer places, and why. A
# person's release waives the hold's code for later decisions; this one does not, so the rule
# holds the order again if a later change makes it apply again. (`released_by` carries the
# why because a hold is stored as these five fields.)
NO_LONGER_APPLIES = "ordo: no longer applies when the changed order was decided again"


@dataclass(slots=True)
class Hold:
    code: str
    message: str = ""
    placed_at: datetime | None = None
    released_at: datetime | None = None
    released_by: str = ""

    @property
    def active(self) -> bool:
        return self.released_at is None

    @property
    def waived(self) -> bool:
        """A person released it: the order is not held again for the same code."""
        return not self.active and self.released_by != NO_LONGER_APPLIES


@dataclass(slots=True)
class Order:
    id: str
    channel: str
    channel_order_id: str
    customer_id: str
    ship_to: Address
    lines: list[OrderLine]
    created_at: datetime
    email: str = ""
    currency: str = "USD"
    service_level: str = "standard"
    requested_date: date | None = None
    promised_date: date | None = None
    priority: int = 0
    status: OrderStatus = OrderStatus.RECEIVED
    holds: list[Hold] = field(default_factory=list)
    version: int = 0
    # Click and collect: a pickup order is collected at `pickup_location` (a store offering
    # `pickup`); its `ship_to` stays the customer's address, for the records.
    fulfilment: Fulfilment = Fulfilment.SHIP
    pickup_location: str | None = None
    # Appended by methods, collected by the unit of work after commit: never persisted here.
    events: list[events.Event] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.lines:
            raise DomainError(f"order {self.channel_order_id or self.id} has no lines")
        check_pickup(self.fulfilment, self.pickup_location)

    @property
    def is_pickup(self) -> bool:
        return self.fulfilment is Fulfilment.PICKUP

    @property
    def total(self) -> Decimal:
        """The order's value as placed: cancelled units included, so it stays what the
        customer was charged for at checkout (`total_cancelled` is what was taken off)."""
        return money(sum((line.amount for line in self.lines), Decimal("0")))

    @property
    def total_cancelled(self) -> Decimal:
        """The value of the units cancelled: the whole order's, or a backordered remainder's
        (a change to a line's quantity changes `total` itself)."""
        return money(
            sum((line.price * line.quantity_cancelled for line in self.lines), Decimal("0"))
        )

    @property
    def active_holds(self) -> list[Hold]:
        return [hold for hold in self.holds if hold.active]

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise DomainError(f"order {self.id} has no line '{line_id}'")

    def can_move_to(self, target: OrderStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def transition(self, target: OrderStatus, reason: str = "") -> None:
        """Move along the lifecycle, or raise IllegalTransition naming both states."""
        if not self.can_move_to(target):
            raise IllegalTransition("order", self.id, self.status, target)
        previous, self.status = self.status, target
        self.version += 1
        self.events.append(events.OrderStatusChanged(self.id, previous, target, reason))

    def hold(self, code: str, message: str, at: datetime) -> None:
        """Hold for a person to review. A hold of the same code still open (a changed order
        held again for the same reason) is kept, with the message brought up to date, rather
        than placed twice; it keeps the time it was first placed."""
        self.transition(OrderStatus.HELD, code)
        still_open = next((h for h in self.active_holds if h.code == code), None)
        if still_open is None:
            self.holds.append(Hold(code=code, message=message, placed_at=at))
        else:
            still_open.message = message
        self.events.append(events.OrderHeld(self.id, code, message))

    def release_holds_not_placed(self, placed: Collection[str], at: datetime) -> list[Hold]:
        """After the order was decided again: release each open hold whose code the decision
        no longer places (released by NO_LONGER_APPLIES, so not waived). An order that goes
        on towards release thus carries no open hold. Returns the holds released."""
        released = [hold for hold in self.active_holds if hold.code not in placed]
        for hold in released:
            hold.released_at = at
            hold.released_by = NO_LONGER_APPLIES
        return released

    def release_holds(self, by: str, at: datetime) -> None:
        """A person clears every open hold; the order re-enters the pipeline from the top."""
        if self.status is not OrderStatus.HELD:
            raise IllegalTransition("order", self.id, self.status, "hold released")
        for hold in self.active_holds:
            hold.released_at = at
            hold.released_by = by
        self.transition(OrderStatus.RECEIVED, f"hold released by {by}")

    def reject(self, code: str, message: str) -> None:
        self.transition(OrderStatus.REJECTED, code)
        self.events.append(events.OrderRejected(self.id, code, message))

    def cancel(self, reason: str) -> None:
        self.transition(OrderStatus.CANCELLED, reason)
        for line in self.lines:
            if line.status is not LineStatus.SHIPPED:
                line.quantity_cancelled = line.quantity - line.quantity_shipped
                line.status = LineStatus.CANCELLED
        self.events.append(events.OrderCancelled(self.id, reason))

    def cancel_backordered(
        self, units: Mapping[str, int] | None, waiting: Mapping[str, int], reason: str
    ) -> dict[str, int]:
        """Cancel units of the remainder of an order on its way: `units` per line id (None:
        every unit that waits). `waiting` is what waits of each backordered line, the units in
        no live shipment and not cancelled, which only the shipments know
        (`backorders.remainder`). Nothing changes unless every line asked for can give them.

        A line with nothing left waiting goes on as its placed units do: `allocated` while
        some have not shipped, `shipped` once all have, `cancelled` if none was ever placed.
        Returns the units cancelled per line."""
        if units is not None and not units:
            raise InvalidLine(
                ("lines",),
                "names no line: give line ids and the units to cancel, or leave `lines` out "
                "to cancel every unit that waits",
            )
        self._check_on_its_way()
        asked = dict(waiting if units is None else units)
        if not asked:
            raise Conflict(
                f"order {self.id} has no backordered units waiting for stock: nothing to cancel"
            )
        for line_id, count in asked.items():
            self._check_waiting(line_id, count, waiting)
        for line_id, count in asked.items():
            line = self.line(line_id)
            line.quantity_cancelled += count
            if count == waiting[line_id]:
                line.status = _as_placed(line)
        self.events.append(events.OrderRemainderCancelled(self.id, asked, reason))
        if all(line.status is LineStatus.CANCELLED for line in self.lines) and self.can_move_to(
            OrderStatus.CANCELLED
        ):
            # Nothing of it was ever placed: an order on its way always holds a shipment, so
            # this guards the state machine rather than a path the handlers take.
            self.cancel(reason)
        return asked

    def _check_on_its_way(self) -> None:
        if self.status in ON_ITS_WAY:
            return
        if self.can_move_to(OrderStatus.CANCELLED):
            instead = (
                "before release the whole order is cancelled instead "
                f"(POST /v1/orders/{self.id}/cancel)"
            )
        else:
            instead = "nothing of it waits for stock any more"
        statuses = ", ".join(status for status in OrderStatus if status in ON_ITS_WAY)
        raise Conflict(
            f"order {self.id} is '{self.status}': only an order on its way ({statuses}) has "
            f"a backordered remainder to cancel; {instead}"
        )

    def _check_waiting(self, line_id: str, count: int, waiting: Mapping[str, int]) -> None:
        """InvalidLine at `$.lines.<id>` unless `count` units of the line wait for stock."""
        line = next((line for line in self.lines if line.id == line_id), None)
        where = ("lines", line_id)
        if line is None:
            waits = [ln.id for ln in self.lines if waiting.get(ln.id)]
            known = (
                f"the lines waiting for stock are {', '.join(waits)}"
                if waits
                else "none of its lines waits for stock"
            )
            raise InvalidLine(where, f"order {self.id} has no line '{line_id}' ({known})")
        if line.status is not LineStatus.BACKORDERED:
            raise InvalidLine(
                where,
                f"line '{line_id}' is '{line.status}', not backordered: only units of a "
                "backordered line that no shipment carries can be cancelled",
            )
        if not waiting.get(line_id):
            raise InvalidLine(
                where, f"every unit of line '{line_id}' is in a shipment: none waits for stock"
            )
        if count < 1:
            raise InvalidLine(where, f"units to cancel must be at least 1, got {count}")
        if count > waiting[line_id]:
            raise InvalidLine(
                where,
                f"only {waiting[line_id]} unit(s) of line '{line_id}' wait for stock; "
                f"{count} cannot be cancelled",
            )

    def modify(
        self,
        *,
        quantities: dict[str, int] | None = None,
        ship_to: Address | None = None,
        add_lines: list[OrderLine] | None = None,
        remove_lines: list[str] | None = None,
        fulfilment: Fulfilment | None = None,
        pickup_location: str | None = None,
        kits: Mapping[str, int] | None = None,
    ) -> dict[str, object]:
        """Change an order before its fulfilment starts (the service layer checks its
        shipments: `fulfilment.check_changeable`); it goes back to `received` to be decided again.
        `fulfilment` and `pickup_location` switch it between shipping and collection at a
        store (`switched_to` says how). `kits` (kit line -> the kits it is to order, more than
        it did) raises each of the line's parts by its units per kit for each kit added."""
        self.check_modification(
            quantities=quantities,
            ship_to=ship_to,
            add_lines=add_lines,
            remove_lines=remove_lines,
            fulfilment=fulfilment,
            pickup_location=pickup_location,
            kits=kits,
        )
        if self.status not in MODIFIABLE:
            raise IllegalTransition("order", self.id, self.status, "modified")
        self._check_added_ids(add_lines or [])
        changes: dict[str, object] = {}
        for line_id, quantity in (quantities or {}).items():
            line = self.line(line_id)
            if quantity <= 0:
                raise InvalidQuantity(f"line {line_id}: quantity must be positive, got {quantity}")
            changes[f"lines.{line_id}.quantity"] = [line.quantity, quantity]
            line.quantity = quantity
        if kits:
            changes["kits"] = self._raise_kits(kits, changes)
        if remove_lines:
            for line_id in remove_lines:
                self.line(line_id)
            if len(set(remove_lines)) >= len(self.lines) and not add_lines:
                raise DomainError(f"order {self.id} would have no lines; cancel it instead")
            # What each removed line still had to send (less what was cancelled of it
            # before), for whoever must take those units off elsewhere: the shop's order.
            changes["removed_units"] = {
                line.id: line.quantity - line.quantity_cancelled
                for line in self.lines
                if line.id in set(remove_lines)
            }
            # A removed kit's part takes its kit's shape with it: the kits its line ordered,
            # by kit line, for whoever tells the shop whole kits (none: no key).
            kits = {
                line.kit_line: line.kit.kits
                for line in self.lines
                if line.id in set(remove_lines) and line.kit is not None and line.kit_line
            }
            if kits:
                changes["removed_kits"] = kits
            self.lines = [line for line in self.lines if line.id not in set(remove_lines)]
            changes["removed_lines"] = list(remove_lines)
        if add_lines:
            self.lines.extend(add_lines)
            changes["added_lines"] = [line.id for line in add_lines]
        if ship_to is not None:
            changes["ship_to"] = ship_to.postal_code
            self.ship_to = ship_to
        changes.update(self._switch(fulfilment, pickup_location))
        for line in self.lines:
            line.status = LineStatus.OPEN
        if self.status is not OrderStatus.RECEIVED:
            self.transition(OrderStatus.RECEIVED, "modified")
        self.events.append(events.OrderModified(self.id, changes))
        return changes

    def erase_personal_data(self, scrub: Callable[[str], str] = str) -> bool:
        """Forget who the order was for (the right to be forgotten): the email becomes the
        customer's `erased_email` (none stays none), the recipient's name, street, city and
        state go, and `scrub` takes the customer's details out of the hold messages (free
        text a rule or a person wrote). The postal code, the country and the coordinates
        found from them stay, as do the lines, prices, dates and statuses: sales, fulfilment
        and simulation figures are worked out from those and stay true. Only a finished order
        is erased; the warehouse needs the address of one still open. False when there was
        nothing left to erase."""
        if self.status not in TERMINAL:
            raise Conflict(
                f"order {self.id} is '{self.status}', not finished: its recipient's address is "
                "still needed to ship it"
            )
        email = erased_email(self.customer_id) if self.email else ""
        ship_to = replace(self.ship_to, name="", line1="", city="", state="")
        before = (self.email, self.ship_to, [hold.message for hold in self.holds])
        self.email, self.ship_to = email, ship_to
        for hold in self.holds:
            hold.message = scrub(hold.message)
        return before != (self.email, self.ship_to, [hold.message for hold in self.holds])

    def switched_to(
        self, fulfilment: Fulfilment | None, pickup_location: str | None
    ) -> tuple[Fulfilment, str | None]:
        """How the order is fulfilled once a modification names `fulfilment` and/or
        `pickup_location` (None: not named): a store named alone moves a pickup to it, a
        pickup keeps its store unless another is named, and a shipped order has none.
        InvalidLine at `$.pickup_location` for what cannot be (`check_pickup`)."""
        target = fulfilment or self.fulfilment
        store = pickup_location
        if store is None and target is Fulfilment.PICKUP:
            store = self.pickup_location
        check_pickup(target, store)
        return target, store

    def _switch(
        self, fulfilment: Fulfilment | None, pickup_location: str | None
    ) -> dict[str, object]:
        """Apply a switch between shipping and collection; its changes, before and after."""
        if fulfilment is None and pickup_location is None:
            return {}
        target, store = self.switched_to(fulfilment, pickup_location)
        changes: dict[str, object] = {}
        if target is not self.fulfilment:
            changes["fulfilment"] = [str(self.fulfilment), str(target)]
        if store != self.pickup_location:
            changes["pickup_location"] = [self.pickup_location, store]
        self.fulfilment, self.pickup_location = target, store
        return changes

    def _check_added_ids(self, added: Sequence[OrderLine]) -> None:
        """Before anything changes: an added line under an id the order has (a line being
        removed included: its history keeps the id) would replace that line unseen."""
        taken = {line.id for line in self.lines}
        for line in added:
            if line.id in taken:
                raise DomainError(
                    f"order {self.id} already has a line '{line.id}': an added line needs an "
                    "id of its own"
                )
            taken.add(line.id)

    def check_modification(
        self,
        *,
        quantities: Collection[str] | None = None,
        ship_to: object | None = None,
        add_lines: Collection[object] | None = None,
        remove_lines: Collection[str] | None = None,
        fulfilment: Fulfilment | None = None,
        pickup_location: str | None = None,
        kits: Mapping[str, int] | None = None,
    ) -> None:
        """Refuse a modification that changes nothing, or that both removes a line and gives
        it a new quantity: deciding the order again would change nothing but its holds, and
        which of two contradictory instructions was meant cannot be guessed. A switch
        between shipping and collection must be one the order can make (`switched_to`), and
        kits added must be ones the kit's line can take (`_check_kits`)."""
        others = bool(quantities or ship_to is not None or add_lines or remove_lines or kits)
        if fulfilment is not None or pickup_location is not None:
            after = self.switched_to(fulfilment, pickup_location)
            if after == (self.fulfilment, self.pickup_location) and not others:
                already = (
                    f"collected at store {self.pickup_location}"
                    if self.is_pickup
                    else "shipped to its ship_to"
                )
                raise DomainError(f"nothing to change on order {self.id}: it is already {already}")
        elif not others:
            raise DomainError(
                f"nothing to change on order {self.id}: give new quantities, a ship_to "
                "address, lines to add or remove, or a fulfilment (ship, or pickup at a store)"
            )
        both = sorted(set(quantities or ()) & set(remove_lines or ()))
        if both:
            named = ", ".join(f"'{line_id}'" for line_id in both)
            lines = "line" if len(both) == 1 else "lines"
            raise DomainError(
                f"{lines} {named} of order {self.id} cannot be both removed (remove_lines) and "
                "given a new quantity (quantities): send one or the other"
            )
        self._check_kits(kits or {}, set(quantities or ()) | set(remove_lines or ()))

    def _kit_parts(self, kit_line: str) -> list[tuple[OrderLine, KitShape]]:
        return [(line, line.kit) for line in self.lines
                if line.kit is not None and line.kit_line == kit_line]  # fmt: skip

    def _check_kits(self, kits: Mapping[str, int], named: Collection[str]) -> None:
        """Refuse kits added (kit line -> the kits it is to order) to a line that is no kit's
        line whose shape Ordo keeps, to no more kits than it ordered (kits come off by
        cancelling their units, which the shop is told of: lowering the shape would hide
        them), or beside a quantity or removal of one of its parts (`named`)."""
        for kit_line, wanted in kits.items():
            where = ("kits", kit_line)
            parts = self._kit_parts(kit_line)
            if not parts:
                known = sorted({line.kit_line for line in self.lines if line.kit_line})
                have = f"its kit lines are {', '.join(known)}" if known else "it has none"
                raise InvalidLine(
                    where,
                    f"order {self.id} has no kit line '{kit_line}' whose shape Ordo keeps "
                    f"({have}); a kit filed before Ordo kept it is changed by its parts' "
                    "quantities",
                )
            ordered = parts[0][1].kits
            if wanted <= ordered:
                raise InvalidLine(
                    where,
                    f"kit line '{kit_line}' ordered {ordered} kits: kits raises it to more, got "
                    f"{wanted}; take kits off by lowering or removing its parts",
                )
            both = sorted(line.id for line, _ in parts if line.id in named)
            if both:
                raise InvalidLine(
                    where,
                    f"part(s) {', '.join(both)} of kit line '{kit_line}' cannot be given kits "
                    "and a quantity or removed (quantities, remove_lines): send one or the other",
                )

    def _raise_kits(
        self, kits: Mapping[str, int], changes: dict[str, object]
    ) -> dict[str, list[int]]:
        """Raise each kit line to the kits `kits` says (checked: `_check_kits`): every part by
        its units per kit for each kit added, and its shape's kits with it, so the kits
        cancelled later (ordered less live) still count right. Each part's quantity goes into
        `changes` as a quantity given would; the kits were and are, by kit line, returned."""
        raised = {}
        for kit_line, wanted in kits.items():
            parts = self._kit_parts(kit_line)
            raised[kit_line] = [parts[0][1].kits, wanted]
            for line, kit in parts:
                quantity = line.quantity + (wanted - kit.kits) * kit.units
                changes[f"lines.{line.id}.quantity"] = [line.quantity, quantity]
                line.quantity, line.kit = quantity, replace(kit, kits=wanted)
        return raised
