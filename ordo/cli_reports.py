"""`ordo report sales|fulfilment|operations|customers|inventory`: the API's period reports at
the terminal, as Rich tables or (`--json`) the very JSON `GET /v1/reports/...` answers.

The period is `--from`/`--to` (YYYY-MM-DD, both included, UTC), with the API's defaults (the
30 days ending today) and limits (366 days; a period that runs backwards is refused in one
line naming both options' values).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ordo.bootstrap import build_app_container
from ordo.cli_support import day_option, load, out

report_app = typer.Typer(
    help="Reports over a period: sales, fulfilment, operations, customers, inventory.",
    no_args_is_help=True,
)


From = Annotated[
    date | None,
    typer.Option(
        "--from",
        parser=day_option,
        metavar="YYYY-MM-DD",
        help="The first day (UTC).",
        show_default="29 days before --to",
    ),
]
To = Annotated[
    date | None,
    typer.Option(
        "--to",
        parser=day_option,
        metavar="YYYY-MM-DD",
        help="The last day, included.",
        show_default="today",
    ),
]
AsJson = Annotated[
    bool, typer.Option("--json", help="Print the report as the API's JSON instead of tables.")
]


def _run(
    ctx: typer.Context, first: date | None, last: date | None, as_json: bool, name: str
) -> None:
    """Build the report `name` over the period and print it."""
    from api.schemas import reports as schemas
    from engine.domain.values import utcnow
    from engine.service_layer import reports
    from engine.service_layer.analytics import Period

    now = utcnow()
    period = Period.of(first, last, now.date())
    builders: dict[str, tuple[Callable[[Any], Any], Any]] = {
        "sales": (lambda uow: reports.sales(uow, period), schemas.SalesReportOut),
        "fulfilment": (lambda uow: reports.fulfilment(uow, period), schemas.FulfilmentReportOut),
        "operations": (
            lambda uow: reports.operations(uow, period, now),
            schemas.OperationsReportOut,
        ),
        "customers": (lambda uow: reports.customers(uow, period), schemas.CustomersReportOut),
        "inventory": (
            lambda uow: reports.inventory(uow, period, now),
            schemas.InventoryReportOut,
        ),
    }
    build, schema = builders[name]
    with build_app_container(load(ctx)) as container:
        shown = schema.of(build(container.uow_factory())).model_dump(mode="json", by_alias=True)
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    console = out()
    where = shown["period"]
    console.print(f"{name} report, {where['from']} to {where['to']} ({where['days']} days, UTC)")
    for table in _TABLES[name](shown):
        console.print(table)


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in columns:
        table.add_column(column, justify="left" if column in _TEXT else "right")
    for row in rows:
        table.add_row(*(escape(_cell(value)) for value in row))
    return table


_TEXT = {"figure", "value", "date", "channel", "sku", "carrier", "service", "location",
         "customer", "currency", "weekday"}  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and {"count", "of", "rate"} <= set(value):
        rate = "-" if value["rate"] is None else f"{value['rate']:.2%}"
        return f"{rate} ({value['count']}/{value['of']})"
    if isinstance(value, dict):
        return ", ".join(f"{amount} {currency}" for currency, amount in value.items()) or "-"
    return str(value)


def _figures(title: str, figures: dict[str, Any]) -> Table:
    return _table(title, ("figure", "value"), figures.items())


def _sales(r: dict[str, Any]) -> list[Table]:
    summary = {key: r[key] for key in ("orders", "units", "revenue", "average_order_value")}
    summary.update({f"status {k}": n for k, n in r["by_status"].items() if n})
    return [
        _figures("Orders and sales", summary),
        _table("Per day", ("date", "orders", "units", "revenue"),
               ((d["date"], d["orders"], d["units"], d["revenue"]) for d in r["days"])),
        _table("Per channel", ("channel", "orders", "units", "revenue", "cancelled", "rejected"),
               ((c["channel"], c["orders"], c["units"], c["revenue"], c["cancelled"],
                 c["rejected"]) for c in r["channels"])),
        _table("Top SKUs", ("sku", "units", "orders"),
               ((s["sku"], s["units"], s["orders"]) for s in r["top_skus"])),
    ]  # fmt: skip


def _fulfilment(r: dict[str, Any]) -> list[Table]:
    split, cycle = r["split"], r["cycle_time"]
    return [
        _figures("Fulfilment", {
            "shipments": r["shipments"], "cancelled": r["cancelled"], "units": r["units"],
            "split orders": split["split"], "shipments per order": split["shipments_per_order"],
            "cycle time, mean hours": cycle["mean_hours"],
            "cycle time, p90 hours": cycle["p90_hours"], "orders measured": cycle["orders"],
        }),
        _table("Carriers", ("carrier", "service", "shipments", "cost", "mean cost", "on time",
                            "delivered", "transit days"),
               ((c["carrier"], c["service"], c["shipments"], c["shipping_cost"], c["mean_cost"],
                 c["on_time"], c["delivered"], c["mean_transit_days"]) for c in r["carriers"])),
        _table("Locations", ("location", "shipments", "units"),
               ((x["location_code"], x["shipments"], x["units"]) for x in r["locations"])),
    ]  # fmt: skip


def _operations(r: dict[str, Any]) -> list[Table]:
    cycle, defects, accuracy = r["cycle_time"], r["order_defects"], r["order_accuracy"]
    return [
        _figures(f"Operational KPIs (lateness as of {r['as_of']})", {
            "cycle time, mean hours": cycle["mean_hours"],
            "cycle time, p90 hours": cycle["p90_hours"],
            "late shipments": r["late_shipments"],
            "order defect rate": defects["defective"],
            "  with a cancelled shipment": defects["cancelled_shipment"],
            "  with a late shipment": defects["late_shipment"],
            "  with a defect return": defects["defect_return"],
            "order accuracy": {"count": accuracy["shipped"] - accuracy["wrong_item"],
                               "of": accuracy["shipped"], "rate": accuracy["rate"]},
            "  orders shipped": accuracy["shipped"],
            "  wrong item returned": accuracy["wrong_item"],
        }),
    ]  # fmt: skip


def _customers(r: dict[str, Any]) -> list[Table]:
    top = [(currency, c["customer_id"], c["orders"], c["revenue"])
           for currency, rows in r["top_customers"].items() for c in rows]  # fmt: skip
    return [
        _figures("Customers", {
            key: r[key] for key in ("customers", "new", "returning", "orders",
                                    "orders_per_customer", "repeat")
        }),
        _table("Top customers", ("currency", "customer", "orders", "revenue"), top),
        _table("Orders by weekday (UTC)", ("weekday", "orders"), r["by_weekday"].items()),
        _table("Orders by hour (UTC)", ("hour", "orders"), enumerate(r["by_hour"])),
    ]  # fmt: skip


def _inventory(r: dict[str, Any]) -> list[Table]:
    return [
        _figures(f"Inventory (stock as of {r['as_of']})", {
            key: r[key] for key in ("on_hand", "reserved", "available", "units_shipped",
                                    "turnover")
        }),
        _table("Locations", ("location", "skus", "on hand", "reserved", "available"),
               ((x["location_code"], x["skus"], x["on_hand"], x["reserved"], x["available"])
                for x in r["locations"])),
        _table("SKUs shipped most", ("sku", "shipped", "on hand", "available", "days of cover",
                                     "turnover"),
               ((s["sku"], s["units_shipped"], s["on_hand"], s["available"], s["days_of_cover"],
                 s["turnover"]) for s in r["skus"])),
        _table("At or below the reorder point", ("sku", "location", "position", "point", "buy"),
               ((x["sku"], x["location_code"], x["position"], x["reorder_point"],
                 x["suggested_quantity"]) for x in r["replenishment"])),
    ]  # fmt: skip


_TABLES: dict[str, Callable[[dict[str, Any]], list[Table]]] = {
    "sales": _sales,
    "fulfilment": _fulfilment,
    "operations": _operations,
    "customers": _customers,
    "inventory": _inventory,
}


@report_app.command("sales")
def sales(ctx: typer.Context, first: From = None, last: To = None, as_json: AsJson = False) -> None:
    """Orders, units and revenue per currency; per day, per channel; the top SKUs."""
    _run(ctx, first, last, as_json, "sales")


@report_app.command("fulfilment")
def fulfilment(
    ctx: typer.Context, first: From = None, last: To = None, as_json: AsJson = False
) -> None:
    """Shipments per carrier and location, split rate, fulfilment cycle time."""
    _run(ctx, first, last, as_json, "fulfilment")


@report_app.command("operations")
def operations(
    ctx: typer.Context, first: From = None, last: To = None, as_json: AsJson = False
) -> None:
    """Cycle time, late shipment rate, order defect rate, order accuracy."""
    _run(ctx, first, last, as_json, "operations")


@report_app.command("customers")
def customers(
    ctx: typer.Context, first: From = None, last: To = None, as_json: AsJson = False
) -> None:
    """New and returning customers, repeat rate, top customers, when they order."""
    _run(ctx, first, last, as_json, "customers")


@report_app.command("inventory")
def inventory(
    ctx: typer.Context, first: From = None, last: To = None, as_json: AsJson = False
) -> None:
    """Stock now per location, days of cover and turnover, what to reorder."""
    _run(ctx, first, last, as_json, "inventory")
