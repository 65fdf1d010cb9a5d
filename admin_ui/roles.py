"""Which console pages each API role sees, and what each role may do on them.

The API enforces every permission itself (a forbidden call answers 403 and the page shows
the message); this table only keeps a support person from being offered a rule editor they
could not save, and an analyst from an orders page they could not read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    key: str  # the URL path
    title: str
    icon: str
    script: str  # relative to admin_ui/


PAGES: dict[str, PageSpec] = {
    "rulesets": PageSpec("rulesets", "Rulesets", ":material/rule:", "screens/rulesets.py"),
    "simulation": PageSpec(
        "simulation", "Simulation", ":material/science:", "screens/simulation.py"
    ),
    "orders": PageSpec("orders", "Orders", ":material/receipt_long:", "screens/orders.py"),
    "shipments": PageSpec(
        "shipments", "Shipments", ":material/local_shipping:", "screens/shipments.py"
    ),
    "inventory": PageSpec(
        "inventory", "Inventory", ":material/inventory_2:", "screens/inventory.py"
    ),
    "alerts": PageSpec(
        "alerts", "Alerts and KPIs", ":material/notifications:", "screens/alerts.py"
    ),
    "reports": PageSpec("reports", "Reports", ":material/monitoring:", "screens/reports.py"),
    "returns": PageSpec("returns", "Returns", ":material/assignment_return:", "screens/returns.py"),
    # Dead letters and every partner's EDI mailbox, which the API shows admins alone.
    "operations": PageSpec("operations", "Operations", ":material/build:", "screens/operations.py"),
}

ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "admin": (
        "rulesets",
        "simulation",
        "orders",
        "shipments",
        "returns",
        "inventory",
        "alerts",
        "reports",
        "operations",
    ),
    "analyst": ("rulesets", "simulation", "inventory", "alerts", "reports"),
    "support": ("orders", "shipments", "returns", "inventory", "alerts"),
    # Their work queue first, so it is the page they land on. Their Returns page is the
    # receiving desk: it never opens a return's order, which a warehouse key may not read.
    "warehouse": ("shipments", "inventory", "returns"),
    "channel": ("orders",),
    "customer": ("orders",),
}

# The returns desk, as the API's route table has it: read, request (with `restock`), make and
# download return labels (naming where the parcel goes), authorise, refund, reject, receive.
_RETURNS_DESK = (
    "read_returns",
    "request_returns",
    "return_labels",
    "manage_returns",
    "receive_returns",
)

# Actions the pages offer, by role (mirrors the API's ROLE_PERMISSIONS). "open_tickets" is
# `POST /v1/orders/{id}/tickets` (the API's tickets:open, admin and support);
# "update_shipments" is `POST /v1/shipments/{id}/status` (picked, packed, shipped: admin and
# warehouse); "report_short_picks" is `POST /v1/shipments/{id}/short`, which support may call
# too, for a store that phones in the units it cannot find.
_ACTIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "write_rules",
            "publish_rules",
            "change_orders",
            "open_tickets",
            "move_stock",
            "ack_alerts",
            "read_orders",
            "make_labels",
            "read_labels",
            "update_shipments",
            "report_short_picks",
            "read_reports",
            *_RETURNS_DESK,
        }
    ),
    "analyst": frozenset({"write_rules", "publish_rules", "read_reports"}),
    "support": frozenset(
        {
            "change_orders",
            "open_tickets",
            "ack_alerts",
            "read_orders",
            "read_labels",
            "report_short_picks",
            *_RETURNS_DESK,
        }
    ),
    "warehouse": frozenset(
        {
            "move_stock",
            "make_labels",
            "read_labels",
            "update_shipments",
            "report_short_picks",
            "read_returns",
            "receive_returns",
        }
    ),
    "channel": frozenset({"read_orders"}),
    # A customer follows their own returns, opens one and prints its label; whether units go
    # back on sale and where the parcel goes are support's to decide (the API refuses both).
    "customer": frozenset({"read_orders", "read_returns", "request_returns", "return_labels"}),
}


def pages_for(role: str) -> list[PageSpec]:
    return [PAGES[key] for key in ROLE_PAGES.get(role, ())]


def may(role: str, action: str) -> bool:
    return action in _ACTIONS.get(role, frozenset())
