"""The helpdesk tickets part of an order's page, without Streamlit or an API: the table of its
tickets, and the API's findings on a ticket put back at the form field each is about."""

from __future__ import annotations

from admin_ui.models import Ticket
from admin_ui.views.tickets import field_findings, ticket_rows


def a_ticket(external_id: str, subject: str) -> Ticket:
    return {
        "id": f"tkt_{external_id}", "system": "zendesk", "external_ticket_id": external_id,
        "entity": "order", "entity_id": "ord_1", "subject": subject,
        "created_at": "2026-11-22T09:30:00+01:00", "created_by": "support:desk-7",
    }  # fmt: skip


def test_each_ticket_is_a_row_with_the_helpdesks_own_id_in_the_order_the_api_lists_them() -> None:
    rows = ticket_rows([a_ticket("35436", "Parcel damaged"), a_ticket("35501", "Late again")])

    assert rows == [
        {"subject": "Parcel damaged", "system": "zendesk", "ticket": "35436",
         "opened by": "support:desk-7", "opened": "2026-11-22 08:30 UTC"},
        {"subject": "Late again", "system": "zendesk", "ticket": "35501",
         "opened by": "support:desk-7", "opened": "2026-11-22 08:30 UTC"},
    ]  # fmt: skip


def test_a_finding_at_a_fields_path_belongs_to_that_field_as_a_sentence() -> None:
    by_field, rest = field_findings(
        [
            "$.subject: must say something, not only spaces",
            "$.body: String should have at most 20000 characters",
        ]
    )

    assert by_field == {
        "subject": ["Must say something, not only spaces."],
        "body": ["String should have at most 20000 characters."],
    }
    assert rest == []


def test_a_finding_about_no_field_of_the_form_is_the_requests_as_a_whole() -> None:
    by_field, rest = field_findings(["$.priority: extra inputs are not permitted", "$: bad body"])

    assert by_field == {}
    assert rest == ["$.priority: extra inputs are not permitted", "$: bad body"]
