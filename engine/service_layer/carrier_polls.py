"""The worker's tracking poll: a safety net under the carriers' tracking webhooks.

A carrier with an API pushes its scans to Ordo (`carrier_tracking`, through
`POST /v1/carriers/{code}/tracking`). If that webhook was never set up, or a delivery was
lost (EasyPost gives up after its retries), a shipment with the carrier would never hear of
its scans again. So every `every` the worker's `CarrierPoller` asks each carrier that can be
asked (`Carrier.poll_tracking`; a rate-card carrier, with no API, answers None and is passed
over) about its shipments that are with it (`shipped`: neither delivered nor cancelled) and
have had no news for `silence` (ORDO_CARRIER_POLL_HOURS): no scan since then, nor shipping,
nor a question of the poll's own. The longest silent are asked first, at most
`MAX_PER_CARRIER` a run, `BATCH` at a time.

What comes back is recorded by `carrier_tracking.record_updates`, exactly as the webhook's
scans are: a scan the webhook delivered too is `unchanged`, never doubled, and a delivered
scan delivers the shipment and its order through the one `TrackShipment` handler.

A parcel the carrier has nothing new on stays silent, so the store would offer it first
again at the next run and starve the rest: the shipment remembers when the poll asked about
it (`FulfillmentOrder.tracking_polled_at`), and is asked again only once `silence` has passed
since. Before asking about a batch the poller claims it (`PollClaim`: the store's
conditional UPDATE, `engine.adapters.silent_shipments.claim_for_poll`) in a transaction of
its own, and asks about those it claimed only. Tickers run in the first worker of a process
(`engine.worker.assemble_workers`), so with two worker processes polling, each shipment is
claimed by one of them and asked about once; a restarted process finds the claims where it
left them.

A carrier that cannot be reached (`DeliveryError`) is left for this run: the batch it failed
is handed back (`PollRelease`) and asked about at the next run, as are the shipments not
reached. One that refuses a batch (`PermanentRefusal`) has that batch counted as asked, so it
is not asked again until `silence` has passed, and the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from connectors.base import Carrier, DeliveryError, PermanentRefusal
from engine.domain import commands
from engine.domain.fulfilment import FulfillmentOrder, ShipmentStatus
from engine.service_layer.carrier_tracking import Tally, record_updates
from engine.service_layer.unit_of_work import ShipmentRepository, UnitOfWork

log = logging.getLogger(__name__)

# At most this many shipments per carrier per run. The poll runs inside the worker's loop
# (tickers share its thread), and EasyPost answers one tracking number per request: at a
# few hundred milliseconds each, fifty is a pause of seconds every `every`, not minutes,
# and well inside an API key's rate limit. A backlog larger than this drains over runs.
MAX_PER_CARRIER = 50
# Numbers handed to the carrier at a time; each batch's scans are recorded before the next
# is asked, so a carrier failing midway keeps what it answered.
BATCH = 10
# How often the poll runs. Silence is counted in hours; half an hour late is nothing next
# to it, and each run costs carrier API calls.
EVERY = timedelta(minutes=30)
# Shipments read at a time by the slow way of finding the silent ones (no store query).
_PAGE = 500

# The store's query for a carrier's silent shipments: (shipments, carrier code, silent
# since before this moment, at most) -> the longest silent first
# (`engine.adapters.silent_shipments.silent_with_carrier`).
SilentQuery = Callable[[ShipmentRepository, str, datetime, int], Sequence[FulfillmentOrder]]
# The store's claim of shipments the poll is about to ask about: (shipments, their ids, now,
# not asked since before this moment) -> the ids claimed, each marked asked now; a shipment
# asked since is left to whoever asked (`engine.adapters.silent_shipments.claim_for_poll`).
PollClaim = Callable[[ShipmentRepository, Collection[str], datetime, datetime], set[str]]
# A claim handed back, unasked: (shipments, their ids, when it was claimed).
PollRelease = Callable[[ShipmentRepository, Collection[str], datetime], None]


def last_news(shipment: FulfillmentOrder) -> datetime:
    """When the shipment was last heard of: its latest scan, else its shipping."""
    heard = [event.at for event in shipment.tracking]
    return max([*heard, shipment.shipped_at or shipment.created_at])


def polled_numbers(shipment: FulfillmentOrder) -> list[str]:
    """The numbers to ask the carrier about: the shipment's own, then each parcel's."""
    numbers = (shipment.tracking_number, *(parcel.tracking_number for parcel in shipment.parcels))
    return list(dict.fromkeys(number for number in numbers if number))


def _not_asked_since(shipment: FulfillmentOrder, before: datetime) -> bool:
    return shipment.tracking_polled_at is None or shipment.tracking_polled_at < before


def silent_the_slow_way(
    shipments: ShipmentRepository, code: str, before: datetime, limit: int
) -> Sequence[FulfillmentOrder]:
    """`SilentQuery` for a store with no query of its own: every shipped shipment read and
    checked (as the lateness clock does without one)."""
    found: list[FulfillmentOrder] = []
    offset = 0
    while True:
        page = shipments.search(status=ShipmentStatus.SHIPPED, limit=_PAGE, offset=offset)
        found.extend(
            shipment
            for shipment in page
            if shipment.carrier == code
            and polled_numbers(shipment)
            and last_news(shipment) < before
            and _not_asked_since(shipment, before)
        )
        if len(page) < _PAGE:
            break
        offset += _PAGE
    found.sort(key=lambda shipment: (last_news(shipment), shipment.id))
    return found[:limit]


def claim_the_slow_way(
    shipments: ShipmentRepository, ids: Collection[str], at: datetime, before: datetime
) -> set[str]:
    """`PollClaim` for a store with no claim of its own: each shipment read and marked in the
    caller's transaction (one process: nothing races it)."""
    claimed = set()
    for shipment_id in ids:
        shipment = shipments.get(shipment_id)
        if shipment is not None and _not_asked_since(shipment, before):
            shipment.tracking_polled_at = at
            claimed.add(shipment_id)
    return claimed


def release_the_slow_way(shipments: ShipmentRepository, ids: Collection[str], at: datetime) -> None:
    """`PollRelease` for a store with no release of its own."""
    for shipment_id in ids:
        shipment = shipments.get(shipment_id)
        if shipment is not None and shipment.tracking_polled_at == at:
            shipment.tracking_polled_at = None


class CarrierPoller:
    """Worker ticker, at most once per `every`: ask each of `codes`' carriers about its
    shipments silent for `silence`, and record the answers (module doc). `handle` runs a
    command (the message bus's); `tick` returns how many scans were new."""

    def __init__(
        self,
        uows: Callable[[], UnitOfWork],
        handle: Callable[[commands.Command], Any],
        carriers: Callable[[str], Carrier | None],
        codes: Callable[[], Iterable[str]],
        silence: timedelta,
        *,
        every: timedelta = EVERY,
        limit: int = MAX_PER_CARRIER,
        batch: int = BATCH,
        silent: SilentQuery = silent_the_slow_way,
        claim: PollClaim = claim_the_slow_way,
        release: PollRelease = release_the_slow_way,
    ) -> None:
        if silence <= timedelta(0):
            raise ValueError(f"the tracking poll's silence must be positive, got {silence}")
        if limit < 1 or batch < 1:
            raise ValueError(f"the tracking poll needs a limit and batch of 1 or more, got "
                             f"{limit} and {batch}")  # fmt: skip
        self.uows, self.handle, self.carriers, self.codes = uows, handle, carriers, codes
        self.silence, self.every = silence, every
        self.limit, self.batch, self.silent = limit, batch, silent
        self.claim, self.release = claim, release
        self._last: datetime | None = None

    def tick(self, now: datetime) -> int:
        if self._last is not None and now - self._last < self.every:
            return 0
        recorded = sum(self.poll(code, now).recorded for code in self.codes())
        self._last = now  # after the run: a failed one (database restarting) is tried again
        return recorded

    def poll(self, code: str, now: datetime) -> Tally:
        """Ask carrier `code` about its silent shipments, once each across every process
        polling, and record the answers."""
        tally = Tally()
        carrier = self.carriers(code)
        if carrier is None or carrier.poll_tracking(()) is None:
            return tally  # no API to ask: its parcels are tracked by hand or not at all
        cutoff = now - self.silence
        with self.uows() as uow:
            due = self.silent(uow.shipments, code, cutoff, self.limit)
        asked = 0
        for start in range(0, len(due), self.batch):
            group = self._claimed(due[start : start + self.batch], now, cutoff)
            if not group:
                continue  # another process asks about these
            numbers = [number for shipment in group for number in polled_numbers(shipment)]
            try:
                updates = carrier.poll_tracking(numbers) or []
            except PermanentRefusal as refused:
                log.warning("tracking poll: carrier %s refused %d numbers (%s); asked again "
                            "in %s", code, len(numbers), refused, self.silence)  # fmt: skip
                updates = []
            except DeliveryError as error:
                log.warning("tracking poll: carrier %s cannot be asked now (%s); %d shipments "
                            "left for the next run", code, error, len(due) - start)  # fmt: skip
                self._hand_back(group, now)
                break
            asked += len(group)
            _add(tally, record_updates(code, updates, self.uows, self.handle))
        if asked:
            log.info("tracking poll: carrier %s, %d shipments asked: %s", code, asked, tally)
        return tally

    def _claimed(
        self, group: Sequence[FulfillmentOrder], now: datetime, cutoff: datetime
    ) -> list[FulfillmentOrder]:
        """Those of `group` this poller claims, committed before the carrier is asked so a
        process polling at the same moment passes over them."""
        with self.uows() as uow:
            claimed = self.claim(uow.shipments, [shipment.id for shipment in group], now, cutoff)
            uow.commit()
        return [shipment for shipment in group if shipment.id in claimed]

    def _hand_back(self, group: Sequence[FulfillmentOrder], now: datetime) -> None:
        with self.uows() as uow:
            self.release(uow.shipments, [shipment.id for shipment in group], now)
            uow.commit()


def _add(total: Tally, more: Tally) -> None:
    for field in fields(Tally):
        setattr(total, field.name, getattr(total, field.name) + getattr(more, field.name))
