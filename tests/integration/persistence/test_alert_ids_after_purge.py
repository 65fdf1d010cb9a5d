"""Alert ids after the retention's purge, on SQLite and PostgreSQL: the next alert of a purged
alert's rule and key gets an id of its own, so the audit log keeps the two alerts' histories
apart; and two workers opening that alert at once still pick the same id, so the store keeps
one alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from engine.adapters.alert_retention import SqlAlertPurge
from engine.domain.errors import AlreadyExists, Conflict
from engine.domain.operations import Alert
from engine.domain.values import utcnow
from engine.service_layer.alerts import acknowledge_alert, close_alert, raise_alert
from tests.integration.persistence.conftest import UowFactory
from tests.support.engines import an_engine, uow_factory_on

RULE, KEY = "ops/late shipments", "swift"


def fired(uows: UowFactory, days_ago: float) -> Alert:
    with uows() as uow:
        alert = raise_alert(uow, rule=RULE, key=KEY, severity="high", message="late",
                            now=utcnow() - timedelta(days=days_ago))  # fmt: skip
        uow.commit()
    return alert


def purged_after_its_close(db_engine: Engine, uows: UowFactory) -> Alert:
    """An alert raised long ago, acknowledged and closed by a person, then deleted by the
    retention's purge (its cut-off after the close)."""
    old = fired(uows, days_ago=400)
    acknowledge_alert(uows(), old.id, "user:sam")
    close_alert(uows(), old.id, "user:sam")
    assert SqlAlertPurge(db_engine).purge(utcnow() + timedelta(days=1)) == 1
    return old


def test_a_purged_alerts_id_is_not_given_to_the_next_alert_of_its_rule_and_key(
    db_engine: Engine, sql_uow_factory: UowFactory
) -> None:
    old = purged_after_its_close(db_engine, sql_uow_factory)

    new = fired(sql_uow_factory, days_ago=0)

    assert new.id != old.id and new.id.endswith("_2")
    with sql_uow_factory() as uow:
        assert [e.action for e in uow.audit.about("alert", [old.id])] == [
            "alert.acknowledge", "alert.close",
        ]  # fmt: skip
        assert uow.audit.about("alert", [new.id]) == []
        assert uow.alerts.get(old.id) is None


def test_two_workers_opening_the_alert_after_a_purge_at_once_make_one_alert(
    postgres_url: str,
) -> None:
    # PostgreSQL only: SQLite queues its writers, so two transactions are never open at once.
    with an_engine(postgres_url) as engine:
        uows = uow_factory_on(engine)
        old = purged_after_its_close(engine, uows)
        first, second = uows(), uows()
        with first, second:
            one = raise_alert(first, rule=RULE, key=KEY, severity="high", message="late")
            other = raise_alert(second, rule=RULE, key=KEY, severity="high", message="late")
            assert one.id == other.id != old.id
            first.commit()
            with pytest.raises((AlreadyExists, Conflict)):
                second.commit()

        with uows() as uow:
            assert [a.id for a in uow.alerts.list()] == [one.id]
