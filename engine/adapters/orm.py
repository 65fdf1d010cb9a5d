"""The database schema as SQLAlchemy Core tables, shared by the repositories and Alembic.

The domain dataclasses stay untouched (they use `slots=True`, which classical mapping cannot
instrument): repositories translate rows to entities explicitly. Child collections that are
only ever read with their parent (holds, shipment lines, tracking events, tags) are JSON
columns; order lines get a table because orders are searched by SKU; channel allocations get
a table because the atomic reservation sums them inside its conditional UPDATE.

There are deliberately no foreign keys between aggregates (an order may name a SKU that the
catalogue does not know yet); only child rows reference their parent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from engine.domain.values import CENT, in_utc

# Constraint names are fixed so migrations can refer to them on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            # Naive timestamps are taken to be UTC, the only zone Ordo stores.
            return value.replace(tzinfo=UTC) if dialect.name != "sqlite" else value
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return in_utc(value)


class Money(TypeDecorator[Decimal]):
    """Exact amounts: NUMERIC on PostgreSQL, text on SQLite (whose numbers are binary floats)."""

    impl = Numeric(14, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(14, 4))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        amount = Decimal(value)
        # NUMERIC(14, 4) pads to four places; show cents as cents again.
        cents = amount.quantize(CENT)
        return cents if cents == amount else amount.normalize()


def Json() -> TypeEngine[Any]:
    """JSONB on PostgreSQL (indexable, compact), JSON text on SQLite."""
    return JSON().with_variant(JSONB(), "postgresql")


def _id(name: str = "id", **kw: Any) -> Column[Any]:
    return Column(name, String(64), **kw)


def _ts(name: str, nullable: bool = False) -> Column[Any]:
    return Column(name, UTCDateTime(), nullable=nullable)


class changed_now(FunctionElement[datetime]):
    """The database's clock, as a row's time of change (`stock.updated_at`): set by the
    UPDATE itself, so the stock moves' prepared statements stamp a row at no cost of their own.
    On SQLite, in the text `UTCDateTime` stores (microseconds included), so a change in the
    first second of a day still compares as on or after that day's midnight."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(changed_now, "postgresql")
def _changed_now_postgresql(element: changed_now, compiler: SQLCompiler, **kw: Any) -> str:
    return "statement_timestamp()"


@compiles(changed_now, "sqlite")
def _changed_now_sqlite(element: changed_now, compiler: SQLCompiler, **kw: Any) -> str:
    # strftime's %f is seconds with milliseconds; the stored text has six decimals.
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


# An email, or its token when encrypted at rest (migration 0019).
_EMAIL = String(320).with_variant(Text(), "postgresql")


orders = Table(
    "orders",
    metadata,
    _id(primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("channel_order_id", String(128), nullable=False),
    Column("customer_id", String(64), nullable=False),
    # Text for encrypted emails (migration 0019); SQLite never enforced the length.
    Column("email", _EMAIL, nullable=False, server_default=""),
    Column("email_lower", String(320), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False),
    Column("service_level", String(64), nullable=False),
    Column("requested_date", Date()),
    Column("promised_date", Date()),
    Column("priority", Integer(), nullable=False),
    Column("status", String(32), nullable=False),
    Column("ship_to", Json(), nullable=False),
    Column("holds", Json(), nullable=False),
    Column("version", Integer(), nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    # Click and collect (migration 0018): "ship" or "pickup", and the store collected at.
    Column("fulfilment", String(16), nullable=False, server_default="ship"),
    Column("pickup_location", String(64)),
    UniqueConstraint("channel", "channel_order_id"),
    Index(None, "customer_id", "created_at"),
    Index(None, "email_lower"),
    Index(None, "status", "created_at"),
    Index(None, "created_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    _id("order_id", primary_key=True),
    _id("id", primary_key=True),
    Column("position", Integer(), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("price", Money(), nullable=False),
    Column("status", String(32), nullable=False),
    Column("quantity_shipped", Integer(), nullable=False),
    Column("quantity_cancelled", Integer(), nullable=False),
    # A kit's part: the kit's SKU, units of the part per kit, kits ordered (NULL: no kit's
    # part, or filed before migration 0036).
    Column("kit_sku", String(64), nullable=True),
    Column("kit_units", Integer(), nullable=True),
    Column("kit_kits", Integer(), nullable=True),
    ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    Index(None, "sku"),
)

products = Table(
    "products",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("name", Text(), nullable=False),
    Column("price", Money(), nullable=False),
    Column("weight_kg", Numeric(12, 4, asdecimal=False), nullable=False),
    Column("dimensions", Json(), nullable=False),
    Column("hazmat", Boolean(), nullable=False),
    Column("category", String(128), nullable=False),
    Column("tags", Json(), nullable=False),
    Column("attributes", Json(), nullable=False),
    Column("preorder_release", Date()),
    Column("dropship_vendor", String(64)),
    Column("kit_components", Json(), nullable=False),
)

locations = Table(
    "locations",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("name", Text(), nullable=False),
    Column("type", String(32), nullable=False),
    Column("address", Json(), nullable=False),
    Column("daily_capacity", Integer(), nullable=False),
    Column("cutoff", Time(), nullable=False),
    Column("tags", Json(), nullable=False),
    Column("services", Json(), nullable=False),
    Column("enabled", Boolean(), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    _id(primary_key=True),
    Column("email", _EMAIL, nullable=False),
    Column("name", Text(), nullable=False),
    Column("tier", String(64), nullable=False),
    Column("group_name", String(64), nullable=False),
    Column("default_address", Json()),
    Index(None, "email"),
)

stock = Table(
    "stock",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location_code", String(64), primary_key=True),
    Column("on_hand", Integer(), nullable=False),
    Column("reserved", Integer(), nullable=False),
    Column("safety_stock", Integer(), nullable=False),
    Column("reorder_point", Integer(), nullable=False),
    Column("version", Integer(), nullable=False),
    # When the row last changed (migration 0041), for `ordo erp backfill --since`: stamped by
    # the database on every INSERT and UPDATE that does not set it, the stock moves' prepared
    # statements included. NULL for rows not changed since the migration: unknown.
    Column("updated_at", UTCDateTime(), default=changed_now(), onupdate=changed_now()),
    # The last line of defence behind the conditional updates: never below zero, never more
    # reserved than is on the shelf.
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    CheckConstraint("safety_stock >= 0", name="safety_stock_not_negative"),
    Index(None, "location_code"),
)

stock_allocations = Table(
    "stock_allocations",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location_code", String(64), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("units", Integer(), nullable=False),
    ForeignKeyConstraint(
        ["sku", "location_code"], ["stock.sku", "stock.location_code"], ondelete="CASCADE"
    ),
    CheckConstraint("units >= 0", name="units_not_negative"),
)

inbound_supply = Table(
    "inbound_supply",
    metadata,
    _id(primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("location_code", String(64), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("expected_on", Date(), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reference", String(128), nullable=False),
    Column("received", Boolean(), nullable=False),
    # Ship to store (migration 0023): the pickup order a transfer was sent for, and a
    # transfer that order no longer needed.
    _id("order_id", nullable=False, server_default=""),
    Column("cancelled", Boolean(), nullable=False, server_default=false()),
    # Migration 0031: the reference the sending location's WMS gave a transfer ("" unsent).
    Column("wms_reference", String(128), nullable=False, server_default=""),
    # Migration 0032: what the sending location reported when it shipped a transfer.
    _ts("shipped_at", nullable=True),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("tracking_number", String(100), nullable=False, server_default=""),
    # Migration 0033: when its carrier scanned a transfer delivered; carriers' scans find
    # their transfer by tracking number.
    _ts("delivered_at", nullable=True),
    # Migration 0034: the name the receiving location's WMS expects a shipped transfer by.
    Column("inbound_reference", String(128), nullable=False, server_default=""),
    # Migration 0044: when Ordo first set out to send a transfer to its sending WMS, NULL never.
    _ts("wms_attempted_at", nullable=True),
    Index(None, "sku", "expected_on"),
    Index(None, "order_id"),
    Index(None, "tracking_number"),
)

reservations = Table(
    "reservations",
    metadata,
    _id(primary_key=True),
    _id("order_id", nullable=False),
    _id("line_id", nullable=False),
    Column("sku", String(64), nullable=False),
    Column("location_code", String(64), nullable=False),
    Column("quantity", Integer(), nullable=False),
    Column("channel", String(64)),
    Column("status", String(32), nullable=False),
    _ts("created_at"),
    _ts("expires_at", nullable=True),
    # Units taken from the channel's allocation, fenced again on release (migration 0010).
    Column("from_allocation", Integer(), nullable=False, server_default="0"),
    Index(None, "order_id"),
    Index(None, "status", "expires_at"),
)

fulfillment_orders = Table(
    "fulfillment_orders",
    metadata,
    _id(primary_key=True),
    _id("order_id", nullable=False),
    Column("location_code", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("lines", Json(), nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("service", String(64), nullable=False),
    Column("rate", Money(), nullable=False),
    Column("promised_date", Date()),
    # The day its location is to ship it, as planned; NULL for rows written before (0040).
    Column("planned_ship_date", Date()),
    Column("tracking_number", String(128), nullable=False),
    # The format of its label, empty while it has none; the label is in `shipment_labels`.
    Column("label_format", String(16), nullable=False),
    # The warehouse system's reference, once the shipment was sent there (migration 0013).
    Column("wms_reference", String(128), nullable=False),
    # When the worker first set out to send it there, NULL never (migration 0043).
    _ts("wms_attempted_at", nullable=True),
    # The boxes it was packed into, each with its box, size, weights, units by SKU and
    # tracking number (migration 0022); [] when it was not packed. Read with it only.
    Column("parcels", Json(), nullable=False),
    _ts("created_at"),
    _ts("shipped_at", nullable=True),
    _ts("delivered_at", nullable=True),
    # When the tracking poll last asked the carrier about it, NULL never (migration 0037):
    # claimed by a conditional UPDATE, so worker processes ask about each shipment once.
    _ts("tracking_polled_at", nullable=True),
    Index(None, "order_id"),
    Index(None, "location_code", "status"),
    # Every order counts the shipments its candidate locations released today (daily
    # capacity): by (location, created_at) that reads today's rows, not the location's history.
    Index(None, "location_code", "created_at"),
    Index(None, "tracking_number"),
    # The lateness clock (open shipments promised before today, every minute) and the day's
    # late shipments (promised on a day), each as a range per status named (migration 0012).
    Index(None, "status", "promised_date"),
    # Reports over a period read the shipments created in it.
    Index(None, "created_at"),
)

# A shipment's tracking events, one row each (they were a JSON list on the shipment until
# migration 0009). A carrier retrying its webhook posts the same event again: the shipment
# keeps it once, and the unique key makes that hold when two posts race, which a check in
# code cannot. The key is a digest of what makes two events the same (their time in UTC,
# code, description and location: `TrackingEvent` equality) because those texts together
# can outgrow what a PostgreSQL index entry may hold. `id` keeps the order they came in,
# which the timeline keeps for events of the same moment.
shipment_tracking = Table(
    "shipment_tracking",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    _id("shipment_id", nullable=False),
    _ts("at"),
    Column("code", Text(), nullable=False),
    Column("description", Text(), nullable=False),
    Column("location", Text(), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    # What the carrier's post said the scan means (NULL: read from `code`) and the delivery
    # day it estimated, when it did (migration 0021). Not in the fingerprint: a retry is the
    # same scan, whatever it repeats.
    Column("milestone", String(32)),
    Column("estimated_delivery", Date()),
    # The parcel the scan is of, by its tracking number; '' for the whole shipment, as every
    # scan stored before was (migration 0025). In the fingerprint when not empty.
    Column("tracking_number", String(64), nullable=False, server_default=""),
    ForeignKeyConstraint(["shipment_id"], ["fulfillment_orders.id"], ondelete="CASCADE"),
    UniqueConstraint("shipment_id", "fingerprint"),
)

# Each labelled parcel's tracking number, one row per (shipment, number) (migration 0027):
# the parcels themselves are JSON in `fulfillment_orders.parcels`, which no index reaches,
# and a support agent with a customer's parcel number or a warehouse with a scanned box must
# find the shipment by it (`SqlShipments.search`). Written by the shipments repository in
# the same flush as the parcels it mirrors; never read to build a shipment.
shipment_parcel_numbers = Table(
    "shipment_parcel_numbers",
    metadata,
    _id("shipment_id", primary_key=True),
    Column("tracking_number", String(128), primary_key=True),
    ForeignKeyConstraint(["shipment_id"], ["fulfillment_orders.id"], ondelete="CASCADE"),
    Index(None, "tracking_number"),
)

# Each location's released shipments per day (created that UTC day, neither pending nor
# cancelled), kept as the shipments are written (engine/adapters/repositories.py,
# SqlShipments): deciding an order reads a location's count here instead of counting its
# shipments of the day, a cost that grew with every shipment of the day. A location's day is
# spread over `shard` rows so that concurrent orders from one location seldom wait for the
# same row; its count is their sum.
location_day_releases = Table(
    "location_day_releases",
    metadata,
    Column("location_code", String(64), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("shard", Integer(), primary_key=True),
    Column("released", Integer(), nullable=False),
)

# One row: a number every statement that writes `products` or `locations` raises, by trigger
# (migration 0008), whoever runs it. The process-wide catalogue cache
# (engine/adapters/catalogue_cache.py) answers a transaction only for the number that
# transaction reads here, so it never serves what a read of the tables would not.
catalogue_version = Table(
    "catalogue_version",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=False),
    Column("version", BigInteger(), nullable=False),
)

returns = Table(
    "returns",
    metadata,
    _id(primary_key=True),
    _id("order_id", nullable=False),
    Column("status", String(32), nullable=False),
    Column("rma", String(64), nullable=False),
    Column("location_code", String(64), nullable=False),
    Column("refund_amount", Money(), nullable=False),
    Column("lines", Json(), nullable=False),
    _ts("created_at"),
    # The return label (migration 0011): who carries it, its number and its format, as a
    # shipment has them; the label itself is in `return_labels`.
    Column("carrier", String(64), nullable=False),
    Column("service", String(64), nullable=False),
    Column("tracking_number", String(128), nullable=False),
    Column("label_format", String(16), nullable=False),
    # When it was last saved (migration 0041), stamped by `SqlReturns` as an order's is; NULL
    # for a return not saved since the migration: unknown.
    _ts("updated_at", nullable=True),
    Index(None, "order_id"),
    # Returns are looked up by RMA and listed by date (SqlReturns.search).
    Index(None, "rma"),
    # ... and by their label's tracking number, a parcel coming back (migration 0027).
    Index(None, "tracking_number"),
    Index(None, "created_at"),
    # ... and by location, a warehouse's receiving desk paging through its own (migration 0029).
    Index(None, "location_code", "created_at"),
)

# Printed labels (migration 0015), one per shipment and one per return that has one: a PDF
# or ZPL document of several KB, read only by its download. They were columns of
# `fulfillment_orders` and `returns`, so every listing, the pipeline and the lateness clock
# read them and every change of a shipment compared them. `format` is the document's own,
# read with it, so a download is typed as what it holds even while the other format is
# being printed.
shipment_labels = Table(
    "shipment_labels",
    metadata,
    _id("shipment_id", primary_key=True),
    Column("format", String(16), nullable=False),
    Column("content", LargeBinary(), nullable=False),
    ForeignKeyConstraint(["shipment_id"], ["fulfillment_orders.id"], ondelete="CASCADE"),
)

return_labels = Table(
    "return_labels",
    metadata,
    _id("return_id", primary_key=True),
    Column("format", String(16), nullable=False),
    Column("content", LargeBinary(), nullable=False),
    ForeignKeyConstraint(["return_id"], ["returns.id"], ondelete="CASCADE"),
)

alerts = Table(
    "alerts",
    metadata,
    _id(primary_key=True),
    Column("rule", String(200), nullable=False),
    Column("severity", String(32), nullable=False),
    Column("key", String(200), nullable=False),
    Column("message", Text(), nullable=False),
    Column("status", String(32), nullable=False),
    Column("occurrences", Integer(), nullable=False),
    Column("recipients", Json(), nullable=False),
    Column("acknowledged_by", String(128), nullable=False),
    _ts("created_at"),
    _ts("last_seen_at", nullable=True),
    _ts("acknowledged_at", nullable=True),
    # The helpdesk ticket opened for the alert (migration 0013); NULL: none.
    Column("ticket_id", String(128), nullable=True),
    # Who closed it and when (migration 0030); `version` keeps a repeat and a close racing
    # from both being written, and the worker finds quiet acknowledged alerts by status.
    Column("closed_by", String(128), nullable=False),
    _ts("closed_at", nullable=True),
    Column("version", Integer(), nullable=False),
    # What its ticket was told of its repeats (migration 0042): the occurrences the last note
    # counted and that note's repeat window (NULL: none), for the note ending a storm.
    Column("noted_occurrences", Integer(), nullable=False),
    Column("noted_window", Integer(), nullable=True),
    Index(None, "rule", "key", "status"),
    Index(None, "created_at"),
    Index(None, "status", "last_seen_at"),
)

# Tickets Ordo opened in a helpdesk (migration 0013), about an order or an alert; read by
# entity, oldest first (an order's detail lists its own). What the helpdesk reports back
# (migration 0017): the status, its time there, the latest public comment's author and
# excerpt; `version` keeps two reports racing from both being written. The subject and the
# comment's author and excerpt are text on PostgreSQL (migration 0038): with ORDO_DATA_KEYS
# they hold tokens, longer than their texts; SQLite never enforced the lengths.
tickets = Table(
    "tickets",
    metadata,
    _id(primary_key=True),
    Column("system", String(64), nullable=False),
    Column("external_ticket_id", String(128), nullable=False),
    Column("entity", String(64), nullable=False),
    _id("entity_id", nullable=False),
    Column("subject", String(200).with_variant(Text(), "postgresql"), nullable=False),
    _ts("created_at"),
    Column("created_by", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    _ts("updated_at", nullable=True),
    Column("comment_author", String(200).with_variant(Text(), "postgresql"), nullable=False),
    Column("comment_excerpt", String(500).with_variant(Text(), "postgresql"), nullable=False),
    Column("version", Integer(), nullable=False),
    Index(None, "entity", "entity_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(primary_key=True),
    _ts("at"),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    _id("entity_id", nullable=False),
    Column("before", Json(), nullable=False),
    Column("after", Json(), nullable=False),
    Index(None, "entity", "entity_id"),
    Index(None, "at"),
)

# The lateness clock's memory of what it already reported late (machine bookkeeping, kept out
# of the audit log). The key makes "flagged once" hold when two workers tick at the same time.
lateness_flags = Table(
    "lateness_flags",
    metadata,
    Column("entity", String(64), primary_key=True),
    _id("entity_id", primary_key=True),
    Column("flag", String(64), primary_key=True),
    _ts("flagged_at"),
)

# A shop's cancellation of an order Ordo has not seen yet (migration 0026), remembered until
# the order arrives and is cancelled at once, or for a retention. The key is what every
# order created is looked up by; purged by age.
early_cancellations = Table(
    "early_cancellations",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("channel_order_id", String(128), primary_key=True),
    Column("reason", Text(), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("delivery_id", String(200), nullable=False),
    _ts("noted_at"),
    Index(None, "noted_at"),
)

# How many of each box each location has (migration 0039, docs/packaging.md#boxes-in-stock):
# set by counts, raised by receipts, one less per parcel shipped in it. May go below 0.
box_stock = Table(
    "box_stock",
    metadata,
    Column("location_code", String(64), primary_key=True),
    Column("box_code", String(64), primary_key=True),
    Column("on_hand", Integer(), nullable=False),
    _ts("updated_at"),
    Column("version", Integer(), nullable=False),
)

# The shipments whose boxes were counted out of `box_stock` (migration 0039), so a shipment's
# boxes are taken once: a redelivered `shipment.status_changed` finds its row and does nothing.
box_stock_uses = Table(
    "box_stock_uses",
    metadata,
    _id("shipment_id", primary_key=True),
    Column("location_code", String(64), nullable=False),
    Column("boxes", Json(), nullable=False),  # box code -> parcels shipped in it
    _ts("used_at"),
)

ruleset_versions = Table(
    "ruleset_versions",
    metadata,
    _id(primary_key=True),
    Column("name", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("source", Text(), nullable=False),
    Column("author", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("published_by", String(128), nullable=False),
    _ts("created_at"),
    _ts("published_at", nullable=True),
    UniqueConstraint("name", "version"),
    Index(None, "status"),
)

decision_traces = Table(
    "decision_traces",
    metadata,
    _id(primary_key=True),
    _id("order_id", nullable=False),
    Column("step", String(64), nullable=False),
    Column("ruleset", String(128), nullable=False),
    Column("ruleset_version", Integer(), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("detail", Json(), nullable=False),
    _ts("at"),
    Index(None, "order_id", "at"),
)

outbox = Table(
    "outbox",
    metadata,
    # BIGINT on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("name", String(64), nullable=False),
    Column("payload", Json(), nullable=False),
    Column("partition_key", String(64)),
    _ts("created_at"),
    _ts("published_at", nullable=True),
    Index(
        "ix_outbox_unpublished",
        "id",
        postgresql_where=text("published_at IS NULL"),
        sqlite_where=text("published_at IS NULL"),
    ),
)

# Events the in-process bus gave up on (engine/adapters/bus/dead_letters_sql.py). Redis keeps
# its dead letters in a stream; the in-process bus kept them in a list, lost when a worker
# restarted and out of reach of the API, which runs in another process. `id` is the letter's
# id as the API shows it: newest first is by id, descending.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("event_id", String(200), nullable=False),
    Column("name", String(100), nullable=False),
    Column("payload", Json(), nullable=False),
    Column("partition_key", String(200), nullable=False),
    Column("error", Text(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("consumer", String(200), nullable=False),
    _ts("failed_at"),
)

# EDI with trading partners (migration 0020, docs/edi.md). `edi_control_numbers`: the last
# interchange control number (ISA13, GS06) Ordo gave each sender/receiver pair, raised in
# place by one UPDATE so two requests never get the same. `edi_purchase_orders`: what an 850
# said that the order does not keep (the partner's envelope and delimiters, PO101 and the
# product ids of each line), for the 856 that answers it. `edi_outbound`: the documents
# waiting for the partner's gateway to collect them, one per (kind, reference).
edi_control_numbers = Table(
    "edi_control_numbers",
    metadata,
    Column("sender_qualifier", String(2), primary_key=True),
    Column("sender_id", String(15), primary_key=True),
    Column("receiver_qualifier", String(2), primary_key=True),
    Column("receiver_id", String(15), primary_key=True),
    Column("last_number", Integer(), nullable=False),
    _ts("updated_at"),
)

edi_purchase_orders = Table(
    "edi_purchase_orders",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("po_number", String(128), primary_key=True),
    Column("po_date", String(8), nullable=False),
    Column("envelope", Json(), nullable=False),
    Column("lines", Json(), nullable=False),
    Column("ship_to_qualifier", String(2), nullable=False),
    Column("ship_to_code", String(80), nullable=False),
    _ts("received_at"),
)

edi_outbound = Table(
    "edi_outbound",
    metadata,
    _id(primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("reference", String(64), nullable=False),
    _id("order_id", nullable=False),
    Column("control_number", Integer(), nullable=False),
    Column("content", Text(), nullable=False),
    _ts("created_at"),
    _ts("acknowledged_at", nullable=True),
    Column("acknowledged_by", String(128), nullable=False),
    # What the partner's 997 said of it, and its error codes (migration 0028): "" and NULL
    # until one names it, by the control number (indexed per channel) it was sent under.
    Column("functional_ack", String(24), nullable=False, server_default=""),
    Column("functional_ack_codes", Json(), nullable=True),
    _ts("functional_ack_at", nullable=True),
    # A document the partner rejected, written again (migration 0035): the new one names
    # the one it replaces, unique so two resends at once cannot both write one, and the old
    # one its replacement. NULL for neither.
    _id("replaces", nullable=True),
    _id("replaced_by", nullable=True),
    UniqueConstraint("kind", "reference"),
    Index(None, "channel", "created_at"),
    # A customer's export and erasure find the documents about their orders (migration 0024).
    Index(None, "order_id"),
    Index(None, "channel", "control_number"),
    Index(None, "replaces", unique=True),
)
