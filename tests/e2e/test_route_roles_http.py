"""Every route × every role over HTTP: exactly the roles written here get past authorisation.

The table is the specification, written out by hand rather than derived from the code, and
it must name every route the OpenAPI document lists: a new route without a row fails here,
so nothing ships open by accident. "Allowed" means the answer is neither 401 nor 403 (the
placeholders below make it a 404 or 422, so nothing is changed); denied means 403; no
credential at all means 401 everywhere except the health check.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Api

ADMIN, ANALYST, SUPPORT, WAREHOUSE, CHANNEL, CUSTOMER = (
    "admin", "analyst", "support", "warehouse", "channel", "customer",
)  # fmt: skip
ROLES = (ADMIN, ANALYST, SUPPORT, WAREHOUSE, CHANNEL, CUSTOMER)
STAFF_READ = {ADMIN, ANALYST, SUPPORT, WAREHOUSE}
RULES = {ADMIN, ANALYST}

ALLOWED: dict[tuple[str, str], set[str]] = {
    ("POST", "/v1/orders"): {ADMIN, CHANNEL},
    ("POST", "/v1/orders/batch"): {ADMIN, CHANNEL},
    # B2B purchase orders over EDI (an X12 interchange): ingested as the batch is, by the
    # same keys; the walker's JSON body is refused with 415 once past authorisation.
    ("POST", "/v1/orders/x12"): {ADMIN, CHANNEL},
    ("POST", "/v1/orders/x12/changes"): {ADMIN, CHANNEL},
    # The trading partner's mailbox (856s Ordo wrote for it): its gateway polls with the
    # channel's own key; admins see every channel's.
    ("GET", "/v1/edi/outbound"): {ADMIN, CHANNEL},
    ("GET", "/v1/edi/outbound/{document_id}"): {ADMIN, CHANNEL},
    ("POST", "/v1/edi/outbound/{document_id}/ack"): {ADMIN, CHANNEL},
    ("POST", "/v1/edi/outbound/{document_id}/resend"): {ADMIN, CHANNEL},
    ("POST", "/v1/edi/outbound/997"): {ADMIN, CHANNEL},
    # A sales channel's own webhook, for its orders and the shop's cancellations of them:
    # keys that ingest orders (a channel key only for the connector's channel, whose orders
    # alone it can cancel; here the connector does not exist, so 404). Without a key the
    # channel's signature over the body authenticates it, which this walker never sends:
    # test_channel_webhooks_http.py covers that way in, and its 401s.
    ("POST", "/v1/channels/{connector_name}/orders"): {ADMIN, CHANNEL},
    ("GET", "/v1/orders"): {ADMIN, SUPPORT, CHANNEL, CUSTOMER},
    ("GET", "/v1/orders/{order_id}"): {ADMIN, SUPPORT, CHANNEL, CUSTOMER},
    ("POST", "/v1/orders/{order_id}/cancel"): {ADMIN, SUPPORT},
    # What of an order on its way still waits for stock is support's to cancel, as the order is.
    ("POST", "/v1/orders/{order_id}/cancel-backordered"): {ADMIN, SUPPORT},
    ("POST", "/v1/orders/{order_id}/modify"): {ADMIN, SUPPORT},
    ("POST", "/v1/orders/{order_id}/release-hold"): {ADMIN, SUPPORT},
    # Releasing an order (manual-release mode) is support's call, like releasing its holds:
    # a warehouse reports what it picks and ships, and sees no orders to release.
    ("POST", "/v1/orders/{order_id}/release"): {ADMIN, SUPPORT},
    # A helpdesk ticket about an order is support's way of following a customer's issue up,
    # with the roles that act on orders for customers (it opens nothing for analysts'
    # figures, a warehouse's picks or a channel's own orders).
    ("POST", "/v1/orders/{order_id}/tickets"): {ADMIN, SUPPORT},
    # A helpdesk's own webhook (ticket updates): its signature is the only credential, so
    # every role's key is refused (403); test_ticket_webhooks_http.py covers the signed way
    # in and its 401s.
    ("POST", "/v1/ticketing/{connector}/events"): set(),
    # A carrier API's own tracking webhook: its signature is the only credential, so every
    # role's key is refused (403); test_carrier_api_http.py covers the signed way in and its
    # 401s (a warehouse posts a scan to /v1/shipments/{shipment_id}/tracking instead).
    ("POST", "/v1/carriers/{code}/tracking"): set(),
    ("GET", "/v1/inventory/skus/{sku}"): STAFF_READ,
    ("GET", "/v1/inventory/locations/{code}"): STAFF_READ,
    ("GET", "/v1/inventory/atp/{sku}"): STAFF_READ,
    ("GET", "/v1/inventory/reorder-suggestions"): STAFF_READ,
    ("GET", "/v1/inventory/transfers"): STAFF_READ,
    ("POST", "/v1/inventory/adjustments"): {ADMIN, WAREHOUSE},
    # A warehouse system (or a cycle count) sends what its locations hold, as adjustments do.
    ("POST", "/v1/inventory/counts"): {ADMIN, WAREHOUSE},
    ("POST", "/v1/inventory/receipts"): {ADMIN, WAREHOUSE},
    ("GET", "/v1/inventory/boxes"): STAFF_READ,
    ("POST", "/v1/inventory/boxes/counts"): {ADMIN, WAREHOUSE},
    ("POST", "/v1/inventory/boxes/receipts"): {ADMIN, WAREHOUSE},
    ("POST", "/v1/inventory/transfers"): {ADMIN, WAREHOUSE},
    ("POST", "/v1/inventory/transfers/{transfer_id}/receive"): {ADMIN, WAREHOUSE},
    # The sending location (its WMS, or a person there) reports a transfer shipped.
    ("POST", "/v1/inventory/transfers/{transfer_id}/shipped"): {ADMIN, WAREHOUSE},
    ("GET", "/v1/products"): STAFF_READ,
    ("GET", "/v1/products/{sku}"): STAFF_READ,
    ("PUT", "/v1/products/{sku}"): {ADMIN},
    ("GET", "/v1/locations"): STAFF_READ,
    ("GET", "/v1/locations/{code}"): STAFF_READ,
    ("PUT", "/v1/locations/{code}"): {ADMIN},
    ("GET", "/v1/customers"): {ADMIN, SUPPORT},
    ("GET", "/v1/customers/{customer_id}"): {ADMIN, SUPPORT},
    ("PUT", "/v1/customers/{customer_id}"): {ADMIN},
    # A data-access request is answered by support (or an admin); a customer key exports its
    # own customer's data (another id is 404). Erasure cannot be undone: admins only.
    ("GET", "/v1/customers/{customer_id}/personal-data"): {ADMIN, SUPPORT, CUSTOMER},
    ("POST", "/v1/customers/{customer_id}/erase"): {ADMIN},
    ("GET", "/v1/shipments"): {ADMIN, SUPPORT, WAREHOUSE, CUSTOMER},
    ("GET", "/v1/shipments/{shipment_id}"): {ADMIN, SUPPORT, WAREHOUSE, CUSTOMER},
    ("POST", "/v1/shipments/{shipment_id}/status"): {ADMIN, WAREHOUSE},
    ("POST", "/v1/shipments/{shipment_id}/tracking"): {ADMIN, WAREHOUSE},
    # Units a location cannot find: the warehouse reports them for its own locations, and
    # support for a store that calls in (the units are sourced again for the customer).
    ("POST", "/v1/shipments/{shipment_id}/short"): {ADMIN, SUPPORT, WAREHOUSE},
    # A shipping label is made where the parcel is packed (a warehouse, for its own locations,
    # as it reports the status) or by an admin; support downloads one to send it again to a
    # location that lost it. A customer follows the tracking number and needs no label.
    ("POST", "/v1/shipments/{shipment_id}/label"): {ADMIN, WAREHOUSE},
    ("GET", "/v1/shipments/{shipment_id}/label"): {ADMIN, SUPPORT, WAREHOUSE},
    ("POST", "/v1/orders/{order_id}/returns"): {ADMIN, SUPPORT, CUSTOMER},
    ("GET", "/v1/orders/{order_id}/returns"): {ADMIN, SUPPORT, WAREHOUSE, CUSTOMER},
    ("GET", "/v1/returns"): {ADMIN, SUPPORT, WAREHOUSE, CUSTOMER},
    ("GET", "/v1/returns/{return_id}"): {ADMIN, SUPPORT, WAREHOUSE, CUSTOMER},
    ("POST", "/v1/returns/{return_id}/authorise"): {ADMIN, SUPPORT},
    ("POST", "/v1/returns/{return_id}/receive"): {ADMIN, SUPPORT, WAREHOUSE},
    ("POST", "/v1/returns/{return_id}/refund"): {ADMIN, SUPPORT},
    ("POST", "/v1/returns/{return_id}/reject"): {ADMIN, SUPPORT},
    # Self-service returns: the customer prints the label of their own authorised return;
    # support makes it (naming where it goes back to). A warehouse reads the RMA off the
    # parcel when it arrives and needs no label.
    ("POST", "/v1/returns/{return_id}/label"): {ADMIN, SUPPORT, CUSTOMER},
    ("GET", "/v1/returns/{return_id}/label"): {ADMIN, SUPPORT, CUSTOMER},
    ("GET", "/v1/alerts"): {ADMIN, ANALYST, SUPPORT},
    ("POST", "/v1/alerts/{alert_id}/acknowledge"): {ADMIN, SUPPORT},
    # Closing is the end of acknowledging: the same people see alerts through.
    ("POST", "/v1/alerts/{alert_id}/close"): {ADMIN, SUPPORT},
    ("GET", "/v1/rulesets"): RULES,
    ("POST", "/v1/rulesets/validate"): RULES,
    ("POST", "/v1/rulesets/drafts"): RULES,
    ("GET", "/v1/rulesets/versions/{version_id}"): RULES,
    ("POST", "/v1/rulesets/versions/{version_id}/validate"): RULES,
    ("POST", "/v1/rulesets/versions/{version_id}/test"): RULES,
    ("GET", "/v1/rulesets/versions/{version_id}/diff/{other_id}"): RULES,
    ("POST", "/v1/rulesets/versions/{version_id}/publish"): RULES,
    ("POST", "/v1/rulesets/{name}/rollback"): RULES,
    ("GET", "/v1/simulations/datasets"): RULES,
    ("POST", "/v1/simulations"): RULES,
    ("GET", "/v1/simulations"): RULES,
    ("GET", "/v1/simulations/{job_id}"): RULES,
    ("GET", "/v1/simulations/{job_id}/result"): RULES,
    ("GET", "/v1/simulations/{job_id}/changed"): RULES,
    ("GET", "/v1/simulations/{job_id}/orders/{order_id}"): RULES,
    ("GET", "/v1/reports/daily-kpis"): RULES,
    # Reports over a period read every order, shipment and customer in it, whatever the
    # channel, location or customer: analysts and admins, as for the day's KPIs.
    ("GET", "/v1/reports/sales"): RULES,
    ("GET", "/v1/reports/fulfilment"): RULES,
    ("GET", "/v1/reports/operations"): RULES,
    ("GET", "/v1/reports/customers"): RULES,
    ("GET", "/v1/reports/inventory"): RULES,
    ("GET", "/v1/audit"): {ADMIN},
    ("GET", "/v1/events/dead-letters"): {ADMIN},
    ("POST", "/v1/events/dead-letters/{letter_id}/redrive"): {ADMIN},
    ("GET", "/v1/keys"): {ADMIN},
    ("POST", "/v1/keys"): {ADMIN},
    ("POST", "/v1/keys/{key_id}/revoke"): {ADMIN},
    ("POST", "/v1/auth/tokens"): set(ROLES),
    ("GET", "/v1/auth/me"): set(ROLES),
}
PUBLIC = {("GET", "/health")}

# Placeholders that pass the path patterns but name nothing that exists (404), or, for a
# location, the warehouse key's own one so its scope is not what is being tested.
PLACEHOLDERS = {
    "code": "DAL-01",
    "key_id": "abcdef012345",
    "name": "routing",
    "job_id": "abcdef012345",
}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m[1], "NOPE-1"), path)


def call(api: Api, method: str, path: str, headers: dict[str, str]) -> int:
    body = {} if method in ("POST", "PUT") else None
    return int(api.client.request(method, concrete(path), json=body, headers=headers).status_code)


def test_the_role_table_names_every_route_the_api_documents(api: Api) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in api.client.get("/openapi.json").json()["paths"].items()
        for method in operations
    }
    assert documented == set(ALLOWED) | PUBLIC


@pytest.mark.parametrize("route", sorted(ALLOWED), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_route_admits_exactly_its_roles(api: Api, route: tuple[str, str]) -> None:
    method, path = route
    outcome = {role: call(api, method, path, api.headers(role)) for role in ROLES}
    admitted = {role for role, status in outcome.items() if status not in (401, 403)}
    assert admitted == ALLOWED[route], outcome
    assert all(outcome[role] == 403 for role in set(ROLES) - ALLOWED[route]), outcome
    assert all(status < 500 for status in outcome.values()), outcome
    assert call(api, method, path, {}) == 401


def test_the_health_check_needs_no_credential(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok"}
