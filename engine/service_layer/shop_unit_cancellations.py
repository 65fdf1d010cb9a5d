"""Units of an order cancelled in Ordo are cancelled, and refunded, in the shop it came from.

`ShopUnitCanceller` is a worker observer of the two events that take units off an order while
the rest of it stands:
- `order.modified` whose `changes` lower a line's quantity (`lines.<id>.quantity`: [was, is])
  or remove a line (`removed_lines`): support's `POST /v1/orders/{id}/modify`, the console;
- `order.remainder_cancelled` (`lines`: units per line): units of the backordered remainder
  cancelled (`POST /v1/orders/{id}/cancel-backordered`).
When the order's channel has a connector holding the shop's API credentials
(`WebhookChannel.tells_refunds`), those units are cancelled on the shop's order and what they
cost is refunded to the customer's payment (`cancel_units_in_shop`), so that the shop neither
shows them as coming nor keeps the money. `order.units_cancel_sent_to_channel` and an audit
entry of the same name (the order's timeline) record it, in the worker's transaction.

How many units a removed line still had to send is in the event (`removed_units`: its
quantity less what was cancelled of it before); for an event written before it said so, the
line's quantity is read from the change's audit entry (`order.modify`, whose `before` lists
each line's quantity), which support's API and a shop's own change both write in the change's
commit. That entry is the newest `order.modify` (or `order.cancel_backordered`) of the order's
timeline that agrees with the event's lines. It also says whether the change was the shop's
own (`channel_unit_cancellations` marks its entries `from_channel`).

A kit's line (`7`, filed as its parts `7.1`, `7.2`, each keeping the kit's shape) is told in
whole kits, never a part of one (`engine.domain.kits`): the kits all of whose parts' units are
cancelled (however: lowered, removed, a remainder cancelled), less the kits the shop knows of
already: those told for earlier changes (this worker's entries, `lines`) and those the shop
cancelled itself (`channel_unit_cancellations`' entries, `kits`). Counting from the order as
it stands, not the one change, a worker that is behind tells each kit once: the first change
it reads tells what the later ones made whole too. A part removed takes the kits its line
ordered along in the event (`removed_kits`). A change that tells kits first reads back the
refunds the shop holds from Ordo (`units_refunded_by_ordo`, by change): a worker that crashed
after the shop answered has no entry for that telling, and the next change may come first
(a Redis bus hands a crashed entry out again only once it has been idle). The shop holding
this change's refund, it is recorded with the shop's units (`already_cancelled`); its refunds
of other changes count as told, in place of their entries. A change that tells no kit is not
read back: the shop is asked once, as before.

Not sent:
- the shop's own change: the shop knows, and told again it would cancel the units twice;
- an order that is cancelled or rejected: `shop_cancellations` tells the shop of a whole
  cancellation (and a modification that would leave no line is refused: it is a
  cancellation);
- lines that are not the shop's: the lines an order consolidated into this one brought
  (`<order>:<line>`), which belong to another shop order, and a kit's parts filed before
  Ordo kept the kit's shape (logged: nothing says how many units make a kit);
- units of a kit's parts that make no whole kit yet (they are told once the kit is whole);
- added lines and raised quantities: a shop is never asked to charge more;
- a removed line of an event from before `removed_units`, whose quantity no audit entry
  gives either: left out, and logged as a warning.

Once per change: the shop's refund is marked with the event's id (`CancelledUnits.note`), and
the connector reads the shop's order first and finds it (`already_cancelled`) should the
worker crash between the shop's answer and its commit; and an order whose timeline shows this
change told (or refused) is not sent again, as a redriven dead letter would be. A shop that
cannot be reached, or asks to be tried later (429, 5xx), raises the connector's
`DeliveryError`: the worker retries the event with backoff and, after the bus's last delivery,
dead-letters it. A shop that refuses for good (a line it has not got, more units than it has
left to cancel, more money than is left to refund, a gateway that cannot refund) raises
`PermanentRefusal`: not retried, but `order.channel_units_cancel_failed`, its audit entry and a
high alert (`channels/shop unit cancellation failed`, keyed by the order) naming the units and
what the shop said ask a person to cancel and refund them in the shop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.base import PermanentRefusal
from connectors.channels.base import ALREADY_CANCELLED, CancelledUnits
from engine.adapters.bus.base import Message
from engine.domain import events
from engine.domain.kits import kit_parts, kits_cancelled, kits_ordered
from engine.domain.operations import AuditEntry
from engine.domain.orders import NEVER_SHIPS, Order
from engine.service_layer import shop_calls
from engine.service_layer.channel_cancellations import FROM_CHANNEL
from engine.service_layer.channel_unit_cancellations import CHANGE as SHOP_CHANGE
from engine.service_layer.channel_unit_cancellations import KITS
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# The alert a shop's refusal raises: high, so it opens a ticket where tickets are on.
FAILED_RULE = "channels/shop unit cancellation failed"
# The audit actions on the order's timeline, which also tell a redelivery the shop was asked.
SENT_ACTION = events.OrderUnitsCancelSentToChannel.name
FAILED_ACTION = events.OrderChannelUnitsCancelFailed.name
# The audit actions of the changes themselves (api.routes.orders, channel_unit_cancellations).
MODIFY_ACTION = "order.modify"
REMAINDER_ACTION = "order.cancel_backordered"
# Where the change's id is kept in this worker's audit entries.
CHANGE = "change"
_WATCHED = frozenset({events.OrderModified.name, events.OrderRemainderCancelled.name})
_NOTHING_TO_TELL = (
    "none of the units cancelled is on a line of the shop's order, or makes a whole kit the "
    "shop was not told of"
)


class Shop(Protocol):
    """A channel connector (`connectors.channels.base.WebhookChannel`), as the canceller
    uses it."""

    @property
    def channel(self) -> str: ...

    @property
    def tells_refunds(self) -> bool: ...

    def cancel_units_in_shop(self, channel_order_id: str, cancelled: CancelledUnits) -> str: ...

    def units_refunded_by_ordo(
        self, channel_order_id: str, order_id: str
    ) -> dict[str, dict[str, int]]: ...


@dataclass(frozen=True, slots=True)
class Change:
    """What an event took off an order: `units` per line, the change's audit entry (None
    when there is none), and removed lines whose units no entry gives."""

    units: dict[str, int]
    entry: AuditEntry | None = None
    unknown: tuple[str, ...] = field(default_factory=tuple)


class ShopUnitCanceller:
    """Worker observer: units cancelled in Ordo, cancelled and refunded in their order's shop
    once (module doc). `shops` are the channel connectors; those without the shop's
    credentials are left out."""

    name = "shop-unit-cancellations"

    def __init__(self, shops: Mapping[str, Shop]) -> None:
        self.shops = shop_calls.shops_that(shops, lambda shop: shop.tells_refunds)
        self.sent = 0

    def wants(self, message: Message) -> bool:
        return message.name in _WATCHED and bool(self.shops)

    def __call__(self, message: Message, uow: UnitOfWork) -> None:
        if not self.wants(message) or not _cancels_units(message):
            return  # most modifications change an address or add a line: nothing to tell
        order_id = str(message.payload["order_id"])
        with uow:
            order = uow.orders.get(order_id)
            shop = None if order is None else self.shops.get(order.channel)
            if order is None or shop is None or not order.channel_order_id:
                return  # no shop of its channel is told of cancelled units
            history = shop_calls.timeline(uow, "order", order.id)
            change = change_of(message, history)
            plain = {line: n for line, n in change.units.items() if _shops_line(line)}
            kits = _kits_to_tell(order, message, change, history)
            why_not = _not_sent(order, history, message.event_id, change, {**plain, **kits})
            cancelled = CancelledUnits(order.id, message.event_id, order.currency,
                                       {**plain, **kits})  # fmt: skip
            try:
                outcome = None
                if not why_not and kits:
                    # A kit told just before a crash is on the shop, not on the timeline: the
                    # shop's refunds say it, lest it go untold or be told twice (module doc).
                    cancelled, outcome = _as_the_shop_holds(shop, order, message, change,
                                                            history, plain)  # fmt: skip
                    why_not = "" if cancelled.units or outcome else _NOTHING_TO_TELL
                if why_not:
                    log.info("%s: units of order %s are not cancelled in its shop: %s",
                             self.name, order.id, why_not)  # fmt: skip
                    return
                if outcome is None:
                    outcome = shop.cancel_units_in_shop(order.channel_order_id, cancelled)
            except PermanentRefusal as refusal:
                _failed(uow, order, cancelled, str(refusal))
                uow.commit()
                return
            sent = events.OrderUnitsCancelSentToChannel(
                order.id, order.channel, order.channel_order_id, dict(cancelled.units),
                message.event_id, outcome,
            )  # fmt: skip
            shop_calls.recorded(uow, sent, "order", order.id,
                                _said(order, cancelled, outcome=outcome))  # fmt: skip
            uow.commit()
        log.info("%s: %s of order %s cancelled in %s (its order %s): %s", self.name,
                 cancelled.described(), order_id, order.channel, order.channel_order_id[:64],
                 outcome)  # fmt: skip
        self.sent += 1


def _cancels_units(message: Message) -> bool:
    """Whether the event takes units off at all, read from its payload alone."""
    if message.name == events.OrderRemainderCancelled.name:
        return bool(message.payload.get("lines"))
    changes = message.payload.get("changes") or {}
    return bool(changes.get("removed_lines")) or bool(_lowered(changes))


def change_of(message: Message, history: Sequence[AuditEntry]) -> Change:
    """The units the event took off each line, with the change's audit entry (module doc);
    `history` is the order's audit trail, newest first."""
    if message.name == events.OrderRemainderCancelled.name:
        lines = {str(line): int(units) for line, units in message.payload["lines"].items()}
        entry = _newest(history, REMAINDER_ACTION, lambda e: _same_remainder(e, lines))
        return Change(lines, entry)
    changes: Mapping[str, Any] = message.payload.get("changes") or {}
    entry = _newest(history, MODIFY_ACTION, lambda e: _same_modification(e, changes))
    units = {line: was - now for line, (was, now) in _lowered(changes).items()}
    # A removed line's units still to send are in the event (`removed_units`); an event
    # written before it said so gives the line's quantity from the change's audit entry.
    left = changes.get("removed_units")
    had = left if isinstance(left, Mapping) else _lines(entry.before) if entry is not None else {}
    unknown = []
    for line in map(str, changes.get("removed_lines") or ()):
        if line in had:
            units[line] = int(had[line])
        else:
            unknown.append(line)
    return Change(units, entry, tuple(unknown))


def _lowered(changes: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """The lines whose quantity went down, (was, now) by line: `lines.<id>.quantity` keys
    (a kit's part's id has a dot of its own)."""
    found = {}
    for key, value in changes.items():
        if key.startswith("lines.") and key.endswith(".quantity") and isinstance(value, list):
            was, now = value
            if now < was:
                found[key[len("lines.") : -len(".quantity")]] = (int(was), int(now))
    return found


def _newest(
    history: Sequence[AuditEntry], action: str, agrees: Callable[[AuditEntry], bool]
) -> AuditEntry | None:
    """The newest entry of `action` that `agrees` with the event. Entries of the same change
    twice over (3 to 1, back to 3, to 1 again) read alike; the newest is the one a worker
    keeping up with the bus meets."""
    return next((e for e in history if e.action == action and agrees(e)), None)


def _lines(summary: Mapping[str, Any]) -> dict[str, int]:
    found = summary.get("lines")
    return {str(k): v for k, v in found.items()} if isinstance(found, Mapping) else {}


def _same_modification(entry: AuditEntry, changes: Mapping[str, Any]) -> bool:
    """Whether an `order.modify` entry's lines before and after are what `changes` says."""
    before, after = _lines(entry.before), _lines(entry.after)
    for key, value in changes.items():
        if key.startswith("lines.") and key.endswith(".quantity") and isinstance(value, list):
            line = key[len("lines.") : -len(".quantity")]
            if [before.get(line), after.get(line)] != value:
                return False
    removed = changes.get("removed_lines") or ()
    added = changes.get("added_lines") or ()
    return all(line in before and line not in after for line in removed) and all(
        line in after and line not in before for line in added
    )


def _same_remainder(entry: AuditEntry, lines: Mapping[str, int]) -> bool:
    """Whether an `order.cancel_backordered` entry cancelled `lines`: support's entry keeps
    each line's cancelled units before and after, a shop's the units it took (after only)."""
    after, before = entry.after.get("cancelled"), entry.before.get("cancelled") or {}
    if not isinstance(after, Mapping) or not isinstance(before, Mapping):
        return False
    return all(after.get(line, 0) - before.get(line, 0) == units for line, units in lines.items())


def _shops_line(line: str) -> bool:
    """Whether a line of Ordo's order is a line of the shop's order: not a kit's part
    (`<line>.<n>`, told as its kit's line) nor one a consolidated order brought
    (`<order>:<line>`)."""
    return "." not in line and ":" not in line


def _as_the_shop_holds(
    shop: Shop,
    order: Order,
    message: Message,
    change: Change,
    history: Sequence[AuditEntry],
    plain: Mapping[str, int],
) -> tuple[CancelledUnits, str | None]:
    """The units to tell the shop of a change that tells kits, read against the refunds
    the shop holds from Ordo (module doc): the shop's own units of this change and
    `ALREADY_CANCELLED` when it holds its refund (told before a crash); else the change's
    `plain` lines and its kits counted with the shop's refunds of other changes, and None."""
    held = shop.units_refunded_by_ordo(order.channel_order_id, order.id)
    mine = held.get(message.event_id)
    if mine is not None:
        return CancelledUnits(order.id, message.event_id, order.currency, mine), ALREADY_CANCELLED
    kits = _kits_to_tell(order, message, change, history, held)
    return CancelledUnits(order.id, message.event_id, order.currency, {**plain, **kits}), None


def _kits_to_tell(
    order: Order,
    message: Message,
    change: Change,
    history: Sequence[AuditEntry],
    held: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, int]:
    """The whole kits to tell the shop of, by the kit's line, for the kit lines whose parts
    the change took units off (module doc); `history` is the order's audit trail, `held` the
    units of Ordo's refunds the shop holds by change, when it was read."""
    changes = message.payload.get("changes") or {}
    found = changes.get("removed_kits") if isinstance(changes, Mapping) else None
    removed = {str(k): int(v) for k, v in found.items()} if isinstance(found, Mapping) else {}
    shaped = {line.id: line.kit_line for line in order.lines if line.kit_line}
    touched = set()
    for line in change.units:
        kit_line = shaped.get(line) or (line.rpartition(".")[0] if "." in line else "")
        if kit_line in removed or line in shaped:
            touched.add(kit_line)
        elif "." in line:
            log.info("shop-unit-cancellations: order %s: line %s is no kit's part whose shape "
                     "Ordo keeps (filed before it kept it, or named so by hand); its units are "
                     "not told to the shop", order.id, line)  # fmt: skip
    parts = kit_parts(order.lines)
    tell = {}
    for kit_line in sorted(line for line in touched if _shops_line(line)):
        of_line = parts.get(kit_line, [])
        whole = kits_cancelled(of_line, kits_ordered(of_line, removed, kit_line))
        count = whole - _kits_known(history, kit_line, held or {})
        if count > 0:
            tell[kit_line] = count
    return tell


def _kits_known(
    history: Sequence[AuditEntry], kit_line: str, held: Mapping[str, Mapping[str, int]]
) -> int:
    """Kits of the line the shop knows are cancelled: told (or asked of a person) for earlier
    changes, and cancelled in the shop itself; each change counted once (a shop's change
    that was refused in part writes two entries). `held` (Ordo's refunds the shop holds, by
    change) is what the shop was told: a change it answered before the worker crashed is on
    it and not on the timeline, and where both have a change the shop's count is the one
    that holds."""
    known: dict[tuple[str, object], int] = {}
    for entry in history:
        if entry.action in (SENT_ACTION, FAILED_ACTION):
            known["told", entry.after.get(CHANGE)] = int(_lines(entry.after).get(kit_line, 0))
        elif isinstance(kits := entry.after.get(KITS), Mapping):
            # A change the shop did not name (a Shopify refund without an id) is its entry.
            named = entry.after.get(SHOP_CHANGE) or f"entry {entry.id}"
            known["shop", named] = int(kits.get(kit_line, 0))
    for change, lines in held.items():
        known["told", change] = int(lines.get(kit_line, 0))
    return sum(known.values())


def _not_sent(
    order: Order,
    history: Sequence[AuditEntry],
    change_id: str,
    change: Change,
    units: Mapping[str, int],
) -> str:
    """Why the shop is not to be told of the units the change cancelled; "" to tell it."""
    if order.status in NEVER_SHIPS:
        return f"it is {order.status}: a whole order's cancellation is sent on its own"
    if any(
        entry.action in (SENT_ACTION, FAILED_ACTION) and entry.after.get(CHANGE) == change_id
        for entry in history
    ):
        return "its shop was asked of this change before"
    if change.entry is not None and change.entry.after.get(FROM_CHANNEL):
        return f"its shop ({change.entry.after[FROM_CHANNEL]}) made this change"
    if change.unknown:
        log.warning("shop-unit-cancellations: order %s: no audit entry gives the units of "
                    "removed lines %s; they are not cancelled in its shop", order.id,
                    ", ".join(change.unknown))  # fmt: skip
    return "" if units else _NOTHING_TO_TELL


def _said(order: Order, cancelled: CancelledUnits, **more: str) -> dict[str, Any]:
    """The audit entry's `after`: which shop order, which units, which change, and what came
    of it."""
    return {"channel": order.channel, "channel_order_id": order.channel_order_id,
            "lines": dict(cancelled.units), CHANGE: cancelled.change, **more}  # fmt: skip


def _failed(uow: UnitOfWork, order: Order, cancelled: CancelledUnits, said: str) -> None:
    """The shop will not cancel the units: record so, and ask a person to step in."""
    log.warning("shop-unit-cancellations: order %s: %s", order.id, said)
    failed = events.OrderChannelUnitsCancelFailed(
        order.id, order.channel, order.channel_order_id, dict(cancelled.units),
        cancelled.change, said,
    )  # fmt: skip
    shop_calls.recorded(uow, failed, "order", order.id, _said(order, cancelled, refused=said))
    shop_calls.ask_a_person(
        uow,
        FAILED_RULE,
        order.id,
        f"Units of order {order.id} were cancelled in Ordo ({cancelled.described()}), but its "
        f"shop ({order.channel}, order {order.channel_order_id}) would not cancel and refund "
        "them, so the customer may still be charged for them or see them as coming: cancel "
        f"and refund them in the shop. {said}",
    )
