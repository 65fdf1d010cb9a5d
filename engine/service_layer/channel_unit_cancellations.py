"""A sales channel's word that some units of one of its orders are cancelled (Shopify's
`refunds/create` with `cancel` lines, WooCommerce's `order.updated` with lower quantities).

The units come off Ordo's order as support's own change would take them off, through the bus,
so that the same rules hold (reservations, shipments, re-sourcing, WMS updates, events):
- while the order can change (before a location picks: `fulfilment.check_changeable`),
  `ModifyOrder` lowers its lines, or removes those left with none; its released shipments are
  cancelled and it is decided again;
- once it is on its way, what of those units still waits for stock (its backordered
  remainder) is cancelled with `CancelBackordered`;
- units picked or further on are past changing: `refused`, with
  `order.channel_change_refused`, an audit entry and a high alert asking a person to stop
  them, once per shop change.
A delivery that leaves the order nothing is the shop's cancellation of the whole order, and
takes that path (`channel_cancellations.cancel_for_channel`).

This is its own module rather than part of `channel_cancellations`: that one cancels or
remembers whole orders; this one works out which units a shop's change takes off and which
command may take them, and shares only the audit's `from_channel` mark with it.

Like a whole cancellation, every delivery ends in an outcome, never a refusal (a shop retries
a failed delivery for hours and in the end switches its webhook off):
- `cancelled`: the units came off now.
- `unchanged`: this change was taken before (the shop's refund, or the same lines, seen on
  the order's history), or Ordo's order has none of those units left: nothing changes.
- `refused`: some units are past changing (the answer lists them; any that still waited for
  stock came off); a person was alerted.
- `ignored`: Ordo has no such order. Not remembered, unlike a whole cancellation: Shopify
  refunds or edits an order it has had for a while, so its creation has long reached Ordo,
  and keeping deltas for an order that may never come needs a store of its own. Logged as a
  warning.
A shop that sends its whole order (WooCommerce) sends it on every change, most of which
cancel nothing: such a delivery that cancels no unit of an order Ordo has, or names an order
Ordo has not got, is no cancellation at all (None), and is taken as the order it carries.

The audit entries carry the channel under `from_channel`, as a whole cancellation's does, and
the shop's change under `channel_change`: the shop is never told its own news, and the same
change delivered again is recognised. Lines the shop names that Ordo's order has not got (a
line support removed) are left alone.

A kit's line (`7`, filed as its parts `7.1`, `7.2`, each keeping the kit's shape) loses
whole kits: the shop lowering it by k kits (of the kits Ordo's order still has any part of),
or to n, leaves each part n kits' worth, taking off what it has beyond that
(`engine.domain.kits`). A part support lowered before keeps its partners' count: 3 GIFTSETs
whose TEAs support took to 5, lowered by the shop to 2, are 2 MUG and 4 TEA, never a MUG
without its TEAs. Like a plain line never losing more than it has left, kits beyond those
are said in the answer's reason. The kits the
shop cancelled are kept on the change's audit entries (`kits`), so that units cancelled in
Ordo later are not told to the shop again (`shop_unit_cancellations`). Parts filed before Ordo
kept the kit's shape are left alone, and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.domain import commands, events
from engine.domain.errors import DomainError, IllegalTransition
from engine.domain.fulfilment import WORKED
from engine.domain.kits import kit_parts, kit_sku, live_kits, units_above
from engine.domain.operations import AuditEntry
from engine.domain.orders import MODIFIABLE, NEVER_SHIPS, ON_ITS_WAY, Order, OrderLine
from engine.domain.values import utcnow
from engine.service_layer import audit, backorders
from engine.service_layer.channel_cancellations import (
    FROM_CHANNEL,
    ChannelCancellation,
    Dispatch,
    cancel_for_channel,
)
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The alert a refusal raises: high, so it opens a ticket where tickets are on.
REFUSED_RULE = "channels/unit cancellation refused"
REFUSED_SEVERITY = "high"
REFUSED_ACTION = events.OrderChannelChangeRefused.name
# The audit's mark naming the shop's change an entry took (or refused).
CHANGE = "channel_change"
# The audit's mark of the kits the shop's change cancelled, by the kit's line.
KITS = "kits"
# How far back an order's audit trail is read for the same change (an order has dozens).
_HISTORY = 500


@dataclass(frozen=True, slots=True)
class ChannelUnitCancellation:
    """The channel `channel` cancelled units of its order `channel_order_id`, by its own line
    ids: `cancelled`, the units each line lost, or `kept`, the units each line still has
    (every line listed; see `connectors.channels.base.UnitCancellation`). `change` names the
    shop's change ("" for none), `actor` who delivered the news."""

    channel: str
    channel_order_id: str
    reason: str
    actor: str
    cancelled: Mapping[str, int] | None = None
    kept: Mapping[str, int] | None = None
    change: str = ""
    delivery_id: str = ""


@dataclass(frozen=True, slots=True)
class UnitOutcome:
    """What became of it: `outcome` (see the module), why in words, the order as it stands,
    and the units per line that came off (`cancelled`) and that were past it (`refused`)."""

    outcome: str
    reason: str
    order: Order | None = None
    cancelled: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)


# The caller's own record of the change, run inside the commit that takes its units off or
# refuses them, with what that commit settles (its order as the transaction has it): the
# units never come off without it, nor it without them (an 860's record and 865, po_changes).
Settled = Callable[[UnitOfWork, UnitOutcome], None]


@dataclass(frozen=True, slots=True)
class _Wanted:
    """What of the shop's change Ordo's order can take: `units` per line of Ordo's order,
    the `kits` the shop cancelled per kit line, and the kits its parts could not give whole
    (`short`, said in the answer)."""

    units: dict[str, int]
    kits: dict[str, int] = field(default_factory=dict)
    short: tuple[str, ...] = ()


def cancel_units_for_channel(
    uows: Callable[[], UnitOfWork],
    dispatch: Dispatch,
    asked: ChannelUnitCancellation,
    *,
    settled: Settled | None = None,
) -> UnitOutcome | None:
    """Take the units the shop cancelled off its order (`dispatch` runs a command with a hook
    inside its commit), or say why none came off; None when the delivery is no cancellation
    (a whole order that cancels nothing, or names an order Ordo has not got). `settled` runs
    inside the commit that takes the units off or refuses them, with that outcome; not when
    nothing is committed, nor when a whole order's cancellation is refused (that refusal is
    `channel_cancellations`' own commit). What it raises rolls that commit back, to the
    caller."""
    sends_whole_order = asked.kept is not None
    with uows() as uow:
        order = uow.orders.get_by_channel_id(asked.channel, asked.channel_order_id)
        if order is None:
            return None if sends_whole_order else _ignored(asked)
        if order.status in NEVER_SHIPS:
            if sends_whole_order:
                return None
            return UnitOutcome("unchanged", f"order {order.id} is {order.status} already", order)
        asking = _wanted(order, asked)
        wanted = asking.units
        if not wanted:
            if sends_whole_order:
                return None
            why = f"order {order.id} has none of those units left to cancel"
            return UnitOutcome("unchanged", why, order)
        taken = _taken_before(uow.audit.list(entity="order", entity_id=order.id, limit=_HISTORY),
                              asked.change)  # fmt: skip
        if taken is not None:
            return _again(order, taken)
        whole = _leaves_nothing(order, wanted)
        worked = any(s.status in WORKED for s in uow.shipments.for_order(order.id))
        changeable = order.status in MODIFIABLE and not worked
        before: dict[str, object] = {"status": str(order.status), "lines": _lines(order)}
        order_id = order.id
    if whole:
        return _whole_order(uows, dispatch, asked, wanted, settled)
    reason = "; ".join((asked.reason, *asking.short))
    if changeable:
        try:
            _modify(dispatch, asked, order_id, asking, before, reason, settled)
        except IllegalTransition:
            pass  # picked since it was read: on its way after all
        else:
            return _done(uows, order_id, "cancelled", reason, wanted, {})
    return _on_its_way(uows, dispatch, asked, order_id, asking, settled)


def _wanted(order: Order, asked: ChannelUnitCancellation) -> _Wanted:
    """The units per line of Ordo's order that the shop's change takes off: never more than
    a line still has, and only lines the order has under the shop's ids, or whole kits of
    its kit lines' parts."""
    left = {line.id: line.quantity - line.quantity_cancelled for line in order.lines}
    kits = kit_parts(order.lines)
    if asked.cancelled is not None:
        _shapeless(order, asked.cancelled, left, kits, logging.WARNING)
        capped = {line: min(units, left[line]) for line, units in asked.cancelled.items()
                  if line in left}  # fmt: skip
        units = {line: units for line, units in capped.items() if units > 0}
        return _with_kits(units, kits, {line: n for line, n in asked.cancelled.items()
                                        if line in kits and n > 0})  # fmt: skip
    kept = asked.kept or {}
    if not any(line in kept for line in (*left, *kits)):
        # None of the order's lines is a line of the shop's order (posted to Ordo by hand):
        # nothing here says the shop removed them.
        return _Wanted({})
    # Quieter: a shop sending its whole order names such a line on every change it makes.
    _shapeless(order, kept, left, kits, logging.INFO)
    units = {
        line: have - kept.get(line, 0)
        for line, have in left.items()
        if "." not in line and have > kept.get(line, 0)  # a kit's parts are taken in kits
    }
    # A kit is the shop's while any part has units of it left; the shop keeps `kept` kits.
    lowered = {line: live_kits(parts) - kept.get(line, 0) for line, parts in kits.items()}
    return _with_kits(units, kits, {line: n for line, n in lowered.items() if n > 0})


def _with_kits(
    units: dict[str, int], kits: Mapping[str, Sequence[OrderLine]], asked: Mapping[str, int]
) -> _Wanted:
    """`units`, and the units of each kit's parts that the kits `asked` are: the kit's line
    lowered by that many of its live kits, each part down to the kits left (a part already
    below keeps what it has), so whole kits stay whole; kits beyond the live ones said
    (`short`)."""
    short = []
    for line, count in asked.items():
        parts = kits[line]
        live = live_kits(parts)
        if live < count:
            short.append(
                f"kit line {line} ({kit_sku(parts)}): {live} of the {count} kits cancelled, "
                "as its parts had no more kits left to cancel"
            )
        units.update(units_above(parts, max(live - count, 0)))
    return _Wanted(units, dict(asked), tuple(short))


def _shapeless(
    order: Order,
    named: Mapping[str, int],
    left: Mapping[str, int],
    kits: Mapping[str, Sequence[OrderLine]],
    level: int,
) -> None:
    """Log the shop's lines Ordo filed as a kit's parts before it kept the kit's shape: their
    units are left alone, as nothing says how many make a kit."""
    for line in named:
        if (
            line not in left
            and line not in kits
            and any(part.startswith(f"{line}.") for part in left)
        ):
            log.log(level, "order %s: the shop's line %s is a kit whose parts were filed "
                    "without its shape; its units are left alone: change them by hand",
                    order.id, line)  # fmt: skip


def _leaves_nothing(order: Order, wanted: Mapping[str, int]) -> bool:
    left = sum(line.quantity - line.quantity_cancelled for line in order.lines)
    return left <= sum(wanted.values())


def _taken_before(history: Sequence[AuditEntry], change: str) -> str | None:
    """The action of the newest entry of the order's history (newest first) that took or
    refused the shop's `change`, or None when it is new (or the shop names none)."""
    if not change:
        return None
    for entry in history:
        if entry.after.get(CHANGE) == change:
            return entry.action
    return None


def _again(order: Order, action: str) -> UnitOutcome:
    if action == REFUSED_ACTION:
        why = (
            f"order {order.id} had units of this change past changing, and a person was "
            "alerted to stop them already"
        )
        return UnitOutcome("refused", why, order)
    return UnitOutcome("unchanged", f"order {order.id} has had this change taken already", order)


def _ignored(asked: ChannelUnitCancellation) -> UnitOutcome:
    why = (
        f"Ordo has no order {asked.channel_order_id} of channel {asked.channel}: there are no "
        "units of it to cancel"
    )
    log.warning("channel %s cancelled units of order %s: %s", asked.channel,
                asked.channel_order_id[:64], why)  # fmt: skip
    return UnitOutcome("ignored", why)


def _whole_order(
    uows: Callable[[], UnitOfWork],
    dispatch: Dispatch,
    asked: ChannelUnitCancellation,
    wanted: dict[str, int],
    settled: Settled | None,
) -> UnitOutcome:
    """Every unit left cancelled: the shop's cancellation of the whole order."""
    whole = ChannelCancellation(asked.channel, asked.channel_order_id, asked.reason,
                                asked.actor, asked.delivery_id)  # fmt: skip

    def run(command: commands.Command, audited: Callable[[UnitOfWork], None]) -> Any:
        def then(uow: UnitOfWork) -> None:
            audited(uow)
            if settled is not None:
                order = uow.orders.get_by_channel_id(asked.channel, asked.channel_order_id)
                settled(uow, UnitOutcome("cancelled", asked.reason, order, dict(wanted)))

        return dispatch(command, then)

    done = cancel_for_channel(uows, run, whole)
    came_off = wanted if done.outcome == "cancelled" else {}
    refused = wanted if done.outcome == "refused" else {}
    return UnitOutcome(done.outcome, done.reason, done.order, came_off, refused)


def _lines(order: Order) -> dict[str, int]:
    return {line.id: line.quantity for line in order.lines}


def _modify(
    dispatch: Dispatch,
    asked: ChannelUnitCancellation,
    order_id: str,
    asking: _Wanted,
    before: dict[str, object],
    reason: str,
    settled: Settled | None,
) -> None:
    """Lower the lines as support's `ModifyOrder` would (a line left with none is removed),
    audited for the channel's caller (and `settled`) in the command's own commit."""
    wanted = asking.units
    had = before["lines"]
    assert isinstance(had, dict)
    lower = {line: had[line] - units for line, units in wanted.items() if had[line] > units}
    removed = tuple(line for line in wanted if line not in lower)

    def audited(uow: UnitOfWork) -> None:
        order = uow.orders.get(order_id)
        assert order is not None  # orders are never deleted
        after = {"status": str(order.status), "lines": _lines(order), "reason": asked.reason,
                 "cancelled": wanted, FROM_CHANNEL: asked.channel, CHANGE: asked.change,
                 **_kits(asking)}  # fmt: skip
        audit.record(uow, asked.actor, "order.modify", "order", order_id, before, after)
        if settled is not None:
            settled(uow, UnitOutcome("cancelled", reason, order, dict(wanted)))

    command = commands.ModifyOrder(order_id, quantities=lower, remove_lines=removed,
                                   actor=asked.actor)  # fmt: skip
    dispatch(command, audited)


def _on_its_way(
    uows: Callable[[], UnitOfWork],
    dispatch: Dispatch,
    asked: ChannelUnitCancellation,
    order_id: str,
    asking: _Wanted,
    settled: Settled | None,
) -> UnitOutcome:
    """Cancel what of the units still waits for stock (`CancelBackordered`, as support's
    `POST /v1/orders/{id}/cancel-backordered`); the rest is past changing: refused, in the
    same commit. A kit's parts go as any line's units do: what of each still waits comes off
    (the customer wants none of the kits), and a person is asked to stop the rest."""
    wanted = asking.units
    with uows() as uow:
        order = uow.orders.get(order_id)
        assert order is not None  # orders are never deleted
        waiting = backorders.remainder(uow, order) if order.status in ON_ITS_WAY else {}
        was = str(order.status)
    remainder = {line: min(units, waiting[line]) for line, units in wanted.items()
                 if waiting.get(line, 0) > 0}  # fmt: skip
    if remainder:
        refused = _beyond(wanted, remainder)
        said = _cancel_remainder(dispatch, asked, order_id, remainder,
                                 {"status": was, "backordered": waiting}, asking, refused,
                                 settled)  # fmt: skip
        if said is not None:
            return _done(uows, order_id, "refused" if refused else "cancelled", said, remainder,
                         refused)  # fmt: skip
    # Nothing waits, or it was placed or shipped since it was read: past changing too.
    said = _refuse(uows, asked, order_id, dict(wanted), {}, asking, settled)
    return _done(uows, order_id, "refused", said, {}, dict(wanted))


def _beyond(wanted: Mapping[str, int], remainder: Mapping[str, int]) -> dict[str, int]:
    """The units of `wanted` that the remainder cancelled does not take: past changing."""
    return {line: units - remainder.get(line, 0) for line, units in wanted.items()
            if units > remainder.get(line, 0)}  # fmt: skip


def _cancel_remainder(
    dispatch: Dispatch,
    asked: ChannelUnitCancellation,
    order_id: str,
    remainder: dict[str, int],
    before: dict[str, object],
    asking: _Wanted,
    refused: dict[str, int],
    settled: Settled | None,
) -> str | None:
    """Cancel units of the backordered remainder, audited as support's cancellation of it
    is (`order.cancel_backordered`), for the channel's caller, in the command's own commit,
    with the `refused` units past changing (`_refusal`) and `settled`: the units never come
    off without the rest of the change answered. Why, for the answer; None when the command
    is refused (placed or shipped since it was read)."""
    said: list[str] = []

    def audited(uow: UnitOfWork) -> None:
        order = uow.orders.get(order_id)
        assert order is not None  # orders are never deleted
        after = {"status": str(order.status), "reason": asked.reason, "cancelled": remainder,
                 FROM_CHANNEL: asked.channel, CHANGE: asked.change,
                 **_kits(asking)}  # fmt: skip
        audit.record(uow, asked.actor, "order.cancel_backordered", "order", order_id, before,
                     after)  # fmt: skip
        if refused:
            said.append(_refusal(uow, asked, order_id, refused, remainder, asking))
        else:
            said.append("; ".join((asked.reason, *asking.short)))
        if settled is not None:
            outcome = "refused" if refused else "cancelled"
            settled(uow, UnitOutcome(outcome, said[0], order, dict(remainder), dict(refused)))

    command = commands.CancelBackordered(order_id, asked.reason, remainder, asked.actor)
    try:
        dispatch(command, audited)
    except DomainError:
        if settled is not None and said:
            raise  # the command reached its commit: the caller's record failed, not it
        return None
    return said[0]


def _kits(asking: _Wanted) -> dict[str, object]:
    """The audit's mark of the kits the shop cancelled (none: no mark). Every entry of one
    change carries it; a reader counts it once per change (`channel_change`)."""
    return {KITS: dict(asking.kits)} if asking.kits else {}


def _units(lines: Mapping[str, int]) -> str:
    return ", ".join(f"{units} of line {line}" for line, units in lines.items())


def _refuse(
    uows: Callable[[], UnitOfWork],
    asked: ChannelUnitCancellation,
    order_id: str,
    refused: dict[str, int],
    remainder: dict[str, int],
    asking: _Wanted,
    settled: Settled | None,
) -> str:
    """`_refusal` in a transaction of its own, `settled` in its commit. Returns why."""
    with uows() as uow:
        said = _refusal(uow, asked, order_id, refused, remainder, asking)
        if settled is not None:
            settled(uow, UnitOutcome("refused", said, uow.orders.get(order_id), dict(remainder),
                                     dict(refused)))  # fmt: skip
        uow.commit()
    return said


def _refusal(
    uow: UnitOfWork,
    asked: ChannelUnitCancellation,
    order_id: str,
    refused: dict[str, int],
    remainder: dict[str, int],
    asking: _Wanted,
) -> str:
    """Record in `uow` that the shop's change came too late for `refused`, and ask a person
    to stop those units: the event, a high alert and an audit entry naming the change, so
    that the same change delivered again raises nothing more. Returns why, for the answer."""
    order = uow.orders.get(order_id)
    assert order is not None  # orders are never deleted
    status = str(order.status)
    said = (
        f"{_units(refused)} of order {order_id} are past changing (the order is {status}: "
        "picked at its location or further on); a person was alerted to stop them"
    )
    if remainder:
        said += f"; {_units(remainder)}, still waiting for stock, were cancelled"
    said = "; ".join((said, *asking.short))
    log.warning("channel %s cancelled units of order %s (%s): %s", asked.channel, order_id,
                asked.channel_order_id[:64], said)  # fmt: skip
    uow.record(
        events.OrderChannelChangeRefused(order_id, asked.channel, asked.channel_order_id,
                                         status, dict(refused), asked.reason, said)
    )  # fmt: skip
    uow.record(
        events.AlertTriggered(
            rule=REFUSED_RULE,
            key=order_id,
            severity=REFUSED_SEVERITY,
            message=(
                f"Order {order_id} ({asked.channel} order {asked.channel_order_id}): the "
                f"shop cancelled {_units(refused)} ({asked.reason}), but they are past "
                f"changing in Ordo (the order is {status}) and may still reach the "
                "customer: stop them at their location or with the carrier, or settle it "
                "with the customer."
            ),
            at=utcnow().isoformat(),
        )
    )
    after = {"reason": asked.reason, "lines": dict(refused), "refused": said,
             CHANGE: asked.change, **_kits(asking)}  # fmt: skip
    audit.record(uow, asked.actor, REFUSED_ACTION, "order", order_id, {"status": status},
                 after)  # fmt: skip
    return said


def _done(
    uows: Callable[[], UnitOfWork],
    order_id: str,
    outcome: str,
    reason: str,
    cancelled: dict[str, int],
    refused: dict[str, int],
) -> UnitOutcome:
    with uows() as uow:
        return UnitOutcome(outcome, reason, uow.orders.get(order_id), cancelled, refused)
