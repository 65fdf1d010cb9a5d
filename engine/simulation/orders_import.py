"""Turn order-line rows (one per line, in any order) into whole orders sorted by time.

Exports usually have one row per order line, repeating the order's header on every row, and
are not always sorted, so an order's rows may be anywhere in the file. Two external sorts keep
memory bounded: first by order id to gather an order's lines, then by (created_at, order id)
for the replay. An order whose rows disagree on the header (two creation times, two postal
codes), that has a row twice (the same record, cell for cell: an export that repeated it, or
two orders under one id), or that has any bad row is reported and left out whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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
    """Whole orders in replay order. `poisoned` holds ids of orders already known to be bad.

    Each row carries `_h`, a fingerprint of the source record it came from (and of its place
    among the record's lines), so a row repeated cell for cell is told from a second line."""
    bad = poisoned if poisoned is not None else set()
    flat = _flatten(rows)
    by_id = external_sort(flat, lambda r: (r["order_id"], r["_n"]), workdir, chunk)
    orders = _group(by_id, customers, report, bad, postal or PostalLookup())
    yield from external_sort(orders, lambda o: (o["created_at"], o["id"]), workdir, chunk)


def _flatten(rows: Iterable[tuple[RowError, dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    # Quantities and prices were checked against their bounds as they were read (`fields`).
    for where, row in rows:
        yield {
            **row,
            "created_at": iso_utc(row["created_at"]),
            "requested_date": row["requested_date"].isoformat() if row["requested_date"] else None,
            "price": str(row["price"]),
            "_f": where.file,
            "_n": where.row,
            "_u": where.unit,
        }


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
    problem = _repeated(rows)
    if problem:
        report(problem)
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


def _repeated(rows: list[dict[str, Any]]) -> RowError | None:
    """A row the same as an earlier one of the order in every cell: a second line would
    differ somewhere (its SKU, its line number), so this is the export repeating a row, or two
    orders sharing an id, and either way not an order to replay as it stands."""
    first: dict[int, dict[str, Any]] = {}
    for row in rows:
        earlier = first.setdefault(row["_h"], row)
        if earlier is not row:
            return _row_error(
                row,
                f"order {row['order_id']!r}: this row repeats {earlier['_u']} {earlier['_n']} "
                "cell for cell (a row exported twice, or two orders under one id?)",
            )
    return None


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
