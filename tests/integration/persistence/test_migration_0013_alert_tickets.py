"""The helpdesk-tickets migration on both databases: alerts get a `ticket_id`, empty (NULL)
for those raised before, a `tickets` table holds the tickets Ordo opened, and the downgrade
drops both and keeps the alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, inspect, text

from engine.domain.operations import Ticket
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps, json_value

MIGRATION = "alert_tickets"


def an_alert_before(engine: Engine) -> None:
    recipients = json_value(engine, "'[]'")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO alerts (id, rule, severity, key, message, status, occurrences, "
                f"recipients, acknowledged_by, created_at) VALUES ('alr_1', 'ops/late', 'high', "
                f"'swift', '6 late shipments', 'open', 1, {recipients}, '', :created)"
            ),
            {"created": datetime(2026, 11, 24, 9, 30)},
        )


def test_an_alert_raised_before_has_no_ticket_and_can_be_given_one_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert "ticket_id" not in columns_of(engine, "alerts")
        assert "tickets" not in inspect(engine).get_table_names()
        an_alert_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
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
    migration.upgrade()


def test_downgrading_drops_the_tickets_and_keeps_the_alerts(migration: MigrationSteps) -> None:
    with migration.at_before().engine() as engine:
        an_alert_before(engine)
    migration.upgrade(migration.revision)

    migration.downgrade()

    with migration.engine() as engine:
        assert "ticket_id" not in columns_of(engine, "alerts")
        assert "tickets" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            message = connection.execute(text("SELECT message FROM alerts WHERE id = 'alr_1'"))
            assert message.scalar_one() == "6 late shipments"
    migration.to_head()
