"""The read side of the reports (`engine.service_layer.analytics.ReportQueries`), twice.

`SqlReportQueries` answers each question with one or two aggregate statements on the unit of
work's session (SQLite and PostgreSQL): grouped counts and sums come back, never the orders,
so a report over a year of millions of orders reads a few hundred rows; only `defects` reads
one row per return of the period's orders, whose reasons may be sealed at rest and are read
here. The 90th percentile of the cycle time is the one row at its rank of an ordered query.
The two databases differ in a few expressions (the UTC day of a timestamp, seconds between
two, exact sums of money, the elements of a JSON list), which `_Dialect` writes for each.
Money is NUMERIC on PostgreSQL and text on SQLite (`orm.Money`): SQLite sums it exactly as
whole ten-thousandths.

`MemoryReportQueries` computes the same figures from the in-memory unit of work's rows, for
unit tests; `tests/integration/reports` holds the two to the same answers on the same data.

Both are built by their unit of work (`uow.reports`, engine/adapters/sqlalchemy_uow.py and
engine/adapters/memory.py) and kept out of `repositories.py`, which they do not need.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Numeric,
    and_,
    case,
    cast,
    desc,
    distinct,
    extract,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from engine.adapters import orm
from engine.adapters.sealed_rows import RETURN_REASONS, sealer_for
from engine.domain.fulfilment import (
    PICKUP_CARRIER,
    FulfillmentOrder,
    Return,
    ReturnStatus,
    ShipmentStatus,
)
from engine.domain.inventory import Stock
from engine.domain.orders import Order, OrderStatus
from engine.domain.values import in_utc
from engine.service_layer.analytics import (
    CarrierRow,
    CustomerRevenue,
    CustomerRow,
    CycleRow,
    DefectRow,
    LateRow,
    LineSum,
    LocationRow,
    LocationStock,
    OrderCount,
    ReportQueries,
    SkuShipped,
    SkuStock,
    SkuUnits,
    SplitRow,
    WhenRow,
    says_defect,
    says_wrong_item,
)

if TYPE_CHECKING:
    from engine.adapters.memory import InMemoryUnitOfWork

REJECTED = OrderStatus.REJECTED.value
CANCELLED = ShipmentStatus.CANCELLED.value
NOT_CANCELLED = [status.value for status in ShipmentStatus if status.value != CANCELLED]
FINISHED = (OrderStatus.SHIPPED.value, OrderStatus.DELIVERED.value)
# A pickup packed at its store waits at the counter for the customer, then is collected
# (packed -> delivered, never `shipped_at`): ready, it is not late from then on, however long
# the customer takes (as `FulfillmentOrder.is_late` says for the lateness clock).
PICKUP_READY = (ShipmentStatus.PACKED.value, ShipmentStatus.DELIVERED.value)


def waits_for_customer(shipment: FulfillmentOrder) -> bool:
    """A pickup ready at its store's counter, or collected from it (`PICKUP_READY`)."""
    return shipment.is_pickup and shipment.status.value in PICKUP_READY


_SCALE = 10_000  # SQLite sums money in ten-thousandths, the precision `orm.Money` keeps


def p90_rank(count: int) -> int:
    """The nearest rank of the 90th percentile among `count` values (1-based): the smallest
    rank with at least 90% of the values at or below it."""
    return (9 * count + 9) // 10


def whole_seconds(later: datetime, earlier: datetime) -> int:
    """Seconds from `earlier` to `later`, rounded half away from zero as SQL's ROUND does."""
    seconds = Decimal(str((in_utc(later) - in_utc(earlier)).total_seconds()))
    return int(seconds.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- SQL ------------------------------------------------------------------------------------


class _Dialect:
    """The expressions SQLite and PostgreSQL write differently."""

    def __init__(self, name: str) -> None:
        self.postgres = name == "postgresql"

    def _utc(self, moment: Any) -> Any:
        # Constants are written into the statement, not bound: PostgreSQL would take an
        # expression with a parameter in SELECT and the same in GROUP BY for two expressions.
        return func.timezone(literal_column("'UTC'"), moment)

    def day(self, moment: Any) -> ColumnElement[Any]:
        """The UTC day of a timestamp (SQLite stores UTC text, `orm.UTCDateTime`)."""
        if self.postgres:
            return cast(self._utc(moment), Date)
        return func.date(moment)

    def hour(self, moment: Any) -> ColumnElement[Any]:
        if self.postgres:
            return cast(extract("hour", self._utc(moment)), Integer)
        return cast(func.strftime("%H", moment), Integer)

    def weekday(self, moment: Any) -> ColumnElement[Any]:
        """ISO: 1 Monday .. 7 Sunday (SQLite counts 0 Sunday .. 6 Saturday)."""
        if self.postgres:
            return cast(extract("isodow", self._utc(moment)), Integer)
        return (cast(func.strftime("%w", moment), Integer) + 6) % 7 + 1

    def seconds(self, later: Any, earlier: Any) -> ColumnElement[Any]:
        if self.postgres:
            return func.round(extract("epoch", later - earlier))
        return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0)

    def money(self, amount: Any) -> ColumnElement[Any]:
        """An amount column as a number that sums exactly (see `amount_of`)."""
        if self.postgres:
            return cast(amount, Numeric(18, 4))
        return cast(func.round(cast(amount, Float) * _SCALE), Integer)

    def amount_of(self, value: Any) -> Decimal:
        if value is None:
            return Decimal(0)
        return Decimal(value) if self.postgres else Decimal(int(value)).scaleb(-4)

    def items(self, column: Any, name: str) -> tuple[FromClause, Callable[[str], Any]]:
        """The elements of a JSON list column, joined beside its row, and a reader of one
        field of an element (as text, or as SQLite's JSON value)."""
        if self.postgres:
            lateral = func.jsonb_array_elements(column).table_valued("value").lateral(name)
            return lateral, lambda key: lateral.c.value.op("->>")(literal_column(f"'{key}'"))
        each = func.json_each(column).table_valued("value").alias(name)
        return each, lambda key: func.json_extract(each.c.value, literal_column(f"'$.{key}'"))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _count(value: Any) -> int:
    return int(value or 0)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class SqlReportQueries(ReportQueries):
    """`ReportQueries` on the unit of work's session (its transaction, so it sees its writes)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _run(self, statement: Any) -> Sequence[Any]:
        return self.session.connection().execute(statement).all()

    @property
    def _sql(self) -> _Dialect:
        return _Dialect(self.session.connection().dialect.name)

    @staticmethod
    def _orders_in(start: datetime, end: datetime) -> ColumnElement[bool]:
        created = orm.orders.c.created_at
        return and_(created >= start, created < end)

    @classmethod
    def _accepted_in(cls, start: datetime, end: datetime) -> ColumnElement[bool]:
        return and_(cls._orders_in(start, end), orm.orders.c.status != REJECTED)

    @staticmethod
    def _shipments_in(start: datetime, end: datetime) -> ColumnElement[bool]:
        created = orm.fulfillment_orders.c.created_at
        return and_(created >= start, created < end)

    @staticmethod
    def _not_ready_pickup() -> ColumnElement[bool]:
        """Not a pickup waiting at the counter or collected (`waits_for_customer`)."""
        f = orm.fulfillment_orders.c
        return not_(and_(f.carrier == PICKUP_CARRIER, f.status.in_(PICKUP_READY)))

    def _late(self, today: date) -> ColumnElement[bool]:
        f, sql = orm.fulfillment_orders.c, self._sql
        return and_(
            f.promised_date.is_not(None),
            f.status != CANCELLED,
            or_(
                and_(f.shipped_at.is_not(None), sql.day(f.shipped_at) > f.promised_date),
                and_(f.shipped_at.is_(None), f.promised_date < today, self._not_ready_pickup()),
            ),
        )

    # -- orders and sales -----------------------------------------------------------------
    def order_counts(self, start: datetime, end: datetime) -> Sequence[OrderCount]:
        o, sql = orm.orders.c, self._sql
        day = sql.day(o.created_at)
        keys = (day, o.channel, o.currency, o.status)
        statement = select(*keys, func.count()).where(self._orders_in(start, end)).group_by(*keys)
        return [
            OrderCount(_day(d), channel, currency, status, int(n))
            for d, channel, currency, status, n in self._run(statement)
        ]

    def line_sums(self, start: datetime, end: datetime) -> Sequence[LineSum]:
        o, lines, sql = orm.orders.c, orm.order_lines, self._sql
        units = lines.c.quantity - lines.c.quantity_cancelled
        day = sql.day(o.created_at)
        keys = (day, o.channel, o.currency)
        statement = (
            select(
                *keys,
                func.sum(units),
                func.sum(sql.money(lines.c.price) * units),
                func.count(distinct(case((units > 0, o.id)))),
            )
            .select_from(orm.orders.join(lines, lines.c.order_id == o.id))
            .where(self._accepted_in(start, end))
            .group_by(*keys)
        )
        return [
            LineSum(_day(d), channel, currency, _count(u), sql.amount_of(r), _count(n))
            for d, channel, currency, u, r, n in self._run(statement)
        ]

    def top_skus(self, start: datetime, end: datetime, limit: int) -> Sequence[SkuUnits]:
        o, lines = orm.orders.c, orm.order_lines
        units = lines.c.quantity - lines.c.quantity_cancelled
        total = func.sum(units)
        statement = (
            select(lines.c.sku, total, func.count(distinct(case((units > 0, o.id)))))
            .select_from(orm.orders.join(lines, lines.c.order_id == o.id))
            .where(self._accepted_in(start, end))
            .group_by(lines.c.sku)
            .having(total > 0)
            .order_by(desc(total), lines.c.sku)
            .limit(limit)
        )
        return [SkuUnits(sku, int(u), int(n)) for sku, u, n in self._run(statement)]

    def currencies(self, start: datetime, end: datetime) -> Sequence[str]:
        o = orm.orders.c
        statement = (
            select(o.currency).where(self._accepted_in(start, end)).distinct().order_by(o.currency)
        )
        return sorted(row[0] for row in self._run(statement))

    # -- fulfilment -------------------------------------------------------------------------
    def carriers(self, start: datetime, end: datetime) -> Sequence[CarrierRow]:
        f, sql = orm.fulfillment_orders.c, self._sql
        with_promise = and_(f.shipped_at.is_not(None), f.promised_date.is_not(None))
        delivered = and_(f.shipped_at.is_not(None), f.delivered_at.is_not(None))
        statement = (
            select(
                f.carrier,
                f.service,
                func.count(),
                func.sum(sql.money(f.rate)),
                _flag(with_promise),
                _flag(and_(with_promise, sql.day(f.shipped_at) <= f.promised_date)),
                _flag(delivered),
                func.sum(case((delivered, sql.seconds(f.delivered_at, f.shipped_at)), else_=0)),
            )
            .where(self._shipments_in(start, end), f.status != CANCELLED)
            .group_by(f.carrier, f.service)
            .order_by(f.carrier, f.service)
        )
        return [
            CarrierRow(
                carrier, service, int(n), sql.amount_of(cost), int(p), int(t), int(d), _count(s)
            )
            # Sorted here, as the in-memory side sorts: databases may collate text otherwise.
            for carrier, service, n, cost, p, t, d, s in sorted(self._run(statement))
        ]

    def cancelled_shipments(self, start: datetime, end: datetime) -> int:
        f = orm.fulfillment_orders.c
        statement = select(func.count()).where(
            self._shipments_in(start, end), f.status == CANCELLED
        )
        return int(self._run(statement)[0][0])

    def locations(self, start: datetime, end: datetime) -> Sequence[LocationRow]:
        shipments, sql = orm.fulfillment_orders, self._sql
        f = shipments.c
        live = and_(self._shipments_in(start, end), f.status != CANCELLED)
        counted = select(f.location_code, func.count()).where(live).group_by(f.location_code)
        items, field = sql.items(f.lines, "item")
        units = (
            select(f.location_code, func.sum(cast(field("quantity"), Integer)))
            .select_from(shipments.join(items, true()))
            .where(live)
            .group_by(f.location_code)
        )
        of_location = {code: _count(n) for code, n in self._run(units)}
        return [
            LocationRow(code, int(n), of_location.get(code, 0))
            for code, n in sorted(self._run(counted))
        ]

    def split(self, start: datetime, end: datetime) -> SplitRow:
        f = orm.fulfillment_orders.c
        per_order = (
            select(f.order_id, func.count().label("n"))
            .select_from(orm.fulfillment_orders.join(orm.orders, orm.orders.c.id == f.order_id))
            .where(self._orders_in(start, end), f.status != CANCELLED)
            .group_by(f.order_id)
            .subquery()
        )
        statement = select(
            func.count(), _flag(per_order.c.n > 1), func.coalesce(func.sum(per_order.c.n), 0)
        )
        orders, split, shipments = self._run(statement.select_from(per_order))[0]
        return SplitRow(int(orders), int(split), int(shipments))

    def cycle_times(self, start: datetime, end: datetime) -> CycleRow:
        o, f, sql = orm.orders.c, orm.fulfillment_orders.c, self._sql
        per_order = (
            select(o.id, o.created_at, func.max(f.shipped_at).label("last"))
            .select_from(orm.orders.join(orm.fulfillment_orders, f.order_id == o.id))
            .where(self._orders_in(start, end), o.status.in_(FINISHED), f.shipped_at.is_not(None))
            .group_by(o.id, o.created_at)
            .subquery()
        )
        seconds = sql.seconds(per_order.c.last, per_order.c.created_at)
        count, total = self._run(
            select(func.count(), func.coalesce(func.sum(seconds), 0)).select_from(per_order)
        )[0]
        if not count:
            return CycleRow(0, 0, None)
        at_rank = (
            select(seconds)
            .select_from(per_order)
            .order_by(seconds)
            .offset(p90_rank(int(count)) - 1)
            .limit(1)
        )
        return CycleRow(int(count), int(total), int(self._run(at_rank)[0][0]))

    # -- operational KPIs ------------------------------------------------------------------
    def late(self, start: datetime, end: datetime, today: date) -> LateRow:
        f = orm.fulfillment_orders.c
        statement = select(func.count(), _flag(self._late(today))).where(
            self._shipments_in(start, end), f.status != CANCELLED, f.promised_date.is_not(None)
        )
        with_promise, late = self._run(statement)[0]
        return LateRow(int(with_promise), int(late))

    def defects(self, start: datetime, end: datetime, today: date) -> DefectRow:
        f, o = orm.fulfillment_orders, orm.orders

        def shipment(condition: ColumnElement[bool]) -> ColumnElement[bool]:
            return (
                select(literal(1)).select_from(f).where(f.c.order_id == o.c.id, condition).exists()
            )

        cancelled = shipment(f.c.status == CANCELLED)
        late = shipment(self._late(today))
        shipped = shipment(f.c.shipped_at.is_not(None))
        statement = select(
            func.count(),
            _flag(cancelled),
            _flag(late),
            _flag(or_(cancelled, late)),
            _flag(shipped),
        ).where(self._accepted_in(start, end))
        orders, n_cancelled, n_late, cancelled_or_late, n_shipped = (
            int(value) for value in self._run(statement)[0]
        )
        # Reasons are the customer's words, sealed at rest with keys set, so SQL cannot search
        # them: the period's orders' returns are read with their orders' flags, and their
        # reasons opened and read here, by the words `says_defect` reads (with or without
        # keys, so the figures cannot differ). As many rows as those orders have returns.
        r = orm.returns
        per_return = (
            select(r.c.id, r.c.lines, o.c.id, or_(cancelled, late), shipped)
            .select_from(r.join(o, o.c.id == r.c.order_id))
            .where(self._accepted_in(start, end), r.c.status != ReturnStatus.REJECTED.value)
        )
        sealer = sealer_for(self.session, RETURN_REASONS)
        reasons: dict[str, list[str]] = defaultdict(list)
        flags: dict[str, tuple[bool, bool]] = {}
        for return_id, lines, order_id, defective, was_shipped in self._run(per_return):
            row = {"id": return_id, "lines": lines}
            opened = row if sealer is None else sealer.open(row)
            reasons[order_id].extend(line.get("reason") or "" for line in opened["lines"])
            flags[order_id] = (bool(defective), bool(was_shipped))
        returned = wrong = defective_only_by_return = 0
        for order_id, said in reasons.items():
            defective, was_shipped = flags[order_id]
            if any(says_defect(reason) for reason in said):
                returned += 1
                defective_only_by_return += not defective
            wrong += was_shipped and any(says_wrong_item(reason) for reason in said)
        return DefectRow(
            orders,
            n_cancelled,
            n_late,
            returned,
            cancelled_or_late + defective_only_by_return,
            n_shipped,
            wrong,
        )

    # -- customers --------------------------------------------------------------------------
    def customers(self, start: datetime, end: datetime) -> CustomerRow:
        o = orm.orders.c
        per_customer = (
            select(o.customer_id, func.count().label("n"))
            .where(self._accepted_in(start, end))
            .group_by(o.customer_id)
            .subquery()
        )
        earlier = orm.orders.alias("earlier")
        ordered_before = (
            select(literal(1))
            .select_from(earlier)
            .where(
                earlier.c.customer_id == per_customer.c.customer_id,
                earlier.c.created_at < start,
                earlier.c.status != REJECTED,
            )
            .exists()
        )
        statement = select(
            func.count(),
            _flag(~ordered_before),
            _flag(per_customer.c.n > 1),
            func.coalesce(func.sum(per_customer.c.n), 0),
        ).select_from(per_customer)
        return CustomerRow(*(int(value) for value in self._run(statement)[0]))

    def top_customers(
        self, start: datetime, end: datetime, currency: str, limit: int
    ) -> Sequence[CustomerRevenue]:
        o, lines, sql = orm.orders.c, orm.order_lines, self._sql
        units = lines.c.quantity - lines.c.quantity_cancelled
        revenue = func.sum(sql.money(lines.c.price) * units)
        statement = (
            select(o.customer_id, func.count(distinct(case((units > 0, o.id)))), revenue)
            .select_from(orm.orders.join(lines, lines.c.order_id == o.id))
            .where(self._accepted_in(start, end), o.currency == currency)
            .group_by(o.customer_id)
            .having(revenue > 0)
            .order_by(desc(revenue), o.customer_id)
            .limit(limit)
        )
        return [
            CustomerRevenue(customer, int(n), sql.amount_of(amount))
            for customer, n, amount in self._run(statement)
        ]

    def order_times(self, start: datetime, end: datetime) -> Sequence[WhenRow]:
        o, sql = orm.orders.c, self._sql
        keys = (sql.weekday(o.created_at), sql.hour(o.created_at))
        statement = select(*keys, func.count()).where(self._accepted_in(start, end)).group_by(*keys)
        return [WhenRow(int(w), int(h), int(n)) for w, h, n in self._run(statement)]

    # -- inventory ----------------------------------------------------------------------------
    @staticmethod
    def _available() -> ColumnElement[Any]:
        s = orm.stock.c
        free = s.on_hand - s.reserved - s.safety_stock
        return func.coalesce(func.sum(case((free > 0, free), else_=0)), 0)

    def stock_by_location(self) -> Sequence[LocationStock]:
        s = orm.stock.c
        statement = (
            select(
                s.location_code,
                func.count(),
                func.sum(s.on_hand),
                func.sum(s.reserved),
                self._available(),
            )
            .group_by(s.location_code)
            .order_by(s.location_code)
        )
        return [
            LocationStock(code, int(n), _count(h), _count(r), _count(a))
            for code, n, h, r, a in sorted(self._run(statement))
        ]

    def _shipped_items(
        self, start: datetime, end: datetime
    ) -> tuple[FromClause, Any, Any, ColumnElement[bool]]:
        """Each line of the shipments that shipped in the period: its SKU and units."""
        shipments = orm.fulfillment_orders
        items, field = self._sql.items(shipments.c.lines, "item")
        shipped = shipments.c.shipped_at
        return (
            shipments.join(items, true()),
            field("sku"),
            cast(field("quantity"), Integer),
            and_(shipped >= start, shipped < end),
        )

    def top_shipped(self, start: datetime, end: datetime, limit: int) -> Sequence[SkuShipped]:
        source, sku, quantity, where = self._shipped_items(start, end)
        total = func.sum(quantity)
        statement = (
            select(sku, total)
            .select_from(source)
            .where(where)
            .group_by(sku)
            .order_by(desc(total), sku)
            .limit(limit)
        )
        return [SkuShipped(str(code), int(units)) for code, units in self._run(statement)]

    def units_shipped(self, start: datetime, end: datetime) -> int:
        source, _, quantity, where = self._shipped_items(start, end)
        statement = select(func.coalesce(func.sum(quantity), 0)).select_from(source).where(where)
        return int(self._run(statement)[0][0])

    def stock_of(self, skus: Sequence[str]) -> Mapping[str, SkuStock]:
        if not skus:
            return {}
        s = orm.stock.c
        statement = (
            select(s.sku, func.sum(s.on_hand), self._available())
            .where(s.sku.in_(list(skus)))
            .group_by(s.sku)
        )
        return {sku: SkuStock(sku, _count(h), _count(a)) for sku, h, a in self._run(statement)}

    def late_promised_on(self, day: date, now: datetime) -> int:
        f = orm.fulfillment_orders.c
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), now.tzinfo)
        shipped_after = f.shipped_at >= end
        unshipped = and_(f.shipped_at.is_(None), self._not_ready_pickup())
        late = or_(shipped_after, unshipped) if now >= end else shipped_after
        # The statuses named rather than `!= cancelled`, so the (status, promised_date) index
        # reads the day's rows of each instead of the table.
        statement = select(func.count()).where(
            f.status.in_(NOT_CANCELLED), f.promised_date == day, late
        )
        return int(self._run(statement)[0][0])


# --- in memory ------------------------------------------------------------------------------


class MemoryReportQueries(ReportQueries):
    """The same figures from the in-memory unit of work's rows (this transaction's included),
    by the definitions in `engine.service_layer.analytics`, for unit tests."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self.uow = uow

    def _rows(self, name: str) -> list[Any]:
        table = self.uow._tables[name]
        keys = table.keys()  # committed rows and this transaction's, without copying them
        return [table.peek(key) for key in keys]

    def _orders(self, start: datetime, end: datetime, accepted: bool = False) -> list[Order]:
        return [
            order
            for order in self._rows("orders")
            if start <= in_utc(order.created_at) < end
            and not (accepted and order.status is OrderStatus.REJECTED)
        ]

    def _shipments(self) -> list[FulfillmentOrder]:
        return self._rows("shipments")

    def _shipments_in(self, start: datetime, end: datetime) -> list[FulfillmentOrder]:
        return [s for s in self._shipments() if start <= in_utc(s.created_at) < end]

    @staticmethod
    def _is_late(shipment: FulfillmentOrder, today: date) -> bool:
        promised = shipment.promised_date
        if promised is None or shipment.status is ShipmentStatus.CANCELLED:
            return False
        if shipment.shipped_at is not None:
            return in_utc(shipment.shipped_at).date() > promised
        return promised < today and not waits_for_customer(shipment)

    # -- orders and sales -----------------------------------------------------------------
    def order_counts(self, start: datetime, end: datetime) -> Sequence[OrderCount]:
        counts = Counter(
            (in_utc(o.created_at).date(), o.channel, o.currency, str(o.status))
            for o in self._orders(start, end)
        )
        return [OrderCount(*key, orders=n) for key, n in counts.items()]

    def line_sums(self, start: datetime, end: datetime) -> Sequence[LineSum]:
        sums: dict[tuple[date, str, str], list[Any]] = {}
        for order in self._orders(start, end, accepted=True):
            key = (in_utc(order.created_at).date(), order.channel, order.currency)
            entry = sums.setdefault(key, [0, Decimal(0), 0])
            units = [line.quantity - line.quantity_cancelled for line in order.lines]
            entry[0] += sum(units)
            entry[1] += sum(
                (line.price * n for line, n in zip(order.lines, units, strict=True)), Decimal(0)
            )
            entry[2] += any(n > 0 for n in units)
        return [
            LineSum(*key, units=u, revenue=r, orders_with_units=n)
            for key, (u, r, n) in sums.items()
        ]

    def top_skus(self, start: datetime, end: datetime, limit: int) -> Sequence[SkuUnits]:
        units: Counter[str] = Counter()
        orders: dict[str, set[str]] = defaultdict(set)
        for order in self._orders(start, end, accepted=True):
            for line in order.lines:
                units[line.sku] += line.quantity - line.quantity_cancelled
                if line.quantity > line.quantity_cancelled:
                    orders[line.sku].add(order.id)
        ranked = sorted((-n, sku) for sku, n in units.items() if n > 0)
        return [SkuUnits(sku, -n, len(orders[sku])) for n, sku in ranked[:limit]]

    def currencies(self, start: datetime, end: datetime) -> Sequence[str]:
        return sorted({o.currency for o in self._orders(start, end, accepted=True)})

    # -- fulfilment -------------------------------------------------------------------------
    def carriers(self, start: datetime, end: datetime) -> Sequence[CarrierRow]:
        groups: dict[tuple[str, str], list[FulfillmentOrder]] = defaultdict(list)
        for s in self._shipments_in(start, end):
            if s.status is not ShipmentStatus.CANCELLED:
                groups[(s.carrier, s.service)].append(s)
        return [
            self._carrier(carrier, service, shipments)
            for (carrier, service), shipments in sorted(groups.items())
        ]

    @staticmethod
    def _carrier(carrier: str, service: str, shipments: list[FulfillmentOrder]) -> CarrierRow:
        with_promise = on_time = delivered = transit = 0
        for s in shipments:
            if s.shipped_at is None:
                continue
            if s.promised_date is not None:
                with_promise += 1
                on_time += in_utc(s.shipped_at).date() <= s.promised_date
            if s.delivered_at is not None:
                delivered += 1
                transit += whole_seconds(s.delivered_at, s.shipped_at)
        cost = sum((s.rate for s in shipments), Decimal(0))
        return CarrierRow(
            carrier, service, len(shipments), cost, with_promise, on_time, delivered, transit
        )

    def cancelled_shipments(self, start: datetime, end: datetime) -> int:
        return sum(
            1 for s in self._shipments_in(start, end) if s.status is ShipmentStatus.CANCELLED
        )

    def locations(self, start: datetime, end: datetime) -> Sequence[LocationRow]:
        shipments: Counter[str] = Counter()
        units: Counter[str] = Counter()
        for s in self._shipments_in(start, end):
            if s.status is not ShipmentStatus.CANCELLED:
                shipments[s.location_code] += 1
                units[s.location_code] += s.quantity
        return [LocationRow(code, n, units[code]) for code, n in sorted(shipments.items())]

    def split(self, start: datetime, end: datetime) -> SplitRow:
        ids = {o.id for o in self._orders(start, end)}
        per_order = Counter(
            s.order_id
            for s in self._shipments()
            if s.order_id in ids and s.status is not ShipmentStatus.CANCELLED
        )
        return SplitRow(
            len(per_order), sum(1 for n in per_order.values() if n > 1), sum(per_order.values())
        )

    def cycle_times(self, start: datetime, end: datetime) -> CycleRow:
        last: dict[str, datetime] = {}
        for s in self._shipments():
            if s.shipped_at is not None:
                shipped = in_utc(s.shipped_at)
                last[s.order_id] = max(last.get(s.order_id, shipped), shipped)
        seconds = sorted(
            whole_seconds(last[o.id], o.created_at)
            for o in self._orders(start, end)
            if str(o.status) in FINISHED and o.id in last
        )
        if not seconds:
            return CycleRow(0, 0, None)
        return CycleRow(len(seconds), sum(seconds), seconds[p90_rank(len(seconds)) - 1])

    # -- operational KPIs ------------------------------------------------------------------
    def late(self, start: datetime, end: datetime, today: date) -> LateRow:
        promised = [
            s
            for s in self._shipments_in(start, end)
            if s.promised_date is not None and s.status is not ShipmentStatus.CANCELLED
        ]
        return LateRow(len(promised), sum(1 for s in promised if self._is_late(s, today)))

    def defects(self, start: datetime, end: datetime, today: date) -> DefectRow:
        shipments: dict[str, list[FulfillmentOrder]] = defaultdict(list)
        for s in self._shipments():
            shipments[s.order_id].append(s)
        returns: dict[str, list[Return]] = defaultdict(list)
        for r in self._rows("returns"):
            if r.status is not ReturnStatus.REJECTED:
                returns[r.order_id].append(r)
        counts = Counter[str]()
        orders = self._orders(start, end, accepted=True)
        for order in orders:
            mine = shipments[order.id]
            reasons = [line.reason for r in returns[order.id] for line in r.lines]
            cancelled = any(s.status is ShipmentStatus.CANCELLED for s in mine)
            late = any(self._is_late(s, today) for s in mine)
            returned = any(says_defect(reason) for reason in reasons)
            shipped = any(s.shipped_at is not None for s in mine)
            counts.update(
                name
                for name, yes in (
                    ("cancelled", cancelled),
                    ("late", late),
                    ("returned", returned),
                    ("defective", cancelled or late or returned),
                    ("shipped", shipped),
                    ("wrong", shipped and any(says_wrong_item(r) for r in reasons)),
                )
                if yes
            )
        return DefectRow(
            len(orders),
            counts["cancelled"],
            counts["late"],
            counts["returned"],
            counts["defective"],
            counts["shipped"],
            counts["wrong"],
        )

    # -- customers --------------------------------------------------------------------------
    def customers(self, start: datetime, end: datetime) -> CustomerRow:
        per_customer = Counter(o.customer_id for o in self._orders(start, end, accepted=True))
        before = {
            o.customer_id
            for o in self._rows("orders")
            if in_utc(o.created_at) < start and o.status is not OrderStatus.REJECTED
        }
        return CustomerRow(
            len(per_customer),
            sum(1 for c in per_customer if c not in before),
            sum(1 for n in per_customer.values() if n > 1),
            sum(per_customer.values()),
        )

    def top_customers(
        self, start: datetime, end: datetime, currency: str, limit: int
    ) -> Sequence[CustomerRevenue]:
        revenue: dict[str, Decimal] = defaultdict(Decimal)
        orders: Counter[str] = Counter()
        for order in self._orders(start, end, accepted=True):
            if order.currency != currency:
                continue
            lines = [(ln.price, ln.quantity - ln.quantity_cancelled) for ln in order.lines]
            revenue[order.customer_id] += sum((p * n for p, n in lines), Decimal(0))
            orders[order.customer_id] += any(n > 0 for _, n in lines)
        ranked = sorted((-amount, c) for c, amount in revenue.items() if amount > 0)
        return [CustomerRevenue(c, orders[c], -amount) for amount, c in ranked[:limit]]

    def order_times(self, start: datetime, end: datetime) -> Sequence[WhenRow]:
        counts = Counter(
            (in_utc(o.created_at).isoweekday(), in_utc(o.created_at).hour)
            for o in self._orders(start, end, accepted=True)
        )
        return [WhenRow(w, h, n) for (w, h), n in counts.items()]

    # -- inventory ----------------------------------------------------------------------------
    def stock_by_location(self) -> Sequence[LocationStock]:
        rows: dict[str, list[Stock]] = defaultdict(list)
        for stock in self._rows("stock"):
            rows[stock.location_code].append(stock)
        return [
            LocationStock(
                code,
                len(held),
                sum(s.on_hand for s in held),
                sum(s.reserved for s in held),
                sum(s.available for s in held),
            )
            for code, held in sorted(rows.items())
        ]

    def _shipped(self, start: datetime, end: datetime) -> Counter[str]:
        units: Counter[str] = Counter()
        for s in self._shipments():
            if s.shipped_at is not None and start <= in_utc(s.shipped_at) < end:
                for line in s.lines:
                    units[line.sku] += line.quantity
        return units

    def top_shipped(self, start: datetime, end: datetime, limit: int) -> Sequence[SkuShipped]:
        ranked = sorted((-n, sku) for sku, n in self._shipped(start, end).items())
        return [SkuShipped(sku, -n) for n, sku in ranked[:limit]]

    def units_shipped(self, start: datetime, end: datetime) -> int:
        return sum(self._shipped(start, end).values())

    def stock_of(self, skus: Sequence[str]) -> Mapping[str, SkuStock]:
        wanted = set(skus)
        found: dict[str, SkuStock] = {}
        for s in self._rows("stock"):
            if s.sku in wanted:
                had = found.get(s.sku, SkuStock(s.sku, 0, 0))
                found[s.sku] = SkuStock(s.sku, had.on_hand + s.on_hand, had.available + s.available)
        return found

    def late_promised_on(self, day: date, now: datetime) -> int:
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), now.tzinfo)
        return sum(
            1
            for s in self._shipments()
            if s.promised_date == day
            and s.status is not ShipmentStatus.CANCELLED
            and (
                in_utc(s.shipped_at) >= end
                if s.shipped_at is not None
                else now >= end and not waits_for_customer(s)
            )
        )
