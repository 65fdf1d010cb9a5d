"""The Zendesk connector telling an alert's ticket that the alert was closed in Ordo, against a
fake Zendesk: one update with an internal note, the status solved whatever the acknowledged
status says, and the tags `ordo_closed` and `ordo_acknowledged`; a ticket with `ordo_closed`
(a redelivery) or closed in Zendesk is left alone, and an acknowledgement arriving after the
close changes nothing."""

from __future__ import annotations

import json

from connectors.ticketing.zendesk import ACKNOWLEDGED_TAG, CLOSED_TAG
from tests.unit.connectors.test_zendesk_acknowledgement import FakeTickets, zendesk

NOTE = "Closed in Ordo by user:ada at 2026-03-06 10:15 UTC.\nNote: restocked"


def test_a_close_solves_the_ticket_with_an_internal_note_and_both_tags() -> None:
    fake = FakeTickets()

    assert zendesk(fake, acknowledged_status="pending").resolve("35436", NOTE) is True

    read, update = fake.requests
    assert (read.method, update.method) == ("GET", "PUT")
    assert json.loads(update.content) == {
        "ticket": {
            "status": "solved",
            "comment": {"body": NOTE, "public": False},
            "additional_tags": [CLOSED_TAG, ACKNOWLEDGED_TAG],
        }
    }


def test_a_ticket_solved_by_the_acknowledgement_still_gets_the_closing_note_once() -> None:
    fake = FakeTickets(status="solved", tags=("ordo", "alert", ACKNOWLEDGED_TAG))
    connector = zendesk(fake)

    assert connector.resolve("35436", NOTE) is True
    assert connector.resolve("35436", NOTE) is False  # redelivered

    assert [c["body"] for c in fake.comments] == [NOTE]
    assert [r.method for r in fake.requests] == ["GET", "PUT", "GET"]


def test_a_ticket_closed_in_zendesk_is_left_as_it_is() -> None:
    fake = FakeTickets(status="closed")

    assert zendesk(fake).resolve("35436", NOTE) is False
    assert [r.method for r in fake.requests] == ["GET"]


def test_an_acknowledgement_arriving_after_the_close_changes_nothing() -> None:
    fake = FakeTickets()
    connector = zendesk(fake, acknowledged_status="pending")
    connector.resolve("35436", NOTE)

    assert connector.acknowledge("35436", "Acknowledged in Ordo by user:kim.") is False
    assert fake.ticket["status"] == "solved"
