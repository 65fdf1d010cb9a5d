"""The shapes the console reads from Ordo's API, as TypedDicts.

They mirror the API's response schemas (`api/schemas/`) field for field, but the console may
not import the API (an import-linter contract keeps the two independent), so they are written
out here. Dates and decimals arrive as JSON strings and stay strings until a page formats them.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


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


class Kit(TypedDict):
    sku: str
    units: int  # of the line's component in one kit
    kits: int  # ordered on the kit's line


class OrderLine(TypedDict):
    id: str
    sku: str
    quantity: int
    price: str
    status: str
    quantity_shipped: int
    quantity_cancelled: int
    kit: NotRequired[Kit | None]  # a kit's part's kit; an API from before has no such field


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
    total: str  # as placed, cancelled units included
    total_cancelled: str  # the value of the units cancelled since
    service_level: str
    priority: int
    created_at: str
    requested_date: str | None
    promised_date: str | None
    ship_to: Address
    lines: list[OrderLine]
    holds: list[Hold]
    # "ship", or "pickup" at `pickup_location` (click and collect); an API from before
    # click and collect sends neither.
    fulfilment: NotRequired[str]
    pickup_location: NotRequired[str | None]


class ShipmentLine(TypedDict):
    order_line_id: str
    sku: str
    quantity: int


class TrackingEvent(TypedDict):
    at: str
    code: str
    description: str
    location: str
    milestone: NotRequired[str]  # given in the post, else read from the code; "" when neither
    estimated_delivery: NotRequired[str | None]  # the day the carrier expected as of this scan
    tracking_number: NotRequired[str]  # the parcel the scan is of; "" for the whole shipment


class Parcel(TypedDict):
    """One box of a packed shipment, as far as the console reads it."""

    box: str  # its box's code; "" for a unit that ships in its own packaging
    units: dict[str, int]  # by SKU
    tracking_number: str  # its own, from its label on; "" until then


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
    created_at: str
    label_format: str  # "pdf" or "zpl" once a label is made, else ""
    wms_reference: str  # the warehouse system's id for it, once sent there on release; else ""
    shipped_at: str | None
    delivered_at: str | None
    estimated_delivery: NotRequired[str | None]  # the carrier's latest estimate, null while none
    lines: list[ShipmentLine]
    tracking: list[TrackingEvent]
    parcels: NotRequired[list[Parcel]]  # the boxes it was packed into; [] when not packed


class ShortPick(TypedDict):
    """What reporting a shipment short did (`POST /v1/shipments/{id}/short`)."""

    shipment: Shipment  # as it now stands: fewer units, `cancelled` when none were left
    new_shipments: list[Shipment]  # those carrying the units now (a warehouse key: its own)
    resourced: dict[str, int]  # order line id -> units sourced again in new shipments
    backordered: dict[str, int]  # order line id -> units of the order that wait for stock


class ReturnLine(TypedDict):
    order_line_id: str
    sku: str
    quantity: int
    reason: str
    restock: bool  # back on hand when received


class Return(TypedDict):
    id: str
    order_id: str
    status: str  # requested, authorised, received, refunded, rejected
    rma: str  # "" until authorised
    location_code: str  # where it goes back to, or was received; "" until then
    refund_amount: str
    created_at: str
    lines: list[ReturnLine]
    carrier: str  # the return label's; "" until one is made
    service: str
    tracking_number: str
    label_format: str  # "pdf" or "zpl" once a label is made, else ""


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


class Ticket(TypedDict):
    """A helpdesk ticket Ordo opened (`POST /v1/orders/{id}/tickets`, or the worker's for an
    alert), with what the helpdesk last reported of it (an API from before that reports
    nothing: the last four keys are missing)."""

    id: str
    system: str  # the ticketing system it was opened in, e.g. "zendesk"
    external_ticket_id: str  # the ticket's id in that system
    entity: str  # "order" or "alert"
    entity_id: str
    subject: str
    created_at: str
    created_by: str  # the actor who opened it ("support:desk-7"), or "system"
    status: NotRequired[str]  # new, open, pending, hold, solved, closed; "unknown" until told
    updated_at: NotRequired[str | None]  # the helpdesk's time of that status
    comment_author: NotRequired[str]  # who wrote the latest public comment
    comment_excerpt: NotRequired[str]  # its first 500 characters


class OrderDetail(Order):
    shipments: list[Shipment]
    events: list[HistoryEntry]
    trace: list[TraceStep]
    tickets: list[Ticket]  # helpdesk tickets about it, oldest first


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
    ticket_id: str | None  # the helpdesk's id of the ticket opened for it; None while none
    closed_by: str  # who closed it ("system": the worker, quiet long enough); "" if not closed
    closed_at: str | None


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


# --- reports (`GET /v1/reports/...`) ----------------------------------------------------------
# Money is a decimal string per currency, never summed across currencies; a rate comes with
# the two counts it divides. The definitions of every figure are in docs/api.md ("Reports").


class DailyKpis(TypedDict):
    date: str
    orders_in: int
    held: int
    backordered: int
    partly_backordered: int
    rejected: int
    cancelled: int
    late_shipments: int


# "from" is a Python keyword, so this one is spelt the functional way.
ReportPeriod = TypedDict("ReportPeriod", {"from": str, "to": str, "days": int})


class Ratio(TypedDict):
    count: int
    of: int
    rate: float | None  # count / of, four places; None when `of` is 0


class CycleTime(TypedDict):
    orders: int
    mean_hours: float | None
    p90_hours: float | None


class SalesDay(TypedDict):
    date: str
    orders: int
    units: int
    revenue: dict[str, str]


class ChannelSales(TypedDict):
    channel: str
    orders: int
    units: int
    revenue: dict[str, str]
    cancelled: Ratio
    rejected: Ratio


class SkuUnits(TypedDict):
    sku: str
    units: int
    orders: int


class SalesReport(TypedDict):
    period: ReportPeriod
    orders: int
    units: int
    revenue: dict[str, str]
    revenue_orders: dict[str, int]
    average_order_value: dict[str, str]
    by_status: dict[str, int]
    days: list[SalesDay]
    channels: list[ChannelSales]
    top_skus: list[SkuUnits]


class CarrierFigures(TypedDict):
    carrier: str
    service: str
    shipments: int
    shipping_cost: str
    mean_cost: str | None
    on_time: Ratio
    delivered: int
    mean_transit_days: float | None


class LocationShipments(TypedDict):
    location_code: str
    shipments: int
    units: int


class Split(TypedDict):
    orders: int
    split: Ratio
    shipments: int
    shipments_per_order: float | None


class FulfilmentReport(TypedDict):
    period: ReportPeriod
    shipments: int
    cancelled: int
    units: int
    carriers: list[CarrierFigures]
    locations: list[LocationShipments]
    split: Split
    cycle_time: CycleTime


class OrderDefects(TypedDict):
    orders: int
    cancelled_shipment: int
    late_shipment: int
    defect_return: int
    defective: Ratio


class OrderAccuracy(TypedDict):
    shipped: int
    wrong_item: int
    rate: float | None


class OperationsReport(TypedDict):
    period: ReportPeriod
    as_of: str
    cycle_time: CycleTime
    late_shipments: Ratio
    order_defects: OrderDefects
    order_accuracy: OrderAccuracy


class TopCustomer(TypedDict):
    customer_id: str
    orders: int
    revenue: str


class CustomersReport(TypedDict):
    period: ReportPeriod
    customers: int
    new: int
    returning: int
    orders: int
    orders_per_customer: float | None
    repeat: Ratio
    top_customers: dict[str, list[TopCustomer]]  # currency -> the ten with most revenue
    by_weekday: dict[str, int]  # monday first
    by_hour: list[int]  # 24 counts, hour 0 (UTC) first


class LocationInventory(TypedDict):
    location_code: str
    skus: int
    on_hand: int
    reserved: int
    available: int


class SkuCover(TypedDict):
    sku: str
    units_shipped: int
    on_hand: int
    available: int
    days_of_cover: float | None
    turnover: float | None


class ReorderSuggestion(TypedDict):
    sku: str
    location_code: str
    daily_forecast: float
    reorder_point: int
    position: int
    suggested_quantity: int


class InventoryReport(TypedDict):
    period: ReportPeriod
    as_of: str
    on_hand: int
    reserved: int
    available: int
    units_shipped: int
    turnover: float | None
    locations: list[LocationInventory]
    skus: list[SkuCover]
    replenishment: list[ReorderSuggestion]


class DeadLetter(TypedDict):
    """An event a worker kept failing on (`GET /v1/events/dead-letters`)."""

    id: str  # what a redrive names
    event_id: str
    name: str
    payload: dict[str, Any]
    partition_key: str
    error: str
    attempts: int
    failed_at: str
    consumer: str


class OutboundDocument(TypedDict):
    """An 855 or 856 in a trading partner's mailbox (`GET /v1/edi/outbound`), without its text."""

    id: str
    channel: str
    kind: str
    reference: str
    order_id: str
    control_number: str
    created_at: str
    acknowledged_at: str | None
    acknowledged_by: str
    functional_ack: str | None
    functional_ack_codes: list[str]
    functional_ack_at: str | None
    content_url: str
