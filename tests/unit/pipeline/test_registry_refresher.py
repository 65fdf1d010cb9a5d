"""Every process decides with the live rulesets: a publish made by another process (another
API worker, the CLI, a worker) reaches this one's registry at its next refresh tick."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.operations import RulesetStatus, RulesetVersion
from engine.rules.registry import RulesetRegistry, published_loader
from engine.service_layer.rulesets_service import RegistryRefresher

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CHECKS = """validation ruleset order_checks on order.received policy all

rule "Large orders are reviewed"
  when order.total > {limit} USD
  then hold code "fraud_review" message "over {limit}"
"""


def _publish(uow: InMemoryUnitOfWork, version: int, limit: int) -> None:
    """What another process's publish (or rollback, for a version it has) leaves in the
    database: this version published, the one before it retired."""
    with uow:
        for held in uow.rulesets.published():
            held.status = RulesetStatus.RETIRED
        earlier = uow.rulesets.get(f"rs-{version}")
        if earlier is not None:
            earlier.status = RulesetStatus.PUBLISHED
            uow.commit()
            return
        uow.rulesets.add(
            RulesetVersion(
                id=f"rs-{version}",
                name="order_checks",
                kind="validation",
                version=version,
                source=CHECKS.format(limit=limit),
                author="analyst:someone",
                created_at=NOW,
                status=RulesetStatus.PUBLISHED,
                published_at=NOW,
            )
        )
        uow.commit()


def _live(registry: RulesetRegistry) -> dict[str, int]:
    return registry.snapshot.versions


class CountingRegistry(RulesetRegistry):
    """Counts compilations, to show an unchanged database costs no recompile."""

    loads = 0

    @staticmethod
    def load(versions: Any) -> Any:
        CountingRegistry.loads += 1
        return RulesetRegistry.load(versions)


def test_a_version_published_elsewhere_goes_live_at_the_next_tick() -> None:
    uow = InMemoryUnitOfWork()
    _publish(uow, 1, limit=100)
    registry = RulesetRegistry(loader=published_loader(lambda: uow))
    refresher = RegistryRefresher(lambda: uow, registry)
    assert _live(registry) == {"order_checks": 1}

    _publish(uow, 2, limit=500)
    assert _live(registry) == {"order_checks": 1}, "nothing changes between ticks"
    assert refresher.tick(NOW) == 1
    assert _live(registry) == {"order_checks": 2}


def test_a_rollback_elsewhere_is_picked_up_too() -> None:
    uow = InMemoryUnitOfWork()
    _publish(uow, 1, limit=100)
    _publish(uow, 2, limit=500)
    registry = RulesetRegistry(loader=published_loader(lambda: uow))
    refresher = RegistryRefresher(lambda: uow, registry)
    _publish(uow, 1, limit=100)
    refresher.tick(NOW)
    assert _live(registry) == {"order_checks": 1}


def test_an_unchanged_database_costs_no_recompile() -> None:
    uow = InMemoryUnitOfWork()
    _publish(uow, 1, limit=100)
    registry = CountingRegistry(loader=published_loader(lambda: uow))
    registry.ensure_loaded()
    refresher = RegistryRefresher(lambda: uow, registry)
    CountingRegistry.loads = 0
    assert [refresher.tick(NOW) for _ in range(3)] == [0, 0, 0]
    assert CountingRegistry.loads == 0


def test_a_reload_read_before_a_local_publish_does_not_undo_it() -> None:
    uow = InMemoryUnitOfWork()
    _publish(uow, 1, limit=100)
    registry = RulesetRegistry(loader=published_loader(lambda: uow))
    registry.ensure_loaded()
    read_before = registry.snapshot
    _publish(uow, 2, limit=500)
    stale = registry.load(list(_published(uow)))  # a tick's read, still compiling ...

    # ... while this process publishes version 3 itself.
    _publish(uow, 3, limit=900)
    registry.replace_one(next(iter(_published(uow))))

    assert registry.swap_if(read_before, stale) is False
    assert _live(registry) == {"order_checks": 3}


def _published(uow: InMemoryUnitOfWork) -> list[RulesetVersion]:
    with uow:
        return list(uow.rulesets.published())
