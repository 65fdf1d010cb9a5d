"""What a carrier's tracking scan means to Ordo: its milestone, read from the scan's code.

Carriers post codes of their own: UPS a status type of one or two letters, FedEx two
letters, USPS an event code of two characters (mostly digits), DHL's unified tracking API a
word. `CARRIER_CODES` maps the ones below, and the plain words a carrier or a person would
write, to a `Milestone`; `milestone_of` looks a code up without regard to case, reading spaces
and hyphens as underscores ("Out for delivery" is `out_for_delivery`, DHL's "pre-transit" is
`pre_transit`). A code the table lacks means nothing to Ordo: its scan joins the timeline and
moves nothing. A carrier whose codes are not here says what a scan means in the post itself
(`milestone` in `POST /v1/shipments/{id}/tracking`).

The codes come from public references, not from the carriers' own documentation (which is
behind their developer sign-ins): UPS's status types and FedEx's event types as the karrio
shipping library maps them (`karrio/providers/{ups,fedex}/units.py`, `TrackingStatus`), USPS's
event codes as the USPS::WebTools::Tracking::Codes Perl module lists them, and DHL's unified
status codes as DHL's developer support describes them. Ordo's own rate-card carriers
(`connectors/carriers/ratecard.py`) report no tracking, so they add none. The table is in
docs/api.md ("Shipment tracking"): change both together.

Codes that mean several things, or a state the parcel may sit in for long (USPS's "available
for pickup", FedEx's "held at location"), are left out: a wrong milestone is worse than none,
since `delivered` moves the shipment and `attempted` writes to the customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Milestone(StrEnum):
    """What a scan says about the parcel's way to the customer."""

    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    # A delivery attempt failed (nobody home, no access, no safe place): the carrier will try
    # again or leave the parcel for collection.
    ATTEMPTED = "attempted"
    # Any other problem on the way: damaged, an address the carrier cannot deliver to, held
    # (customs, a refusal), delayed (weather).
    EXCEPTION = "exception"
    # On its way back to the sender.
    RETURNED = "returned"


_IN_TRANSIT, _OUT = Milestone.IN_TRANSIT, Milestone.OUT_FOR_DELIVERY
_DELIVERED, _ATTEMPTED = Milestone.DELIVERED, Milestone.ATTEMPTED
_EXCEPTION, _RETURNED = Milestone.EXCEPTION, Milestone.RETURNED

_PLAIN_WORDS: dict[str, Milestone] = {
    "in_transit": _IN_TRANSIT, "transit": _IN_TRANSIT, "picked_up": _IN_TRANSIT,
    "out_for_delivery": _OUT,
    "delivered": _DELIVERED,
    "attempted": _ATTEMPTED, "delivery_attempted": _ATTEMPTED,
    "attempted_delivery": _ATTEMPTED, "failed_attempt": _ATTEMPTED,
    "exception": _EXCEPTION, "delivery_exception": _EXCEPTION,
    "returned": _RETURNED, "return_to_sender": _RETURNED, "returned_to_sender": _RETURNED,
}  # fmt: skip
_UPS: dict[str, Milestone] = {
    "i": _IN_TRANSIT,  # in transit
    "p": _IN_TRANSIT,  # pickup
    "ot": _OUT,  # out for delivery
    "d": _DELIVERED,  # delivered
    "x": _EXCEPTION,  # exception
    "rs": _RETURNED,  # returned to shipper
}
_FEDEX: dict[str, Milestone] = {
    "pu": _IN_TRANSIT,  # picked up
    "it": _IN_TRANSIT,  # in transit
    "ix": _IN_TRANSIT,  # in transit (international)
    "od": _OUT,  # on FedEx vehicle for delivery
    "dl": _DELIVERED,  # delivered
    "de": _EXCEPTION,  # delivery exception
    "se": _EXCEPTION,  # shipment exception
    "dy": _EXCEPTION,  # delay
    "dd": _EXCEPTION,  # delivery delay
    "rs": _RETURNED,  # return to shipper (UPS's code, and meaning, too)
}
_USPS: dict[str, Milestone] = {
    "03": _IN_TRANSIT,  # accept or pickup
    "07": _IN_TRANSIT,  # arrival at unit
    "10": _IN_TRANSIT,  # processed
    "pc": _IN_TRANSIT,  # sorting / processing complete
    "ef": _IN_TRANSIT,  # departed sort facility
    "sf": _IN_TRANSIT,  # departed post office
    "of": _OUT,  # out for delivery
    "01": _DELIVERED,  # delivered
    "02": _ATTEMPTED,  # attempted, notice left
    "52": _ATTEMPTED,  # notice left
    "53": _ATTEMPTED,  # receptacle blocked
    "54": _ATTEMPTED,  # receptacle full, item oversized
    "55": _ATTEMPTED,  # no secure location available
    "56": _ATTEMPTED,  # no authorized recipient available
    "04": _EXCEPTION,  # refused
    "05": _EXCEPTION,  # undeliverable as addressed
    "09": _RETURNED,  # return to sender
    **{code: _RETURNED for code in ("21", "22", "23", "24", "25", "26", "27", "28", "29", "31")},
}  # return to sender, each with its reason (no such number, vacant, unclaimed...)
_DHL: dict[str, Milestone] = {
    "failure": _EXCEPTION,  # could not be delivered, or an unforeseen event (customs, returned)
}  # "transit" and "delivered" are plain words above; "pre-transit" and "unknown" mean nothing

CARRIER_CODES: Mapping[str, Milestone] = MappingProxyType(
    {**_UPS, **_FEDEX, **_USPS, **_DHL, **_PLAIN_WORDS}
)
"""Every code Ordo reads a milestone from, normalised as `milestone_of` looks it up."""


def normalised(code: str) -> str:
    """`code` as the table keys it: trimmed, lower case, spaces and hyphens as underscores."""
    return "_".join(code.strip().lower().replace("-", " ").split())


def milestone_of(code: str) -> Milestone | None:
    """The milestone a carrier's code stands for, or None for a code Ordo does not know."""
    return CARRIER_CODES.get(normalised(code))
