"""The composition root: the one place that turns settings into live objects and wires them.

Nothing here runs at import time. `build_app_container(settings)` creates the database engine,
the session and unit-of-work factories, the order pipeline and the event bus, and hands back a
`Container` that the CLI, the API (`api.app.create_app(container)`), the worker and the tests
pass around instead of reaching for globals; the parts it holds are listed on `Container`.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters.database import make_engine
from engine.adapters.field_crypto import FieldCipher, parse_data_keys
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.service_layer.unit_of_work import UnitOfWork
from ordo.settings import Settings, SettingsError

if TYPE_CHECKING:
    from connectors.base import Ticketing, WarehouseSystem
    from connectors.channels.base import WebhookChannel
    from connectors.erp import HttpSync
    from engine.adapters.bus.base import EventBus
    from engine.adapters.rate_limits import RateLimits
    from engine.domain.packaging import BoxCatalog
    from engine.pipeline.carriers import CarrierCatalog
    from engine.pipeline.decide import Decider
    from engine.rules.registry import RulesetRegistry
    from engine.service_layer.handlers import PipelineOptions
    from engine.service_layer.labels import CarrierLookup
    from engine.service_layer.messagebus import MessageBus

log = logging.getLogger(__name__)


class UowFactory(Protocol):
    """Makes a fresh unit of work for one business transaction."""

    def __call__(self) -> UnitOfWork: ...


# A request allocates tens of thousands of short-lived objects, nearly all freed by reference
# counting; at the default 700 allocations per young collection, collections ran dozens of
# times per order for the few cycles there are. Yet the threshold also sets each collection's
# pause: every order leaves about sixty objects in cycles (SQLAlchemy's session, its
# transaction and connection, their event dispatchers, ...), which only a collection frees,
# and a young collection pauses the process for as long as it takes to find them. At 50,000
# one came every ~800 orders and paused for 80-90 ms, an order's p99 by itself; at 5,000 one
# comes every ~70 orders and pauses for about 5 ms (9 at most), and the collector's total
# time is no higher.
SERVER_GC_THRESHOLDS = (5_000, 20, 50)


@dataclass
class Container:
    """Everything a running Ordo process shares, built once from the settings."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    uow_factory: UowFactory
    rulesets: RulesetRegistry  # published, compiled rulesets (compiled on first use)
    decider: Decider  # pure sourcing/carrier decisions
    bus: MessageBus  # dispatches commands and events to the service layer's handlers
    event_bus: EventBus  # in-process, or Redis Streams when configured
    # The carrier connector of a carrier code (labels, voids, tracking webhooks): the same
    # lookup the command bus prints labels through.
    carriers: CarrierLookup
    # Sales channels that post orders by webhook, by connector name (ORDO_CHANNEL_CONNECTORS).
    channels: dict[str, WebhookChannel] = field(default_factory=dict)
    # The warehouse system (WMS) of each location code, `*` for every other (ORDO_WMS).
    warehouses: dict[str, WarehouseSystem] = field(default_factory=dict)
    # The ERP or CRM kept in step (ORDO_ERP_SYNC_URL); None when off.
    erp: HttpSync | None = None
    # The helpdesk tickets are opened in (ORDO_TICKETING); None when tickets are off.
    ticketing: Ticketing | None = None
    # Encrypts personal data at rest (ORDO_DATA_KEYS); None when encryption is off.
    data_cipher: FieldCipher | None = None
    # The API's rate limits and failed sign-in lockouts; None when both are off.
    rate_limits: RateLimits | None = None

    @property
    def carrier_names(self) -> dict[str, str]:
        """Each carrier code's name, from the rate cards: an 856 names its carrier so."""
        return {card.code: card.name for card in self.decider.carriers.cards}

    @property
    def packaging(self) -> BoxCatalog | None:
        """The box catalogue decisions pack with (ORDO_PACKAGING_FILE); None when off."""
        return self.decider.packaging

    def close(self) -> None:
        """Return pooled connections; safe to call twice."""
        self.engine.dispose()

    def warm_up(self) -> None:
        """Ready a long-running server process (`ordo serve`) before its first order: build
        the postal-code index now, then leave everything loaded so far to `gc.freeze` and
        collect the young generation less often. Those objects live as long as the process,
        and each full collection walked them again (about half a million, most of them the
        postal table): in the HTTP benchmark that was a tenth of an order's server CPU and
        most of its p99. Not for tests or short commands, where the freeze would keep what
        they throw away."""
        from engine.adapters.geo import load_postal_index

        load_postal_index()
        gc.collect()
        gc.freeze()
        gc.set_threshold(*SERVER_GC_THRESHOLDS)

    def __enter__(self) -> Container:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build_app_container(settings: Settings) -> Container:
    """Build the engine and factories for `settings`; opens no connection until first use."""
    channels = build_channels(settings)  # first: a bad entry stops start-up before any I/O
    warehouses, erp = build_warehouses(settings), build_erp_sync(settings)
    ticketing = build_ticketing(settings)
    ensure_sqlite_directory(settings.database_url)
    engine = make_engine(settings.database_url)
    data_cipher = build_data_cipher(settings)
    session_factory = make_session_factory(engine, data_cipher)

    def uow_factory() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(session_factory)

    from engine.pipeline.carriers import load_catalog

    catalog = load_catalog()
    carriers = build_carriers(settings, catalog)
    rulesets, decider, bus = build_pipeline(settings, uow_factory, catalog, carriers)
    event_bus = build_event_bus(settings, engine, data_cipher)
    container = Container(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        uow_factory=uow_factory,
        rulesets=rulesets,
        decider=decider,
        bus=bus,
        event_bus=event_bus,
        channels=channels,
        warehouses=warehouses,
        erp=erp,
        ticketing=ticketing,
        data_cipher=data_cipher,
        rate_limits=build_rate_limits(settings, event_bus),
        carriers=carriers,
    )
    log.debug("container built for %s", engine.url.render_as_string(hide_password=True))
    return container


def build_rate_limits(
    settings: Settings, event_bus: EventBus, clock: Callable[[], float] = time.monotonic
) -> RateLimits | None:
    """ORDO_RATE_LIMITS and the failed sign-in lockout (None when both are off), timed by
    `clock` (seconds). Failed sign-ins are counted in Redis when the event bus is Redis
    Streams, through its client (which connects on first use), so every API process and
    host counts together; so are the budgets of ORDO_RATE_LIMITS, through a client of
    their own with short time-outs (also unconnected here): every request waits on it."""
    from engine.adapters.rate_limits import (
        Budgets,
        MemoryBudgets,
        MemorySignInGuard,
        RateLimits,
        RedisBudgets,
        RedisSignInGuard,
        SignInGuard,
        budgets_client,
    )

    rates = settings.role_rate_limits
    limit, lockout = settings.failed_sign_in_rate, settings.failed_sign_in_lockout_seconds
    guard: SignInGuard | None = None
    if limit is not None and settings.redis_url:
        from engine.adapters.bus.redis_streams import RedisStreamsBus

        client = cast(RedisStreamsBus, event_bus).client
        guard = RedisSignInGuard(client, limit, lockout, clock=clock)
    elif limit is not None:
        guard = MemorySignInGuard(limit, lockout, clock=clock)
    if guard is None and not any(rates.values()):
        return None
    budgets: Budgets = MemoryBudgets(clock)
    if settings.redis_url and any(rates.values()):
        budgets = RedisBudgets(budgets_client(settings.redis_url), clock=clock)
    return RateLimits(rates, guard, budgets)


def build_data_cipher(settings: Settings) -> FieldCipher | None:
    """The cipher of personal data at rest, or None when ORDO_DATA_KEYS is unset (the
    settings have checked the keys already)."""
    if settings.data_keys is None:
        return None
    return FieldCipher(parse_data_keys(settings.data_keys.get_secret_value()))


def build_channels(settings: Settings) -> dict[str, WebhookChannel]:
    """The sales channels of ORDO_CHANNEL_CONNECTORS, each entry checked by its connector: a
    bad one is a SettingsError naming the entry and the field (docs/channels.md)."""
    from connectors import channels

    try:
        return channels.build_channels(settings.channel_connectors)
    except channels.ChannelSettingsError as error:
        raise SettingsError(f"ORDO_CHANNEL_CONNECTORS: {error}") from None


def build_ticketing(settings: Settings) -> Ticketing | None:
    """The helpdesk of ORDO_TICKETING (None when unset), its ORDO_ZENDESK_* options checked
    by the connector: a bad one is a SettingsError naming the variable, never its value."""
    if settings.ticketing is None:
        return None
    from connectors import ticketing

    options = {
        "url": settings.zendesk_url, "email": settings.zendesk_email,
        "token": settings.zendesk_token, "group_id": settings.zendesk_group_id,
        "tags": settings.zendesk_tags, "timeout_seconds": settings.zendesk_timeout_seconds,
        "webhook_secret": settings.zendesk_webhook_secret,
        "acknowledged_status": settings.zendesk_acknowledged_status,
        "status_labels": settings.zendesk_status_labels,
    }  # fmt: skip
    try:
        return ticketing.build_ticketing(
            settings.ticketing, {key: value for key, value in options.items() if value is not None}
        )
    except ticketing.TicketingSettingsError as error:
        name = f"ORDO_{settings.ticketing}_{error.field}".upper() if error.field else ""
        when = f" when ORDO_TICKETING is {settings.ticketing}" if error.missing else ""
        raise SettingsError(f"{name or 'ORDO_TICKETING'}: {error.reason}{when}") from None


def build_warehouses(settings: Settings) -> dict[str, WarehouseSystem]:
    """The warehouse systems of ORDO_WMS by the location codes they serve, each entry checked
    by its connector: a bad one is a SettingsError naming the entry and the field."""
    if not settings.wms:
        return {}
    from connectors import warehouse

    try:
        return warehouse.build_warehouses(settings.wms)
    except warehouse.WarehouseSettingsError as error:
        raise SettingsError(f"ORDO_WMS: {error}") from None


def build_erp_sync(settings: Settings) -> HttpSync | None:
    """The ERP/CRM of ORDO_ERP_SYNC_URL (None when unset), its ORDO_ERP_SYNC_* settings checked
    by the connector: a bad one is a SettingsError naming the variable, never its value."""
    if settings.erp_sync_url is None:
        return None
    from connectors import erp

    options = {
        "url": settings.erp_sync_url, "secret": settings.erp_sync_secret,
        "entities": settings.erp_sync_entity_names,
        "timeout_seconds": settings.erp_sync_timeout_seconds,
    }  # fmt: skip
    given = {key: value for key, value in options.items() if value is not None}
    try:
        return erp.build_erp_sync(given)
    except erp.ErpSettingsError as error:
        raise SettingsError(f"ORDO_ERP_SYNC_{error.field.upper()}: {error.message}") from None


def build_carriers(settings: Settings, catalog: CarrierCatalog) -> CarrierLookup:
    """The carrier connector of each carrier code: the API connector of ORDO_CARRIER_APIS
    for a code it configures (EasyPost buys the labels), else the rate-card connector of the
    code's card in `catalog` (`connectors.carriers.ratecard`, no second read of the YAML
    files). The Decider prices and chooses from the rate cards either way, so a configured
    code that no card has is a SettingsError, as is an entry its connector refuses."""
    from connectors.carriers.ratecard import RateCardCarriers

    rate_cards = RateCardCarriers(catalog)
    if not settings.carrier_apis:
        return rate_cards
    from connectors import carriers

    codes = {card.code for card in catalog.cards}
    for code in settings.carrier_apis:
        if code not in codes:
            known = ", ".join(sorted(codes)) or "none"
            raise SettingsError(
                f"ORDO_CARRIER_APIS: {code}: no rate card has this carrier code (known: "
                f"{known}); the Decider chooses carriers from the rate cards, so an API "
                "connector serves a card's code"
            )
    try:
        apis = carriers.build_carrier_apis(settings.carrier_apis)
    except carriers.CarrierSettingsError as error:
        raise SettingsError(f"ORDO_CARRIER_APIS: {error}") from None
    return lambda code: apis.get(code) or rate_cards(code)


def build_pipeline(
    settings: Settings, uows: UowFactory, catalog: CarrierCatalog, carriers: CarrierLookup
) -> tuple[RulesetRegistry, Decider, MessageBus]:
    """The order pipeline: published rulesets (compiled on first use, the shipped ones until
    something is published), the pure Decider, and the command bus the API and the CLI use.
    With Redis, `order.received` is left to the workers instead of being run in-process."""
    from engine.pipeline.decide import Decider, DeciderSettings
    from engine.rules.registry import RulesetRegistry, published_loader
    from engine.service_layer.messagebus import build_bus

    rulesets = RulesetRegistry(loader=published_loader(uows))
    decider = Decider(
        rulesets,
        catalog,
        DeciderSettings(optimiser=settings.optimiser),
        packaging=build_packaging(settings),
    )
    bus = build_bus(
        uows,
        decider,
        options=pipeline_options(settings),
        process_in_process=not settings.redis_url,
        carriers=carriers,
    )
    return rulesets, decider, bus


def build_packaging(settings: Settings) -> BoxCatalog | None:
    """The box catalogue of ORDO_PACKAGING_FILE (None when unset: packaging off), read and
    checked now, so a bad box stops start-up as a bad rate card does, naming the setting,
    the file and the field."""
    if settings.packaging_file is None:
        return None
    from engine.domain.packaging import PackagingError
    from engine.pipeline.packing import load_packaging

    try:
        return load_packaging(settings.packaging_file)
    except PackagingError as error:
        raise SettingsError(f"ORDO_PACKAGING_FILE: {error}") from None


def pipeline_options(settings: Settings) -> PipelineOptions:
    """How decisions are applied: the same options in the API's bus and the workers'."""
    from datetime import timedelta

    from engine.service_layer.handlers import PipelineOptions

    minutes = settings.reservation_ttl_minutes
    return PipelineOptions(
        auto_release=settings.auto_release,
        reservation_ttl=timedelta(minutes=minutes) if minutes is not None else None,
        # Each entry's `channel` was checked at start-up (`build_channels`): its connector's.
        early_cancellation_channels=frozenset(
            str(entry.get("channel")) for entry in settings.channel_connectors.values()
        ),
    )


def build_event_bus(
    settings: Settings, engine: Engine, data_cipher: FieldCipher | None = None
) -> EventBus:
    """In-process by default; Redis Streams when ORDO_REDIS_URL is set (workers on many hosts).
    The Redis client connects on first use, not here. The in-process bus keeps its dead
    letters in the database, where the API's process sees what a worker's parked (sealed
    with `data_cipher`, when ORDO_DATA_KEYS is set)."""
    if settings.redis_url:
        import redis

        from engine.adapters.bus.redis_streams import RedisStreamsBus

        return RedisStreamsBus(redis.Redis.from_url(settings.redis_url))
    from engine.adapters.bus import InProcessBus
    from engine.adapters.bus.dead_letters_sql import SqlDeadLetterStore

    # 1, 2, 4 and 8 s between the five deliveries: a mail server or webhook that is down for a
    # few seconds does not use them all up at once (Redis waits its 10 s idle timeout).
    return InProcessBus(retry_seconds=1.0, dead_letters=SqlDeadLetterStore(engine, data_cipher))


def build_workers(container: Container, *, name: str = "", concurrency: int = 1) -> list[Any]:
    """`ordo worker`: outbox relay, the pipeline's asynchronous steps (when Redis carries them),
    alert rules, notifications, the lateness clock and the tracking poll, as `concurrency`
    consumers."""
    from datetime import timedelta

    from connectors.notifications.email import SmtpEmail
    from engine import worker as w
    from engine.adapters.alert_retention import SqlAlertPurge
    from engine.adapters.alert_storms import untold_repeats
    from engine.adapters.bus.outbox_sql import SqlOutboxStore
    from engine.adapters.orm_api import SqlIdempotencyStore
    from engine.adapters.shipment_queries import LatenessFlags, open_past_promise
    from engine.adapters.silent_shipments import claim_for_poll, release_poll, silent_with_carrier
    from engine.service_layer import alerts, notifications
    from engine.service_layer.carrier_polls import CarrierPoller
    from engine.service_layer.channel_cancellations import EarlyCancellationKeeper
    from engine.service_layer.inventory import ReservationExpirer
    from engine.service_layer.outbox import OutboxRelay
    from engine.service_layer.preorders import PreorderReleaser
    from engine.service_layer.rulesets_service import RegistryRefresher
    from engine.service_layer.tickets import StormEndNoter

    settings, uows = container.settings, container.uow_factory
    # Load now: a handler reads the rulesets inside the worker's open transaction, where a
    # lazy load's own read would wait on that transaction's SQLite write lock.
    container.rulesets.ensure_loaded()
    email = None
    if settings.smtp_host:
        email = SmtpEmail({
            "host": settings.smtp_host, "port": settings.smtp_port,
            "sender": settings.smtp_sender, "username": settings.smtp_username,
            "password": settings.smtp_password, "starttls": settings.smtp_starttls,
        })  # fmt: skip
    if settings.redis_url:
        from engine.adapters.bus.redis_streams import RedisStreamsBus
        from engine.adapters.windows_redis import RedisWindowStore

        # `build_event_bus` made a Redis Streams bus for this URL; the windows share its client.
        windows: Any = RedisWindowStore(cast(RedisStreamsBus, container.event_bus).client)
    else:
        from dsl.windows import InMemoryWindowStore

        windows = alerts.DedupingWindowStore(InMemoryWindowStore())
    shipped = alerts.shipped_alert_programs(Path(__file__).resolve().parents[1] / "rulesets")
    observers: list[Any] = [
        alerts.AlertEvaluator(alerts.registry_programs(container.rulesets, shipped), windows),
        alerts.AlertRecorder(timedelta(minutes=settings.alert_repeat_window_minutes)),
        notifications.AlertNotifier(email),
    ]
    if email is not None:
        observers.append(notifications.CustomerNotifier(email))
    if settings.webhook_url and settings.webhook_secret:
        from connectors.notifications.webhook import WebhookSink

        sink = WebhookSink({"url": settings.webhook_url, "secret": settings.webhook_secret,
                            "timeout_seconds": settings.webhook_timeout_seconds})  # fmt: skip
        observers.append(notifications.WebhookNotifier(
            sink, settings.webhook_event_names, settings.webhook_min_severity))  # fmt: skip
    if container.ticketing is not None:
        from engine.service_layer.tickets import (
            TicketAcknowledger,
            TicketCloser,
            TicketOpener,
            TicketRepeatNoter,
        )

        observers.append(TicketOpener(
            container.ticketing, settings.ticket_min_severity, settings.api_url))  # fmt: skip
        observers.append(TicketAcknowledger(container.ticketing))
        observers.append(TicketRepeatNoter(container.ticketing))
        observers.append(TicketCloser(container.ticketing))
    if container.warehouses:  # released shipments to their location's WMS
        from engine.service_layer.warehouse import (
            ReleaseAttempts,
            WarehouseReleaser,
            WarehouseUpdater,
        )
        from engine.service_layer.wms_transfers import (
            InboundTransferNotifier,
            InboundTransferUpdater,
            TransferAttempts,
            TransferReleaser,
        )

        # The attempt first, in a step of its own: kept whatever the release's call comes to.
        observers.append(ReleaseAttempts(container.warehouses))
        observers.append(WarehouseReleaser(container.warehouses))
        observers.append(WarehouseUpdater(container.warehouses))  # what changes after
        # Transfers out of a WMS's locations (ship to store, by hand), for it to pick and ship;
        # the attempt first here too.
        observers.append(TransferAttempts(container.warehouses))
        observers.append(TransferReleaser(container.warehouses))
        # Transfers into a WMS's locations, once shipped, for its dock to expect.
        observers.append(InboundTransferNotifier(container.warehouses))
        # ... and their arrival day again, when it is revised after that.
        observers.append(InboundTransferUpdater(container.warehouses))
    if container.erp is not None:  # orders, customers, returns and stock to the ERP/CRM
        from engine.service_layer.erp_sync import ErpSync

        observers.append(ErpSync(container.erp, container.erp.entities))
    if any(channel.tells_cancellations for channel in container.channels.values()):
        # Orders cancelled in Ordo, cancelled in the shop they came from (docs/channels.md).
        from engine.service_layer.shop_cancellations import ShopCanceller

        observers.append(ShopCanceller(container.channels))
    if any(channel.tells_refunds for channel in container.channels.values()):
        # Returns refunded in Ordo, refunded in the shop their order came from (channels.md).
        from engine.service_layer.shop_refunds import ShopRefunder

        observers.append(ShopRefunder(container.channels))
        # Units cancelled in Ordo (a line lowered or removed, part of the remainder),
        # cancelled and refunded in their shop with the same credentials (channels.md).
        from engine.service_layer.shop_unit_cancellations import ShopUnitCanceller

        observers.append(ShopUnitCanceller(container.channels))
    # Labels made void (a shipment called off), voided with their carrier. Always wired: the
    # lookup answers per carrier code, so only asking it tells whether a connector can void,
    # and a rate-card carrier's "nothing to void" costs one read of a rare event.
    from engine.service_layer.label_voids import LabelVoider

    observers.append(LabelVoider(container.carriers))
    # Shipments of EDI orders shipped: an 856 into the trading partner's mailbox.
    from engine.service_layer.ship_notices import ShipNoticeWriter

    observers.append(ShipNoticeWriter(container.carrier_names))
    if container.packaging is not None:  # packed shipments shipped: their boxes counted out
        from engine.service_layer.box_stock import BoxCounter

        observers.append(BoxCounter(container.packaging))
    if settings.edi_acknowledgement_channels:  # decided EDI orders: an 855 for the partner
        from engine.service_layer.po_acknowledgements import PoAcknowledgementWriter

        observers.append(PoAcknowledgementWriter(settings.edi_acknowledgement_channels))
    flags = LatenessFlags(retention=timedelta(days=settings.lateness_flag_retention_days))
    handlers: dict[str, Any] = {}
    if settings.redis_url:  # otherwise the API runs the pipeline in its own process
        handlers = w.pipeline_handlers(*_pipeline(container))
    return w.assemble_workers(
        name=name or w.default_worker_name(), concurrency=concurrency,
        bus=container.event_bus, uow_factory=uows, handlers=handlers, observers=observers,
        relay=OutboxRelay(SqlOutboxStore(container.engine), container.event_bus),
        tickers=[RegistryRefresher(uows, container.rulesets),
                 alerts.LatenessClock(uows, flags, every=timedelta(minutes=1),
                                      past_promise=open_past_promise),
                 w.Janitor(SqlOutboxStore(container.engine), container.event_bus,
                           idempotency=SqlIdempotencyStore(container.session_factory),
                           idempotency_retention=timedelta(
                               hours=settings.idempotency_retention_hours),
                           alerts=(SqlAlertPurge(container.engine)
                                   if settings.alert_retention_days else None),
                           alert_retention=timedelta(days=settings.alert_retention_days)),
                 # Pre-orders whose product is out today are sourced (hourly at most).
                 PreorderReleaser(container.bus.handle),
                 # Unreleased orders' reservations past their time-to-live go back to stock.
                 *([ReservationExpirer(container.bus.handle)]
                   if settings.reservation_ttl_minutes else []),
                 # Acknowledged alerts quiet for long enough are closed (0: never).
                 *([alerts.AlertCloser(uows, timedelta(hours=settings.alert_close_after_hours),
                                       every=timedelta(minutes=1))]
                   if settings.alert_close_after_hours else []),
                 # Tickets told that a storm of repeats ended (any helpdesk, as repeats are).
                 *([StormEndNoter(uows, container.ticketing,
                                  timedelta(minutes=settings.alert_repeat_window_minutes),
                                  untold=untold_repeats)]
                   if container.ticketing is not None else []),
                 # Carriers with an API asked about parcels silent too long (0: never).
                 *([CarrierPoller(uows, container.bus.handle,
                                  lambda code: container.carriers(code),
                                  lambda: container.carrier_names,
                                  timedelta(hours=settings.carrier_poll_hours),
                                  silent=silent_with_carrier, claim=claim_for_poll,
                                  release=release_poll)]
                   if settings.carrier_poll_hours else []),
                 # Shops' cancellations of orders that never came are forgotten in time.
                 EarlyCancellationKeeper(
                     uows, lambda command, hook: container.bus.handle(command, before_commit=hook),
                     timedelta(days=settings.channel_cancellation_retention_days))],
        config=w.WorkerConfig(tick_seconds=10),
    )  # fmt: skip


def _pipeline(container: Container) -> tuple[Any, Any]:
    from engine.service_layer.messagebus import build_bus, event_handlers

    decider = container.decider
    options = pipeline_options(container.settings)
    return (lambda factory: build_bus(factory, decider, options=options)), event_handlers().keys()


# Ordo's files hold personal data (orders, addresses, simulation data sets and results): what
# Ordo creates is its own user's alone, whatever the process's umask would allow others.
PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def make_private_directory(folder: Path) -> None:
    """Create `folder` and its missing parents with PRIVATE_DIRECTORY. Folders that exist
    already keep their permissions: whoever made them chose them (raises OSError)."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIRECTORY)
        except FileExistsError:  # made meanwhile by another process: theirs to keep
            continue
        # mkdir's mode passes through the umask, which may take the owner's own bits away.
        path.chmod(PRIVATE_DIRECTORY)


def ensure_data_directory(data_dir: Path) -> None:
    """Create ORDO_DATA_DIR (the SQLite file, simulation data sets and results live there) for
    Ordo's user only, if it does not exist yet."""
    folder = Path(data_dir).expanduser()
    try:
        make_private_directory(folder)
    except OSError as error:
        raise SettingsError(
            f"ORDO_DATA_DIR: cannot create {folder} ({error.strerror}); give a directory Ordo "
            "may create, or create it yourself"
        ) from None


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the folder an SQLite file lives in, so a fresh checkout needs no manual step,
    and the file itself, both for Ordo's user only when they are new (SQLite would create
    the file with the umask's permissions, and its journal files copy the file's)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    database = Path(url.database).expanduser()
    # `?uri=true` makes the name an SQLite URI (`file:...?mode=memory`), not a path to create.
    named_by_uri = str(url.query.get("uri", "")).lower() in ("true", "1")
    folder = database.parent
    try:
        make_private_directory(folder)
    except OSError as error:
        raise SettingsError(
            f"ORDO_DATABASE_URL: cannot create {folder} for the SQLite file "
            f"({error.strerror}); check ORDO_DATA_DIR or ORDO_DATABASE_URL"
        ) from None
    if named_by_uri:
        return
    try:
        # An empty file is an empty SQLite database; an existing one is left as it is.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        return
    except OSError as error:
        raise SettingsError(
            f"ORDO_DATABASE_URL: cannot create the SQLite file {database} ({error.strerror})"
        ) from None


def configure_logging(settings: Settings) -> None:
    """One log format for every Ordo process, at the configured level."""
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if settings.log_level != "DEBUG":
        # Alembic narrates every plugin and migration at INFO; only its warnings help an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)
