"""The in-process message bus: commands to their one handler, events to their subscribers.

Each message runs in a fresh unit of work from `uow_factory`. After a handler commits, the
events the unit of work collected are queued and dispatched to event handlers, which may in
turn issue commands (an `order.received` event triggers `ProcessOrder`). Dependencies are
injected by parameter name: a handler `process_order(cmd, uow, decider, clock)` receives the
`decider` and `clock` entries of `dependencies`.

A failing command raises to the caller; a failing event handler is logged and the rest of
the queue still runs (the event is already committed; the worker can replay it from the
outbox).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.domain.commands import Command
from engine.domain.events import Event
from engine.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[..., Any]
Message = Command | Event


class MessageBus:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        command_handlers: Mapping[type[Command], Handler],
        event_handlers: Mapping[type[Event], Sequence[Handler]],
        dependencies: Mapping[str, Any] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.command_handlers = dict(command_handlers)
        self.event_handlers = {k: list(v) for k, v in event_handlers.items()}
        self.dependencies = dict(dependencies or {})
        self.dependencies["bus"] = self
        self._wanted: dict[Handler, tuple[str, ...]] = {}

    def handle(
        self, message: Message, *, before_commit: Callable[[UnitOfWork], None] | None = None
    ) -> Any:
        """Handle a command (returning its handler's result) and every event that follows.
        `before_commit` runs inside the command's own commit (`UnitOfWork.before_commit`)."""
        queue: list[Message] = [message]
        result: Any = None
        first = True
        while queue:
            current = queue.pop(0)
            if isinstance(current, Command):
                hook = before_commit if first else None
                outcome, events = self._run(self._command_handler(current), current, hook)
                if first:
                    result = outcome
            else:
                events = self._dispatch_event(current)
            queue.extend(events)
            first = False
        return result

    def _command_handler(self, command: Command) -> Handler:
        handler = self.command_handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler registered for command {type(command).__name__}")
        return handler

    def _run(
        self,
        handler: Handler,
        message: Message,
        before_commit: Callable[[UnitOfWork], None] | None = None,
    ) -> tuple[Any, list[Message]]:
        uow = self.uow_factory()
        if before_commit is not None:
            uow.before_commit(before_commit)
        try:
            result = handler(message, **self._inject(handler, uow))
        finally:
            # A command refused, or one that changed nothing, commits nothing: its hook (its
            # audit entry) must not run in the next commit of a shared unit of work.
            uow.drop_before_commit()
        return result, list(uow.collect_new_events())

    def _dispatch_event(self, event: Event) -> list[Message]:
        follow_ups: list[Message] = []
        for handler in self.event_handlers.get(type(event), []):
            try:
                result, events = self._run(handler, event)
            except Exception:
                log.exception("event handler %s failed on %s", handler.__name__, event.name)
                continue
            follow_ups.extend(events)
            # An event handler may answer with commands to run next (cosmicpython's pattern).
            if isinstance(result, Command):
                follow_ups.append(result)
            elif isinstance(result, list | tuple):
                follow_ups.extend(m for m in result if isinstance(m, Command))
        return follow_ups

    def _inject(self, handler: Handler, uow: UnitOfWork) -> dict[str, Any]:
        wanted = self._wanted.get(handler)
        if wanted is None:
            # Read once per handler: an order runs half a dozen handlers, and inspecting a
            # signature costs more than most of them do.
            wanted = self._wanted[handler] = tuple(inspect.signature(handler).parameters)[1:]
        available = {"uow": uow, **self.dependencies}
        missing = [name for name in wanted if name not in available]
        if missing:
            raise LookupError(f"handler {handler.__name__} needs {missing}, not provided")
        return {name: available[name] for name in wanted}


# --- the registry (as in cosmicpython, beside the bus) ----------------------------------------


def _registry() -> tuple[dict[type[Command], Handler], dict[type[Event], list[Handler]]]:
    # Imported here, not at the top, because handlers import this module's types.
    from engine.domain import commands as c
    from engine.domain import events as e
    from engine.service_layer import (
        backorders,
        box_stock,
        counts,
        handlers,
        inventory,
        labels,
        lifecycle,
        pickup_promises,
        preorders,
        privacy,
        returns,
        shortages,
        tracking,
    )

    command_handlers: dict[type[Command], Handler] = {
        c.CreateOrder: handlers.create_order,
        c.ProcessOrder: handlers.process_order,
        c.CancelOrder: lifecycle.cancel_order,
        c.CancelBackordered: lifecycle.cancel_backordered,
        c.ModifyOrder: lifecycle.modify_order,
        c.ReleaseHold: lifecycle.release_hold,
        c.ReleaseOrder: lifecycle.release_order,
        c.UpdateShipment: lifecycle.update_shipment,
        c.TrackShipment: tracking.track_shipment,
        c.ConsolidateOrders: lifecycle.consolidate_orders,
        c.AdjustStock: inventory.adjust_stock,
        c.ReceiveStock: inventory.receive_stock,
        c.TransferStock: inventory.transfer_stock,
        c.ReceiveTransfer: inventory.receive_transfer,
        c.ReportTransferShipped: inventory.report_transfer_shipped,
        c.TrackTransfer: inventory.track_transfer,
        c.ExpireReservations: inventory.expire_reservations,
        c.ReleaseDuePreorders: preorders.release_due_preorders,
        **returns.COMMAND_HANDLERS,
        **labels.COMMAND_HANDLERS,
        **privacy.COMMAND_HANDLERS,
        **shortages.COMMAND_HANDLERS,
        **counts.COMMAND_HANDLERS,
        **box_stock.COMMAND_HANDLERS,
    }
    event_handlers: dict[type[Event], list[Handler]] = {
        e.OrderReceived: [handlers.on_order_received],
        e.OrderStatusChanged: [handlers.on_status_changed],
        e.StockAdjusted: [backorders.on_stock_adjusted],
        e.StockReleased: [backorders.on_stock_released],
        e.RulesetPublished: [handlers.on_ruleset_published],
        # A pickup waiting for a transfer is ready when it is (`pickup_promises`).
        e.TransferShipped: [pickup_promises.follow_transfer],
        e.TransferArrivalRevised: [pickup_promises.follow_transfer],
    }
    return command_handlers, event_handlers


def command_handlers() -> dict[type[Command], Handler]:
    """Every command and its handler (the API dispatches through these)."""
    return _registry()[0]


def event_handlers() -> dict[type[Event], list[Handler]]:
    return _registry()[1]


def build_bus(
    uow_factory: Callable[[], UnitOfWork],
    decider: Any,
    clock: Callable[[], Any] | None = None,
    options: Any = None,
    process_in_process: bool = True,
    carriers: Callable[[str], Any] | None = None,
) -> MessageBus:
    """The bus with every pipeline handler wired. `process_in_process=False` leaves
    `order.received` to a worker (the events reach it through the outbox instead).
    `carriers`: the carrier connector of a carrier code, for labels (none without it)."""
    from engine.domain.values import utcnow
    from engine.service_layer.handlers import PipelineOptions
    from engine.service_layer.labels import no_carriers

    commands_, events_ = _registry()
    if not process_in_process:
        events_ = {}
    return MessageBus(
        uow_factory,
        commands_,
        events_,
        {
            "decider": decider,
            "clock": clock or utcnow,
            "options": options or PipelineOptions(),
            "carriers": carriers or no_carriers,
        },
    )
