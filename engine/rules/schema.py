"""The domain as the rule language sees it: the `dsl.Schema` every ruleset is checked against.

The description is plain data (`SCHEMA_SPEC`) so the API can show it to analysts; the
`dsl.Schema` is built from it on first use. `engine.rules.facts` produces facts of exactly
this shape: change both together.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dsl

_ADDRESS = {
    "postal_code": "str",
    "country": "str",
    "state": "str",
    "city": "str",
    "lat": "number?",
    "lon": "number?",
}

SCHEMA_SPEC: dict[str, Any] = {
    "types": {
        "product": {
            "sku": "str",
            "name": "str",
            "price": "money(USD)",
            "weight": "quantity(mass)",
            "hazmat": "bool",
            "category": "str",
            "tags": "list(str)",
            "oversize": "bool",
            "longest_side_cm": "number",
            "preorder_release": "date?",
            "dropship_vendor": "str?",
            "is_kit": "bool",
            "known": "bool",
        },
        "line": {
            "id": "str",
            "sku": "str",
            "quantity": "int",
            "price": "money(USD)",
            "amount": "money(USD)",
            "product": "product",
        },
    },
    "roots": {
        # The line being reserved: reservation rules are evaluated once per order line.
        "line": "line",
        "order": {
            "id": "str",
            "channel": "str",
            "channel_order_id": "str",
            "customer_id": "str",
            "email": "str",
            "currency": "str",
            "service_level": "str",
            "priority": "int",
            "total": "money(USD)",
            "created_at": "datetime",
            "requested_date": "date?",
            "ship_to": dict(_ADDRESS),
            "lines": "list(line)",
            "line_count": "int",
            "units": "int",
            "weight": "quantity(mass)",
            "hazmat": "bool",
            # "ship" or "pickup"; the store's code for a pickup (click and collect), else none.
            # Optional though the Decider always sets them, as `shipment.parcels`: rule-level
            # scenarios written before click and collect give neither.
            "fulfilment": "str?",
            "pickup_location": "str?",
        },
        "customer": {
            "id": "str",
            "email": "str",
            "name": "str",
            "tier": "str",
            "group": "str",
        },
        "location": {
            "code": "str",
            "name": "str",
            "type": "str",
            "tags": "list(str)",
            "services": "list(str)",
            "postal_code": "str",
            "state": "str",
            "country": "str",
            "lat": "number?",
            "lon": "number?",
            "daily_capacity": "int",
            "distance": "quantity(length)",
        },
        "carrier": {
            "code": "str",
            "name": "str",
            "service": "str",
            "level": "str",
            "zone": "int",
            "rate": "money(USD)",
            "transit_days": "int",
            "ship_date": "date",
            "promised_date": "date",
            "hazmat_ok": "bool",
        },
        "shipment": {
            "location_code": "str",
            "units": "int",
            "weight": "quantity(mass)",
            "hazmat": "bool",
            "oversize": "bool",
            "distance": "quantity(length)",
            # Boxes and units alone the shipment is packed into (1 without a box catalogue),
            # and their weight with the boxes' (`weight` without a box catalogue). Declared
            # optional though the Decider always sets them, so that carrier scenarios written
            # before packaging, which give neither, still run.
            "parcels": "int?",
            "gross_weight": "quantity(mass)?",
        },
        "event": {
            "name": "str",
            "order_id": "str?",
            "shipment_id": "str?",
            "sku": "str?",
            "location_code": "str?",
            "carrier": "str?",
            "channel": "str?",
            "code": "str?",
            "severity": "str?",
            "quantity": "int?",
            "available": "int?",
            # stock.count_short: what the count found, and the reserved units it did not.
            "counted": "int?",
            "short": "int?",
            "hours_late": "number?",
            "hours_held": "number?",
            # Completed from current state by the alert worker when the event is silent
            # (engine.service_layer.alerts.enriched_event_facts).
            "reorder_point": "int?",
            "backlog": "int?",
            "capacity": "int?",
            "from_status": "str?",
            "to_status": "str?",
            # shipment.tracked / shipment.delivery_exception: what the carrier's scan means.
            "milestone": "str?",
            # shipment.delivery_estimate_slipped: the carrier's estimate less the promised day,
            # and the estimate itself (ISO text, for messages).
            "days_late": "int?",
            "estimated_delivery": "str?",
            # shipment.tracked / .delivery_exception / .delivery_estimate_slipped of a packed
            # shipment: the parcel the scan named, which of the shipment's parcels it is
            # (1-based) and how many it has; none when the scan named no parcel. The position
            # and count are read from the shipment by the alert worker.
            "parcel_tracking_number": "str?",
            "parcel_index": "int?",
            "parcels": "int?",
        },
    },
    "kinds": {
        "validation": ["order", "customer"],
        "sourcing": ["order", "customer", "location"],
        "reservation": ["order", "customer", "line", "location"],
        "carrier": ["order", "customer", "shipment", "carrier"],
        "alert": ["event"],
    },
    "events": [
        "order.received",
        "order.validated",
        "order.sourced",
        "order.reserved",
        "order.modified",
        "order.status_changed",
        "order.held",
        "order.rejected",
        "order.cancelled",
        "order.cancel_refused",
        "order.channel_change_refused",
        "order.cancel_sent_to_channel",
        "order.channel_cancel_failed",
        "order.units_cancel_sent_to_channel",
        "order.channel_units_cancel_failed",
        "order.remainder_cancelled",
        "order.resourced",
        "order.awaiting_transfer",
        "order.pickup_delayed",
        "transfer.cancelled",
        "transfer.requested",
        "transfer.shipped",
        "transfer.arrival_revised",
        "transfer.delivered",
        "transfer.released",
        "transfer.sent_to_wms",
        "transfer.wms_cancelled",
        "transfer.wms_refused",
        "transfer.reinstated",
        "transfer.inbound_sent_to_wms",
        "transfer.inbound_updated_at_wms",
        "transfer.inbound_wms_refused",
        "order.released",
        "stock.reserved",
        "stock.released",
        "stock.adjusted",
        "stock.count_short",
        "boxes.counted",
        "boxes.received",
        "boxes.used",
        "shipment.status_changed",
        "shipment.labelled",
        "shipment.label_voided",
        "shipment.label_void_failed",
        "shipment.sent_to_wms",
        "shipment.wms_updated",
        "shipment.wms_refused",
        "shipment.short_picked",
        "shipment.late",
        "shipment.tracked",
        "shipment.delivery_exception",
        "shipment.delivery_estimate_slipped",
        "shipment.ready_for_pickup",
        "order.held_too_long",
        "return.status_changed",
        "return.labelled",
        "return.refund_sent_to_channel",
        "return.channel_refund_failed",
        "ruleset.published",
        "customer.updated",
        "customer.erased",
        "ticket.updated",
        "edi.document_rejected",
        "edi.document_resent",
        "edi.po_change_received",
        "edi.po_change_acknowledged",
        # Not `alert.*`: alerts about alerts would feed on themselves (`AlertEvaluator.wants`).
    ],
}


@lru_cache(maxsize=1)
def domain_schema() -> dsl.Schema:
    """The compiled schema, built once on first use (never at import)."""
    import dsl

    return dsl.Schema.from_dict(SCHEMA_SPEC)
