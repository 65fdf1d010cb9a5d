"""Pre-orders: source them when their product's release date comes.

The Decider pre-orders a line whose product is not out yet (`Product.preorder_release` in
the future): a wholly pre-ordered order waits as `preordered`, a partly allocated one goes on
with its pre-order line backordered. `ReleaseDuePreorders(today)` finds the pre-order lines
whose product is out by `today`:

- a wholly pre-ordered (or wholly backordered) order goes back to `received` and is decided
  again now, as a new order with those lines would be (stock, fallbacks, carriers);
- a pre-order remainder of an order already on its way is re-sourced on its own
  (`backorders.resource_remainder`): what stock covers ships, the rest becomes an ordinary
  backorder promised from inbound supply, served when stock arrives.

Orders are served highest ranked first (`backorders.rank`), so when stock is short the
reservation rules' priority wins over age. A line is due only if it was decided as a
pre-order while its product was not out (a launch moved up counts from the new date): once
decided with the product out, it is not released again, so running the command twice
releases nothing twice. The worker runs it on a schedule
(`PreorderReleaser`); `ordo preorders release` runs it by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from engine.domain import commands
from engine.domain.errors import Conflict, DomainError
from engine.domain.orders import LineStatus, Order, OrderStatus
from engine.pipeline.decide import Decider
from engine.service_layer import backorders
from engine.service_layer.handlers import Clock, PipelineOptions, decide
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# Orders a due pre-order line may belong to; the first two are decided again from the top.
WHOLLY_WAITING = frozenset({OrderStatus.PREORDERED, OrderStatus.BACKORDERED})
# How far back a release date is looked for. Bounds the work of each run; a line decided
# before a release date this old was released by one of the many runs since.
LOOKBACK = timedelta(days=60)


class PreorderDateError(DomainError):
    code = "invalid_release_date"


@dataclass
class PreorderRelease:
    """What one run did: orders decided again from the top, remainders re-sourced."""

    today: date
    released: list[str] = field(default_factory=list)
    resourced: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.released) + len(self.resourced)


def release_due_preorders(
    cmd: commands.ReleaseDuePreorders,
    uow: UnitOfWork,
    decider: Decider,
    clock: Clock,
    options: PipelineOptions,
) -> PreorderRelease:
    now = clock()
    today = cmd.today or now.date()
    if today > now.date():
        raise PreorderDateError(
            f"cannot release pre-orders as of {today.isoformat()}: it is "
            f"{now.date().isoformat()}, and a pre-order is sourced on or after its release date"
        )
    decider.registry.ensure_loaded()  # before the transaction, as in `process_order`
    result = PreorderRelease(today)
    for attempt in range(1, options.max_attempts + 1):
        result = PreorderRelease(today)
        with uow:
            if _release(uow, decider, now, today, options, attempt, result):
                try:
                    uow.commit()
                except Conflict:
                    continue  # an order changed since this run read it: read again
                break
            uow.rollback()  # lost a reservation race: run the pass again on fresh stock
    else:
        log.warning("stock kept changing while releasing pre-orders; the next run does it")
        return result
    if result.count:
        log.info(
            "pre-orders due by %s: %d decided again, %d remainders re-sourced",
            today,
            len(result.released),
            len(result.resourced),
        )
    return result


def _release(
    uow: UnitOfWork,
    decider: Decider,
    now: datetime,
    today: date,
    options: PipelineOptions,
    attempt: int,
    result: PreorderRelease,
) -> bool:
    # Asked of the store: the few pre-order products out within the lookback, not the whole
    # catalogue read and filtered here on every (hourly) run.
    released_products = {
        product.sku: product.preorder_release
        for product in uow.products.released_between(today - LOOKBACK, today)
    }
    if not released_products:
        return True
    statuses = backorders.WAITING | WHOLLY_WAITING
    waiting = backorders.waiting_orders(uow, released_products, statuses)
    due = [order for order in waiting if _due_lines(uow, order, released_products)]
    budget = backorders.Budget(uow)

    def ruled(order: Order) -> int:
        # A pre-order line had no reservation policy when decided (nothing was sourced for
        # it), so its priority is asked now, with the product out, as sourcing will ask it.
        left = backorders.remainder(uow, order)
        return (
            decide(
                backorders.remainder_view(order, left), uow, decider, now, validated=True
            ).priority
            if left
            else 0
        )

    for order in backorders.by_rank(uow, due, ruled):
        if order.status in WHOLLY_WAITING:
            # Decided here, in rank order, like a backorder the pass can now fill.
            order.transition(OrderStatus.RECEIVED, "pre-order released")
            outcome = backorders.decide_in_pass(uow, order, budget, decider, now, options, attempt)
            if outcome is backorders.Outcome.LOST_RACE:
                return False
            result.released.append(order.id)
            result.statuses[order.id] = str(order.status)
            continue
        outcome = backorders.resource_remainder(
            uow, order, decider, now, options, budget, "pre-order released", attempt,
            record_unchanged=True,
        )  # fmt: skip
        if outcome is backorders.Outcome.LOST_RACE:
            return False
        result.resourced.append(order.id)
    return True


def _due_lines(uow: UnitOfWork, order: Order, released: Mapping[str, date | None]) -> list[str]:
    """Backordered lines decided as pre-orders of a product not yet out then (promised for a
    later day than the decision's), whose product is out now. A line decided again once the
    product was out is sourced, or waits as a backorder, and is never due again."""
    trace = backorders.latest_sourcing(uow, order.id)
    if trace is None:
        return []
    decided_on = trace.at.date()
    waiting_for_launch = {
        str(b["line"])
        for b in trace.detail.get("backorders", [])
        if b.get("mode") == "preorder"
        and b.get("promised_date")
        and date.fromisoformat(str(b["promised_date"])) > decided_on
    }
    return [
        line.id
        for line in order.lines
        if line.id in waiting_for_launch
        and line.status is LineStatus.BACKORDERED
        and released.get(line.sku) is not None
    ]


class PreorderReleaser:
    """Worker ticker: release the pre-orders due today, at most once per `every` (release
    dates are days, so an hourly run is on time and costs little)."""

    def __init__(
        self, handle: Callable[[commands.Command], Any], every: timedelta = timedelta(hours=1)
    ) -> None:
        self.handle = handle
        self.every = every
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        result = self.handle(commands.ReleaseDuePreorders())
        self._last = now  # after the run: a failed one (database restarting) is tried again
        return int(result.count) if isinstance(result, PreorderRelease) else 0
