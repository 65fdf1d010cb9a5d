"""Alert ids on the in-memory store: an alert deleted after its retention keeps its id to
itself (its audit entries, ticket and e-mails still name it), so the next alert of its rule
and key gets a new one; the next id is found in a few lookups however many alerts the rule
and key has had; and two workers reading the same alerts pick the same id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain.operations import Alert, AlertStatus
from engine.service_layer import audit
from engine.service_layer.alerts import acknowledge_alert, close_alert, raise_alert
from tests.support import builders as b

RAISED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
RULE, KEY = "ops/low stock", "SKU-1@W1"


def fire(uow: InMemoryUnitOfWork, at: datetime = RAISED) -> Alert:
    with uow:
        alert = raise_alert(uow, rule=RULE, key=KEY, severity="high", message="SKU-1 low",
                            now=at)  # fmt: skip
        uow.commit()
    return alert


def purged(uow: InMemoryUnitOfWork, *alert_ids: str) -> None:
    """Deleted as the store's retention deletes them: the alert goes, its audit entries stay."""
    for alert_id in alert_ids:
        del uow.alerts.table.committed[alert_id]


def numbered(first: Alert, n: int) -> str:
    return f"{first.id.rsplit('_', 1)[0]}_{n}"


def test_the_next_alert_of_a_rule_and_key_gets_a_new_id_after_the_last_one_was_purged() -> None:
    uow = InMemoryUnitOfWork()
    first = fire(uow)
    acknowledge_alert(uow, first.id, "user:sam")
    close_alert(uow, first.id, "user:sam")
    purged(uow, first.id)

    second = fire(uow, RAISED + timedelta(days=400))

    assert second.id != first.id and second.id == numbered(first, 2)
    with uow:
        assert [e.action for e in uow.audit.list(entity="alert", entity_id=second.id)] == []
        assert len(uow.audit.list(entity="alert", entity_id=first.id)) == 2


def test_an_id_purged_before_later_alerts_that_are_kept_is_not_given_again() -> None:
    uow = InMemoryUnitOfWork()
    first = fire(uow)
    close_alert(uow, first.id, "user:sam")
    second = fire(uow, RAISED + timedelta(days=1))
    close_alert(uow, second.id, "user:sam")
    purged(uow, first.id)

    assert fire(uow, RAISED + timedelta(days=400)).id == numbered(first, 3)


def stored_history(uow: InMemoryUnitOfWork, first: Alert, alerts: int, purged_up_to: int) -> None:
    """`alerts` closed alerts of the rule and key, each audited, the first `purged_up_to` of
    them deleted since."""
    with uow:
        for n in range(2, alerts + 1):
            uow.alerts.add(b.an_alert(id=numbered(first, n), rule=RULE, key=KEY,
                                      status=AlertStatus.CLOSED))  # fmt: skip
        for n in range(1, alerts + 1):
            audit.record(uow, "system", "alert.close", "alert", numbered(first, n))
        uow.commit()
    purged(uow, *(numbered(first, n) for n in range(1, purged_up_to + 1)))


@pytest.mark.parametrize(("alerts", "purged_up_to"), [(300, 0), (300, 299), (257, 100)])
def test_the_next_id_after_hundreds_of_alerts_is_found_in_a_few_lookups(
    alerts: int, purged_up_to: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    uow = InMemoryUnitOfWork()
    first = fire(uow)
    close_alert(uow, first.id, "user:sam")
    stored_history(uow, first, alerts, purged_up_to)
    lookups: list[str] = []

    def counted(method: Any) -> Any:
        def lookup(*args: Any, **kw: Any) -> Any:
            lookups.append(method.__name__)
            return method(*args, **kw)

        return lookup

    monkeypatch.setattr(uow.alerts, "get", counted(uow.alerts.get))
    monkeypatch.setattr(uow.audit, "list", counted(uow.audit.list))

    assert fire(uow, RAISED + timedelta(days=400)).id == numbered(first, alerts + 1)
    assert len(lookups) <= 40  # about 2 log2(alerts) ids looked at, two lookups at most each


def test_two_workers_reading_the_same_alerts_pick_the_same_id() -> None:
    uow = InMemoryUnitOfWork()
    first = fire(uow)
    close_alert(uow, first.id, "user:sam")
    stored_history(uow, first, 5, 3)
    with uow:
        one = raise_alert(uow, rule=RULE, key=KEY, severity="high", message="a", now=RAISED)
        uow.rollback()
    with uow:
        other = raise_alert(uow, rule=RULE, key=KEY, severity="high", message="b", now=RAISED)
        uow.rollback()

    assert one.id == other.id == numbered(first, 6)
