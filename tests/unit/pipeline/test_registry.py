"""The ruleset registry: compile once, swap atomically, load lazily, ship defaults."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.domain.operations import RulesetStatus, RulesetVersion
from engine.rules.registry import RulesetCompileError, RulesetRegistry, shipped_versions

HEADER = "validation ruleset checks on order.received policy all\n"
V1 = HEADER + 'rule "a" when true then hold code "A" message "a"\n'
V2 = HEADER + 'rule "b" when true then hold code "B" message "b"\n'


def _version(source: str, number: int) -> RulesetVersion:
    return RulesetVersion(
        f"checks-{number}",
        "checks",
        "validation",
        number,
        source,
        "ann",
        datetime(2026, 11, 1),
        RulesetStatus.PUBLISHED,
    )


def test_a_snapshot_taken_before_a_swap_keeps_its_rulesets_and_versions() -> None:
    registry = RulesetRegistry()
    registry.publish([_version(V1, 1)])
    before = registry.snapshot
    registry.replace_one(_version(V2, 2))
    assert before.versions == {"checks": 1}
    assert before.of("validation")[0].program.rules[0].name == "a"
    assert registry.snapshot.versions == {"checks": 2}


def test_a_ruleset_that_does_not_compile_is_refused_and_the_old_one_stays() -> None:
    registry = RulesetRegistry()
    registry.publish([_version(V1, 1)])
    broken = _version(V1.replace("order.received", "order.received\nrule"), 2)
    with pytest.raises(RulesetCompileError, match="ruleset checks v2 does not compile"):
        registry.publish([broken])
    assert registry.snapshot.versions == {"checks": 1}


def test_a_lazy_registry_loads_on_first_use_only() -> None:
    calls = []

    def loader() -> list[RulesetVersion]:
        calls.append(1)
        return [_version(V1, 3)]

    registry = RulesetRegistry(loader=loader)
    assert calls == []
    assert registry.snapshot.versions == {"checks": 3}
    assert registry.snapshot.versions == {"checks": 3}
    assert calls == [1]


def test_the_shipped_rulesets_compile_against_the_domain_schema() -> None:
    registry = RulesetRegistry()
    registry.publish(shipped_versions())
    kinds = set(registry.describe())
    assert {"validation", "sourcing", "reservation", "carrier"} <= kinds


def test_a_failed_first_load_is_tried_again_instead_of_leaving_the_registry_empty() -> None:
    calls = []

    def loader() -> list[RulesetVersion]:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database not reachable yet")
        return [_version(V1, 4)]

    registry = RulesetRegistry(loader=loader)
    with pytest.raises(ConnectionError):
        registry.ensure_loaded()
    assert registry.snapshot.versions == {"checks": 4}
    assert registry.snapshot.versions == {"checks": 4}
    assert calls == [1, 1]


def test_a_swap_during_a_lazy_load_is_not_overwritten_by_the_older_load() -> None:
    registry = RulesetRegistry()

    def loader() -> list[RulesetVersion]:
        # Another thread publishes while this load reads the database.
        registry.swap(RulesetRegistry.load([_version(V2, 9)]))
        return [_version(V1, 1)]

    registry._loader = loader
    registry.ensure_loaded()
    assert registry.snapshot.versions == {"checks": 9}
