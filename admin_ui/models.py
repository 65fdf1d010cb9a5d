"""The shapes the console reads from Ordo's API, as TypedDicts.

They mirror the API's response schemas (`api/schemas/`) field for field, but the console may
not import the API (an import-linter contract keeps the two independent), so they are written
out here. Dates and decimals arrive as JSON strings and stay strings until a page formats them.
"""

from __future__ import annotations

from typing import Any, TypedDict


class Principal(TypedDict):
    key_id: str
    name: str
    role: str
    channel: str
    locations: list[str]
    customer_id: str


class RulesetVersion(TypedDict):
    id: str
    name: str
    kind: str
    version: int
    status: str
    author: str
    created_at: str
    published_at: str | None
    published_by: str


class VersionDetail(RulesetVersion):
    source: str
    scenarios: str | None


class Diagnostic(TypedDict):
    code: str
    message: str
    line: int
    column: int
    severity: str
    source_line: str
    suggestion: str
    rendered: str


class Validation(TypedDict):
    valid: bool
    errors: int
    warnings: int
    diagnostics: list[Diagnostic]


class ScenarioResult(TypedDict):
    name: str
    passed: bool
    message: str


class ScenarioRun(TypedDict):
    passed: int
    failed: int
    results: list[ScenarioResult]


class RulesetDiff(TypedDict):
    from_version: int
    to_version: int
    unified: str
    added: list[str]
    removed: list[str]
    changed: list[str]


class Address(TypedDict):
    postal_code: str
    country: str
    line1: str
    city: str
    state: str
    name: str
    lat: float | None
    lon: float | None


class OrderLine(TypedDict):
    id: str
    sku: str
    quantity: int
    price: str
    status: str
    quantity_shipped: int
    quantity_cancelled: int


class Hold(TypedDict):
    code: str
    message: str
    placed_at: str | None
    released_at: str | None
    released_by: str


class Order(TypedDict):
    id: str
    channel: str
    channel_order_id: str
    customer_id: str
    email: str
    status: str
    currency: str
    total: str
    service_level: str
    priority: int
    created_at: str
    requested_date: str | None
    promised_date: str | None
    ship_to: Address
    lines: list[OrderLine]
    holds: list[Hold]


class ShipmentLine(TypedDict):
    order_line_id: str
    sku: str
    quantity: int


class TrackingEvent(TypedDict):
    at: str
    code: str
    description: str
    location: str


class Shipment(TypedDict):
    id: str
    order_id: str
    location_code: str
    status: str
    carrier: str
    service: str
    rate: str
    promised_date: str | None
    tracking_number: str
    label_format: str  # "pdf" or "zpl" once a label is made, else ""
    shipped_at: str | None
    delivered_at: str | None
    lines: list[ShipmentLine]
    tracking: list[TrackingEvent]


class HistoryEntry(TypedDict):
    at: str
    actor: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]


class TraceStep(TypedDict):
    id: str
    step: str
    ruleset: str
    ruleset_version: int
    at: str
    outcome: str
    detail: dict[str, Any]


class OrderDetail(Order):
    shipments: list[Shipment]
    events: list[HistoryEntry]
    trace: list[TraceStep]


class Stock(TypedDict):
    sku: str
    location_code: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    channel_allocations: dict[str, int]


class AtpLocation(TypedDict):
    location_code: str
    available: int


class Atp(TypedDict):
    sku: str
    channel: str | None
    total: int
    locations: list[AtpLocation]


class Location(TypedDict, total=False):
    code: str
    name: str
    type: str
    address: Address
    daily_capacity: int | None
    tags: list[str]
    services: list[str]
    enabled: bool


class Product(TypedDict, total=False):
    sku: str
    name: str
    price: str
    weight_kg: float
    hazmat: bool
    category: str


class Alert(TypedDict):
    id: str
    rule: str
    severity: str
    key: str
    message: str
    status: str
    created_at: str
    occurrences: int
    last_seen_at: str | None
    acknowledged_by: str
    acknowledged_at: str | None


class Dataset(TypedDict):
    name: str
    orders: int
    counts: dict[str, int]


class SimulationJob(TypedDict):
    id: str
    status: str  # queued, running, succeeded, failed
    created_at: str
    started_at: str | None
    finished_at: str | None
    progress: dict[str, Any]  # done, total, fraction, rate, eta_seconds, runs
    error: str | None


class SimulationResult(TypedDict):
    baseline: str
    runs: dict[str, dict[str, Any]]  # run name -> summary (kpis, rule_hits, dataset, rulesets)
    diffs: dict[str, dict[str, Any]]  # variant -> changed, changes, cost and distance deltas


class ChangedOrder(TypedDict):
    order: str
    changes: list[str]
    outcome_a: str
    outcome_b: str
    locations_a: list[str]
    locations_b: list[str]
    carriers_a: list[str]
    carriers_b: list[str]
    shipments_a: int
    shipments_b: int
    cost_a: float
    cost_b: float
    cost_delta: float
    distance_km_a: float
    distance_km_b: float
    distance_km_delta: float


class SimulatedOrder(TypedDict):
    order: str
    decisions: dict[str, dict[str, Any]]  # run name -> the order's outcome in that run
