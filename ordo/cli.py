"""The `ordo` command line: one entry point for serving, workers, the console, rules and demo data.

Commands load the settings only when they run (so `ordo --help` works with a broken
configuration), build what they need through `ordo.bootstrap`, and report expected failures as
one red line through `OrdoGroup` (see `ordo.failures`). The `keys` and `rules` groups live in
`ordo.cli_keys` and `ordo.cli_rules`.
"""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from ordo import demo, serving
from ordo.admin_key import ensure_admin_key, register_configured_key
from ordo.bootstrap import build_app_container, ensure_data_directory
from ordo.cli_channels import channels_app
from ordo.cli_customers import customers_app
from ordo.cli_data import db_decrypt, db_encrypt
from ordo.cli_erp import erp_app
from ordo.cli_keys import keys_app
from ordo.cli_reports import report_app
from ordo.cli_rules import rules_app
from ordo.cli_support import (
    CliState,
    NoPackagingOption,
    PackagingOption,
    check_packaging_flags,
    day_option,
    load,
    out,
    packaging_file,
    settings_file,
)
from ordo.cli_wms import wms_app
from ordo.failures import CommandError, describe_failure
from ordo.settings import Settings, setting_sources, shown_value


class OrdoGroup(TyperGroup):
    """Runs every subcommand inside one guard that turns expected failures into one line."""

    # `ctx` is typer's vendored click Context; `Any` keeps the override compatible with it.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            failure = describe_failure(error)
            if failure is None:
                raise
            message, code = failure
            # No emoji either: Rich turns ":x:" in a quoted line of someone's file into a cross.
            Console(stderr=True, emoji=False).print(
                f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False
            )
            raise typer.Exit(code) from None


app = typer.Typer(
    name="ordo",
    cls=OrdoGroup,
    help="Ordo: rules-driven distributed order management.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals can hold secrets and database URLs
    add_completion=False,
)
db_app = typer.Typer(help="Database schema, and what it stores encrypted.", no_args_is_help=True)
app.add_typer(db_app, name="db")
db_app.command("encrypt")(db_encrypt)
db_app.command("decrypt")(db_decrypt)
app.add_typer(rules_app, name="rules")
app.add_typer(keys_app, name="keys")
app.add_typer(channels_app, name="channels")
app.add_typer(customers_app, name="customers")
app.add_typer(report_app, name="report")
app.add_typer(wms_app, name="wms")
app.add_typer(erp_app, name="erp")


SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        help="A .env or YAML settings file (default: $ORDO_SETTINGS_FILE).",
        show_default=False,
    ),
]


@app.callback()
def _root(ctx: typer.Context, settings_file: SettingsOption = None) -> None:
    ctx.obj = CliState(settings_file=settings_file)


# Short names kept for the commands below (and for the owners who added some of them).
_settings = load
_settings_file = settings_file
_out = out


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the database schema to the newest version."""
    settings = _settings(ctx)
    serving.migrate(settings)
    _out().print(f"[green]database is up to date[/] ({escape(_shown_url(settings))})")


@app.command("settings")
def show_settings(ctx: typer.Context) -> None:
    """Show the effective settings and where each comes from (secrets are never shown)."""
    settings = _settings(ctx)
    sources = setting_sources(_settings_file(ctx))
    # Plain lines, not a table: long URLs must not be cut at the terminal's width. The
    # values line up one space after the longest name, whatever settings are added.
    width = max(len(f"ORDO_{name}") for name in Settings.model_fields)
    for name in Settings.model_fields:
        variable = f"ORDO_{name.upper()}"
        typer.echo(f"{variable:<{width}} {shown_value(settings, name)}  [{sources[name]}]")


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    live: Annotated[
        bool,
        typer.Option(
            "--live/--no-live",
            help="Also publish the shipped rulesets and decide fresh orders through the pipeline.",
        ),
    ] = True,
) -> None:
    """Migrate and load the demo data set (locations, products, stock, customers, orders).

    Safe to run again: what is already there is left alone.
    """
    settings = _settings(ctx)
    serving.migrate(settings)
    with build_app_container(settings) as container:
        summary = demo.seed_demo(container.uow_factory, live=live)
        issued = ensure_admin_key(container)
    _print_summary(summary)
    _print_issued_key(issued, settings)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[str | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        str | None,
        typer.Option(help="API processes on the port, one per core to use (ORDO_API_WORKERS)."),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI page at /docs)."""
    settings = _settings(ctx, api_host=host, api_port=port, api_workers=workers)
    port_name = "ORDO_API_PORT" if port is None else "--port"
    host_name = "ORDO_API_HOST" if host is None else "--host"
    # Before the bootstrap key is registered: a refused start leaves the database as it was.
    serving.ensure_port_free(settings.api_host, settings.api_port, port_name, host_name)
    serving.ensure_secret_for_host(settings, host_name)
    with build_app_container(settings) as container:
        register_configured_key(container)
        serving.serve_api(container, _settings_file(ctx), port_name=port_name, host_name=host_name)


@app.command("up")
def up(ctx: typer.Context) -> None:
    """Migrate, seed the demo into an empty database, then run the API, a worker and the
    console.

    This is what `make run` calls. Ctrl-C stops everything.
    """
    settings = _settings(ctx)
    # Fail before migrating and seeding, not a minute later, when a port is taken, the host
    # is public on the development secret or the console's files are missing.
    serving.ensure_port_free(settings.api_host, settings.api_port, "ORDO_API_PORT")
    serving.ensure_port_free(settings.api_host, settings.console_port, "ORDO_CONSOLE_PORT")
    serving.ensure_secret_for_host(settings)
    console_script = serving.console_script()
    serving.migrate(settings)
    say = _out()
    with build_app_container(settings) as container:
        if demo.database_is_empty(container.uow_factory):
            say.print("empty database: loading the demo data")
            _print_summary(demo.seed_demo(container.uow_factory, live=True))
        _import_demo_history(settings)
        issued = ensure_admin_key(container)
        _print_issued_key(issued, settings)
        children: list[subprocess.Popen[bytes]] = []
        try:
            children.append(serving.start_worker(_settings_file(ctx)))
            say.print("worker started (outbox relay, alerts, notifications)")
            children.append(serving.start_console(settings, console_script))
            say.print(f"console on http://{settings.api_host}:{settings.console_port}")
            # The key is shown only when issued; later starts must say where it came from.
            say.print(
                "sign in to the console with the admin API key "
                + ("above" if issued else "printed when this database was first set up")
                + " (or the one in ORDO_BOOTSTRAP_ADMIN_KEY)"
            )
            say.print(f"API on {settings.api_url} (OpenAPI page at {settings.api_url}/docs)")
            serving.serve_api(container)
        finally:
            for child in reversed(children):
                serving.stop_process(child)


@app.command("console")
def console(ctx: typer.Context) -> None:
    """Run the Streamlit admin console against the API at ORDO_API_URL."""
    settings = _settings(ctx)
    process = serving.start_console(settings, serving.console_script())
    try:
        process.wait()
    finally:
        serving.stop_process(process)


@app.command("worker")
def worker(
    ctx: typer.Context,
    # Each consumer is a thread holding a database connection: past a few dozen, run more
    # worker processes instead (a typo of 100000 took minutes to start and stop).
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Consumers in this process (threads).")
    ] = 1,
    name: Annotated[str, typer.Option(help="Consumer name (default host-pid).")] = "",
) -> None:
    """Publish the outbox and run event handlers, alerts and notifications until SIGTERM."""
    from engine.stop_signals import stop_on_signals
    from engine.worker import run_workers
    from ordo.bootstrap import build_workers

    # Already noting stops since the `ordo` script started (`ordo.entry`); this is the same
    # event, or the first when the command was invoked some other way (tests).
    stop_asked = stop_on_signals()
    settings = _settings(ctx)
    with build_app_container(settings) as container:
        workers = build_workers(container, name=name, concurrency=concurrency)
        # A long-running process too (it decides orders on Redis), so it warms up like the API.
        run_workers(workers, prepare=container.warm_up, stop_asked=stop_asked)


preorders_app = typer.Typer(help="Pre-orders waiting for their release date.", no_args_is_help=True)
app.add_typer(preorders_app, name="preorders")


@preorders_app.command("release")
def preorders_release(
    ctx: typer.Context,
    today: Annotated[
        date | None,
        typer.Option(
            "--today",
            parser=day_option,
            metavar="YYYY-MM-DD",
            help="Release what is out by this date (YYYY-MM-DD), not after today.",
            show_default="today",
        ),
    ] = None,
) -> None:
    """Source the pre-orders whose product is out (the worker also does this every hour).

    A wholly pre-ordered order is decided again; a pre-order line of an order already on its
    way is sourced on its own. Running it twice releases nothing twice."""
    from engine.domain.commands import ReleaseDuePreorders

    settings = _settings(ctx)
    with build_app_container(settings) as container:
        done = container.bus.handle(ReleaseDuePreorders(today))
    say = _out()
    say.print(f"pre-orders out by {done.today.isoformat()}: {done.count} released")
    for order_id in done.released:
        say.print(f"  {order_id}: decided again, now {done.statuses.get(order_id, '?')}")
    for order_id in done.resourced:
        say.print(f"  {order_id}: pre-order lines sourced")


@app.command("simulate")
def simulate(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="A data set name (from 'ordo import') or path.")],
    rulesets: Annotated[
        list[Path] | None,
        typer.Option(
            "--rulesets",
            help="Baseline ruleset files or directories (default: the shipped rulesets/).",
        ),
    ] = None,
    draft: Annotated[
        list[Path] | None,
        typer.Option(
            "--draft",
            help="Draft ruleset file replacing its namesake; run as variant 'draft' and compared.",
        ),
    ] = None,
    variant: Annotated[
        list[str] | None, typer.Option("--variant", help="Another what-if: NAME=FILE[,FILE].")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Results directory (default: <data_dir>/simulations/<dataset>)."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Replay only the first N orders.")
    ] = None,
    date_from: Annotated[
        date | None,
        typer.Option(
            "--from",
            parser=day_option,
            metavar="YYYY-MM-DD",
            help="Record only orders created on or after this date (YYYY-MM-DD).",
        ),
    ] = None,
    date_to: Annotated[
        date | None,
        typer.Option(
            "--to",
            parser=day_option,
            metavar="YYYY-MM-DD",
            help="Record only orders created on or before this date (YYYY-MM-DD).",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Processes for the variants (0: run here).")
    ] = 2,
    optimiser: Annotated[
        str | None,
        typer.Option("--optimiser", help="greedy, exact or auto (default: the setting)."),
    ] = None,
    packaging: PackagingOption = None,
    no_packaging: NoPackagingOption = False,
) -> None:
    """Replay historical orders through rulesets and report what would have happened."""
    from engine.simulation import commands
    from engine.simulation.errors import SimulationError

    check_packaging_flags(packaging, no_packaging)
    settings = _settings(ctx, optimiser=optimiser)
    # As production packs: the deployment's box catalogue unless a flag says otherwise.
    boxes, named = packaging_file(packaging, no_packaging, lambda: settings)
    if out is None:  # the results go under the data dir; they hold personal data
        ensure_data_directory(settings.data_dir)
    try:
        path = commands.resolve_dataset(settings.data_dir, dataset)
        commands.simulate_command(
            _out(),
            path,
            out or settings.data_dir / "simulations" / path.name,
            rulesets=rulesets or [],
            drafts=draft or [],
            variants=variant or [],
            limit=limit,
            workers=workers,
            optimiser=settings.optimiser,
            date_from=date_from,
            date_to=date_to,
            packaging=boxes,
            packaging_named=named,
        )
    except SimulationError as error:
        raise CommandError(str(error)) from None


@app.command("import")
def import_history(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the data set to create, e.g. q3-2025.")],
    orders: Annotated[
        Path | None, typer.Option("--orders", help="Order lines: CSV, JSON Lines or Parquet.")
    ] = None,
    locations: Annotated[Path | None, typer.Option("--locations", help="Locations file.")] = None,
    stock: Annotated[Path | None, typer.Option("--stock", help="Starting stock snapshot.")] = None,
    receipts: Annotated[
        Path | None, typer.Option("--receipts", help="Inbound receipts with dates.")
    ] = None,
    products: Annotated[Path | None, typer.Option("--products", help="Product master.")] = None,
    customers: Annotated[
        Path | None, typer.Option("--customers", help="Customers with ship-to postal codes.")
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="YAML mapping of a foreign export's columns and codes."),
    ] = None,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going", help="Skip bad rows (listed in errors.csv) instead of stopping."
        ),
    ] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a data set of the same name.")
    ] = False,
) -> None:
    """Import historical orders (and locations, stock, receipts) for simulation."""
    from engine.simulation import commands
    from engine.simulation.errors import SimulationError

    settings = _settings(ctx)
    files = {
        "orders": orders,
        "locations": locations,
        "stock": stock,
        "receipts": receipts,
        "products": products,
        "customers": customers,
    }
    ensure_data_directory(settings.data_dir)  # data sets hold personal data: Ordo's user only
    try:
        commands.import_command(
            _out(), settings.data_dir, name, files, mapping, keep_going=keep_going, replace=replace
        )
    except SimulationError as error:
        raise CommandError(str(error)) from None


DEMO_HISTORY = "acme-july"


def _import_demo_history(settings: Settings) -> None:
    """The worked example's order history (docs/examples/simulation) as data set 'acme-july',
    so the console's Simulation page has a history to replay without a terminal. Skipped when
    it is there already, or when this is not a checkout with the example."""
    from engine.simulation import commands
    from engine.simulation.errors import SimulationError

    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "simulation"
    target = commands.datasets_dir(settings.data_dir) / DEMO_HISTORY
    if not (example / "mapping.yaml").is_file() or (target / "manifest.json").is_file():
        return
    ensure_data_directory(settings.data_dir)  # data sets hold personal data: Ordo's user only
    quiet = Console(file=io.StringIO())
    try:
        report = commands.import_command(
            quiet, settings.data_dir, DEMO_HISTORY, {}, example / "mapping.yaml", keep_going=True
        )
    except SimulationError as error:
        _out().print(f"[yellow]demo history not imported: {escape(str(error))}[/]")
        return
    _out().print(
        f"demo history for the console's Simulation page: {DEMO_HISTORY} "
        f"({report.counts.get('orders', 0):,} orders)"
    )


def _print_summary(summary: demo.DemoSummary) -> None:
    table = Table(title="Demo data", show_edge=False)
    table.add_column("entity")
    table.add_column("added", justify="right")
    table.add_column("already there", justify="right")
    for name, (added, existing) in summary.counts().items():
        table.add_row(name, str(added), str(existing))
    _out().print(table)


def _print_issued_key(plaintext: str | None, settings: Settings) -> None:
    if plaintext is None:
        return
    out = _out()
    out.print("[bold]admin API key[/] (shown once, never stored; keep it):")
    out.print(plaintext, soft_wrap=True)
    out.print(
        f"try: curl -H 'X-API-Key: {plaintext}' {settings.api_url}/v1/locations", soft_wrap=True
    )


def _shown_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def main() -> None:
    """The command line, once `ordo.entry` (the console script) has done what must come first."""
    app(prog_name="ordo")
