"""What the worker steps that call a shop back share: `shop_cancellations` (an order cancelled
in Ordo, cancelled in its shop) and `shop_refunds` (a return refunded in Ordo, refunded there).

Each keeps the channel connectors that hold their shop's API credentials (`connectors.channels.
base.ShopApiChannel`, which also sorts the shop's answers into done, retried and refused for
good), and writes what the shop answered twice in the worker's transaction: as an event, and
as an audit entry of the same name on the entity's timeline. That entry is also how a
redelivered event, or a redriven dead letter, knows the shop was asked already. A refusal for
good raises a high alert keyed by the entity, so that a person does by hand what Ordo could
not, and a helpdesk ticket is opened where tickets are set up.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from engine.domain import events
from engine.domain.operations import AuditEntry
from engine.domain.values import utcnow
from engine.service_layer import audit
from engine.service_layer.unit_of_work import UnitOfWork

# Who the audit names: the worker, on behalf of whoever acted in Ordo.
ACTOR = "system"
# A shop's refusal asks a person to step in: high, so it opens a ticket where tickets are on.
FAILED_SEVERITY = "high"
# How far back an entity's audit trail is read (an order has dozens of entries).
_HISTORY = 500


class Channelled(Protocol):
    """A channel connector, as far as these helpers need it."""

    @property
    def channel(self) -> str: ...


Shop = TypeVar("Shop", bound=Channelled)


def shops_that(shops: Mapping[str, Shop], may: Callable[[Shop], bool]) -> dict[str, Shop]:
    """The connectors that `may` call their shop, by their channel: the first of a channel
    when two file orders under one."""
    found: dict[str, Shop] = {}
    for shop in shops.values():
        if may(shop):
            found.setdefault(shop.channel, shop)
    return found


def timeline(uow: UnitOfWork, entity: str, entity_id: str) -> Sequence[AuditEntry]:
    """The entity's audit trail, newest first."""
    return uow.audit.list(entity=entity, entity_id=entity_id, limit=_HISTORY)


def asked_before(history: Iterable[AuditEntry], actions: Collection[str]) -> bool:
    """Whether the timeline shows the shop was asked already (told, or refused)."""
    return any(entry.action in actions for entry in history)


def recorded(
    uow: UnitOfWork, event: events.Event, entity: str, entity_id: str, after: dict[str, Any]
) -> None:
    """`event` raised, and an audit entry of the same name written on the entity's timeline."""
    uow.record(event)
    audit.record(uow, ACTOR, event.name, entity, entity_id, {}, after)


def ask_a_person(uow: UnitOfWork, rule: str, key: str, message: str) -> None:
    """A high alert of `rule` keyed by the entity: the shop would not, so a person must."""
    uow.record(
        events.AlertTriggered(
            rule=rule, key=key, severity=FAILED_SEVERITY, message=message, at=utcnow().isoformat()
        )
    )
