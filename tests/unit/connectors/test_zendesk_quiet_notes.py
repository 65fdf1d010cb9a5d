"""The Zendesk connector telling an alert's ticket that a storm of repeats has ended, against
a fake Zendesk: one internal note tagged with the storm's last window (an earlier storm's tag
taken off, the repeat notes' tags and the status left alone), nothing for the same window
again or an earlier one, nor for a ticket solved or closed."""

from __future__ import annotations

import pytest

from tests.unit.connectors.test_zendesk_repeat_notes import FakeTicket, zendesk

NOTE = "Repeated in Ordo 3 more times after the last note (5 occurrences), the latest at ..."


def test_a_storms_end_adds_one_internal_note_tagged_with_its_window() -> None:
    fake = FakeTicket(tags=("ordo", "ordo_repeat_2", "ordo_quiet_0"))
    connector = zendesk(fake)

    assert connector.note_quiet("35436", NOTE, 2) is True
    assert connector.note_quiet("35436", NOTE, 2) is False  # asked again
    assert connector.note_quiet("35436", NOTE, 1) is False  # an earlier storm, late

    assert fake.updates == [
        {"comment": {"body": NOTE, "public": False}, "additional_tags": ["ordo_quiet_2"],
         "remove_tags": ["ordo_quiet_0"]}
    ]  # fmt: skip
    assert fake.ticket["tags"] == ["ordo", "ordo_repeat_2", "ordo_quiet_2"]
    assert fake.ticket["status"] == "open"


def test_a_new_storm_gets_its_repeat_note_and_its_own_last_note() -> None:
    fake = FakeTicket(tags=("ordo", "ordo_repeat_0", "ordo_quiet_0"))
    connector = zendesk(fake)

    assert connector.note_repeat("35436", "Repeated in Ordo ...", 3) is True
    assert connector.note_quiet("35436", NOTE, 3) is True

    assert [u["additional_tags"] for u in fake.updates] == [["ordo_repeat_3"], ["ordo_quiet_3"]]
    assert fake.ticket["tags"] == ["ordo", "ordo_repeat_3", "ordo_quiet_3"]


@pytest.mark.parametrize("status", ["solved", "closed"])
def test_a_solved_or_closed_ticket_gets_no_last_note(status: str) -> None:
    fake = FakeTicket(status=status)

    assert zendesk(fake).note_quiet("35436", NOTE, 0) is False

    assert fake.updates == []
