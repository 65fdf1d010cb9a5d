"""Turn order-line rows (one per line, in any order) into whole orders sorted by time.

Exports usually have one row per order line, repeating the order's header on every row, and
are not always sorted. Two external sorts keep memory bounded: first by order id to gather an
order's lines, then by (created_at, order id) for the replay. An order whose rows disagree on
the header (two creation times, two postal codes) or that has any bad row is reported and left
out whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.simulation.dataset import iso_utc
from engine.simulation.extsort import external_sort
from engine.simulation.history import RowError
from engine.simulation.postal import PostalLookup

HEADER = (
    "created_at", "channel", "customer_id", "postal_code", "country", "service_level",
    "requested_date", "priority", "customer_tier", "currency", "email",
)  # fmt: skip
# Far above any real order line, and low enough that an order's total of five such lines
# still fits the 28 digits money is computed to: a typo of 1e26 must be a row error here,
# not an arithmetic error halfway through a replay.
MOST_UNITS = 1_000_000_000
MOST_PRICE = 1_000_000_000
Report = Callable[[RowError], None]
Customers = dict[str, tuple[str, str, str]]


def assemble_orders(
    rows: Iterable[tuple[RowError, dict[str, Any]]],
    customers: Customers,
    report: Report,
    workdir: Path,
    chunk: int,
    poisoned: set[str] | None = None,
    postal: PostalLookup | None = None,
) -> Iterator[dict[str, Any]]:
    """Whole orders in replay order. `poisoned` holds ids of orders already known to be bad."""
    bad = poisoned if poisoned is not None else set()
    flat = _flatten(rows, report, bad)
    by_id = external_sort(flat, lambda r: (r["order_id"], r["_n"]), workdir, chunk)
    orders = _group(by_id, customers, report, bad, postal or PostalLookup())
    yield from external_sort(orders, lambda o: (o["created_at"], o["id"]), workdir, chunk)


def _flatten(
    rows: Iterable[tuple[RowError, dict[str, Any]]], report: Report, bad: set[str]
) -> Iterator[dict[str, Any]]:
    for where, row in rows:
        problem = _line_problem(row["quantity"], row["price"])
        if problem:
            bad.add(row["order_id"])
            report(_at(where, problem))
            continue
        yield {
            **row,
            "created_at": iso_utc(row["created_at"]),
            "requested_date": row["requested_date"].isoformat() if row["requested_date"] else None,
            "price": str(row["price"]),
            "_f": where.file,
            "_n": where.row,
            "_u": where.unit,
        }


def _line_problem(quantity: int, price: Decimal) -> str | None:
    if quantity <= 0:
        return f"quantity must be positive, got {quantity}"
    if price < 0:
        return f"price cannot be negative, got {price}"
    if quantity > MOST_UNITS:
        return f"quantity {quantity} is over {MOST_UNITS:,}: surely a mistake"
    if price > MOST_PRICE:
        return f"price {price} is over {MOST_PRICE:,}: surely a mistake"
    return None


def _group(
    rows: Iterable[dict[str, Any]],
    customers: Customers,
    report: Report,
    bad: set[str],
    postal: PostalLookup,
) -> Iterator[dict[str, Any]]:
    current: list[dict[str, Any]] = []
    for row in rows:
        if current and row["order_id"] != current[0]["order_id"]:
            order = _order(current, customers, report, bad, postal)
            if order is not None:
                yield order
            current = []
        current.append(row)
    if current:
        order = _order(current, customers, report, bad, postal)
        if order is not None:
            yield order


def _order(
    rows: list[dict[str, Any]],
    customers: Customers,
    report: Report,
    bad: set[str],
    lookup: PostalLookup,
) -> dict[str, Any] | None:
    head = rows[0]
    order_id = head["order_id"]
    if order_id in bad:
        return None
    for row in rows[1:]:
        for name in HEADER:
            if row[name] != head[name]:
                report(
                    _row_error(
                        row,
                        f"order {order_id!r}: {name} {row[name]!r} differs from "
                        f"{head[name]!r} on {head['_u']} {head['_n']}",
                    )
                )
                return None
    lines, problem = _lines(rows)
    if problem:
        report(problem)
        return None
    postal, country, tier = head["postal_code"], head["country"], head["customer_tier"]
    if not postal:
        known = customers.get(head["customer_id"])
        if known is None:
            report(
                _row_error(
                    head,
                    f"order {order_id!r} has no postal_code and customer "
                    f"{head['customer_id']!r} is not in the customers file",
                )
            )
            return None
        postal, country, tier = known[0], known[1], tier or known[2]
    point = lookup(postal, country)
    if point is None and country.upper() in ("US", "USA"):
        report(
            _row_error(
                head, f"order {order_id!r}: postal code {postal!r} is not a known US postal code"
            )
        )
        return None
    return {
        "id": order_id,
        **{name: head[name] for name in HEADER},
        "postal_code": postal,
        "country": country,
        "customer_tier": tier or "standard",
        "lat": point[0] if point else None,
        "lon": point[1] if point else None,
        "lines": lines,
    }


def _lines(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], RowError | None]:
    lines: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        line_id = row["line_id"] or str(number)
        if line_id in seen:
            return [], _row_error(row, f"order {row['order_id']!r}: line {line_id!r} appears twice")
        seen.add(line_id)
        lines.append(
            {"id": line_id, "sku": row["sku"], "quantity": row["quantity"], "price": row["price"]}
        )
    return lines, None


def _row_error(row: dict[str, Any], reason: str) -> RowError:
    return RowError(row["_f"], row["_n"], reason, row["_u"])


def _at(where: RowError, reason: str) -> RowError:
    return RowError(where.file, where.row, reason, where.unit)
