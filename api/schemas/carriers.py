"""What Ordo answers a carrier's tracking webhook (`api.routes.carriers`)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Out
from engine.service_layer.carrier_tracking import Tally


class CarrierTrackingOut(Out):
    """What became of each scan a delivery carried. Every delivery the carrier signed is
    answered 200, whatever became of its scans: a carrier retries any other answer."""

    recorded: int = Field(
        ge=0,
        description="Scans new on their shipment's timeline: events, audit, a delivery and "
        "the customer's emails follow as for a scan posted to POST /v1/shipments/{id}/tracking.",
        examples=[1],
    )
    unchanged: int = Field(
        ge=0, description="Scans the timeline had already (a retried delivery).", examples=[0]
    )
    unknown: int = Field(
        ge=0,
        description="Scans of a number no shipment of this carrier has (a parcel packed again "
        "since, another carrier's number).",
        examples=[0],
    )
    not_with_carrier: int = Field(
        ge=0,
        description="Scans of a shipment no carrier has: pending (not released yet) or "
        "cancelled (its label voided); or of a transfer received or cancelled.",
        examples=[0],
    )
    transfers: int = Field(
        ge=0,
        description="Scans of a stock transfer on its way, reported shipped with this carrier "
        "under their number: an estimate revises its `expected_on` (`transfer.arrival_revised`), "
        "a `delivered` one records its delivery at the store (`transfer.delivered`; the store "
        "still receives it to count the units in); a repeat changes nothing, and is counted.",
        examples=[0],
    )

    @classmethod
    def of(cls, tally: Tally) -> CarrierTrackingOut:
        return cls(
            recorded=tally.recorded,
            unchanged=tally.unchanged,
            unknown=tally.unknown,
            not_with_carrier=tally.not_with_carrier,
            transfers=tally.transfers,
        )
