"""The helpdesk-tickets migration on both databases: alerts get a `ticket_id`, empty (NULL)
for those raised before, a `tickets` table holds the tickets Ordo opened, and the downgrade
drops both and keeps the alerts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from engine.adapters import migrations
from engine.domain.operations import Ticket
from tests.support.engines import an_engine, uow_factory_on


def revisions() -> tuple[str, str]:
    """This migration's revision and the one before it, found by its file's name: revision
    numbers are renumbered when two branches of work both add one."""
    script = ScriptDirectory.from_config(migrations.config())
    [found] = [r for r in script.walk_revisions() if r.path.endswith("_alert_tickets.py")]
    assert isinstance(found.down_revision, str)
    return found.revision, found.down_revision


def an_alert_before(engine: Engine) -> None:
    recipients = "CAST('[]' AS JSONB)" if engine.dialect.name == "postgresql" else "'[]'"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alerts (id, rule, severity, key, message, status, occurrences, "
                f"recipients, acknowledged_by, created_at) VALUES ('alr_1', 'ops/late', 'high', "
                f"'swift', '6 late shipments', 'open', 1, {recipients}, '', :created)"
            ),
            {"created": datetime(2026, 11, 24, 9, 30)},
        )


def alert_columns(engine: Engine) -> set[str]:
    return {str(column["name"]) for column in inspect(engine).get_columns("alerts")}


@pytest.fixture
def before(database_url: str) -> str:
    migrations.downgrade(database_url, revisions()[1])
    return database_url


def test_an_alert_raised_before_has_no_ticket_and_can_be_given_one_after_upgrading(
    before: str,
) -> None:
    with an_engine(before) as engine:
        assert "ticket_id" not in alert_columns(engine)
        assert "tickets" not in inspect(engine).get_table_names()
        an_alert_before(engine)

    migrations.upgrade(before)

    with an_engine(before) as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            alert = uow.alerts.get("alr_1")
            assert alert is not None and alert.ticket_id is None
            alert.ticket_id = "35436"
            opened_at = datetime(2026, 11, 24, 9, 31, tzinfo=UTC)
            ticket = Ticket(
                id="tkt_1", system="zendesk", external_ticket_id="35436", entity="alert",
                entity_id="alr_1", subject="[Ordo high] 6 late", created_at=opened_at,
                created_by="system",
            )  # fmt: skip
            uow.tickets.add(ticket)
            uow.commit()
        with uows() as uow:
            again = uow.alerts.get("alr_1")
            assert again is not None and again.ticket_id == "35436"
            assert uow.tickets.about("alert", "alr_1") == [ticket]
            assert uow.tickets.about("order", "alr_1") == []
    migrations.upgrade(before)


def test_downgrading_drops_the_tickets_and_keeps_the_alerts(before: str) -> None:
    with an_engine(before) as engine:
        an_alert_before(engine)
    migrations.upgrade(before, revisions()[0])

    migrations.downgrade(before, revisions()[1])

    with an_engine(before) as engine:
        assert "ticket_id" not in alert_columns(engine)
        assert "tickets" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            message = connection.execute(text("SELECT message FROM alerts WHERE id = 'alr_1'"))
            assert message.scalar_one() == "6 late shipments"
    migrations.upgrade(before)
    assert migrations.current(before) == migrations.head()
