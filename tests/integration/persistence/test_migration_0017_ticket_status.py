"""The ticket-status migration on both databases: a ticket opened before says `unknown`, with
no time and no comment, and keeps what the helpdesk reports after upgrading; the downgrade
drops the columns and keeps the tickets."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, text

from engine.domain.operations import TicketStatus
from tests.support.engines import columns_of, uow_factory_on
from tests.support.migration_steps import MigrationSteps

NEW_COLUMNS = {"status", "updated_at", "comment_author", "comment_excerpt", "version"}


MIGRATION = "ticket_status"


def a_ticket_opened_before(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO tickets (id, system, external_ticket_id, entity, entity_id, "
                "subject, created_at, created_by) VALUES ('tkt_1', 'zendesk', '35436', "
                "'order', 'ord_1', 'Parcel damaged', :created, 'support:desk-7')"
            ),
            {"created": datetime(2026, 11, 24, 9, 30)},
        )


def test_a_ticket_opened_before_is_unknown_and_keeps_what_the_helpdesk_reports_after_upgrading(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "tickets")
        a_ticket_opened_before(engine)

    migration.upgrade()

    with migration.engine() as engine:
        uows = uow_factory_on(engine)
        with uows() as uow:
            ticket = uow.tickets.get("tkt_1")
            assert ticket is not None
            assert (ticket.status, ticket.updated_at) == (TicketStatus.UNKNOWN, None)
            assert (ticket.comment_author, ticket.comment_excerpt, ticket.version) == ("", "", 0)
            solved_at = datetime(2026, 11, 27, 10, 15, tzinfo=UTC)
            assert ticket.report(TicketStatus.SOLVED, solved_at, "Dana", "Replacement sent.")
            uow.commit()
        with uows() as uow:
            again = uow.tickets.get("tkt_1")
            assert again is not None and again.subject == "Parcel damaged"
            assert (again.status, again.updated_at) == (TicketStatus.SOLVED, solved_at)
            assert (again.comment_author, again.comment_excerpt) == ("Dana", "Replacement sent.")
            assert again.version == 1


def test_downgrading_drops_the_status_columns_and_keeps_the_tickets(
    migration: MigrationSteps,
) -> None:
    with migration.at_before().engine() as engine:
        a_ticket_opened_before(engine)
    migration.upgrade()

    migration.downgrade()

    with migration.engine() as engine:
        assert not NEW_COLUMNS & columns_of(engine, "tickets")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT subject FROM tickets WHERE id = 'tkt_1'"))
            assert kept.scalar_one() == "Parcel damaged"
    migration.to_head()
