"""The Zendesk connector telling an alert's ticket that the alert keeps firing, against a fake
Zendesk (httpx.MockTransport): it reads the ticket, then adds one internal note per repeat
window with that window's tag, the earlier window's taken off and the status left alone; the
same window again (a redelivery) or an earlier one (a late event) adds nothing, nor does a
ticket solved or closed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectors.base import DeliveryError
from connectors.ticketing.zendesk import ZendeskTicketing
from tests.unit.connectors.test_zendesk_ticketing import TOKEN

NOTE = "Repeated in Ordo 4 times since it was raised (5 occurrences), the latest at ..."


class FakeTicket:
    """Zendesk's show and update of ticket 35436, applying tags as Zendesk does."""

    def __init__(self, status: str = "open", tags: tuple[str, ...] = ("ordo", "alert")) -> None:
        self.ticket: dict[str, Any] = {"id": 35436, "status": status, "tags": list(tags)}
        self.updates: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/api/v2/tickets/35436.json"
        if request.method == "PUT":
            update = json.loads(request.content)["ticket"]
            self.updates.append(update)
            kept = [t for t in self.ticket["tags"] if t not in update.get("remove_tags", ())]
            self.ticket["tags"] = kept + update["additional_tags"]
        return httpx.Response(200, json={"ticket": self.ticket})


def zendesk(fake: FakeTicket | Any) -> ZendeskTicketing:
    options = {"url": "acme", "email": "ops@shop.example", "token": TOKEN}
    return ZendeskTicketing(options, client=httpx.Client(transport=httpx.MockTransport(fake)))


def test_a_repeat_adds_an_internal_note_tagged_with_its_window_and_leaves_the_status() -> None:
    fake = FakeTicket()

    assert zendesk(fake).note_repeat("35436", NOTE, 0) is True

    read, update = fake.requests
    assert (read.method, update.method) == ("GET", "PUT")
    assert fake.updates == [
        {"comment": {"body": NOTE, "public": False}, "additional_tags": ["ordo_repeat_0"]}
    ]
    assert fake.ticket["status"] == "open"


def test_the_same_window_again_or_an_earlier_one_adds_nothing() -> None:
    fake = FakeTicket()
    connector = zendesk(fake)
    connector.note_repeat("35436", NOTE, 2)

    assert connector.note_repeat("35436", NOTE, 2) is False  # a redelivery
    assert connector.note_repeat("35436", NOTE, 1) is False  # a late event

    assert len(fake.updates) == 1
    assert [r.method for r in fake.requests] == ["GET", "PUT", "GET", "GET"]


def test_a_later_window_adds_its_note_and_takes_the_earlier_windows_tag_off() -> None:
    fake = FakeTicket(tags=("ordo", "alert", "ordo_repeat_0"))

    assert zendesk(fake).note_repeat("35436", NOTE, 3) is True

    [update] = fake.updates
    assert update["additional_tags"] == ["ordo_repeat_3"]
    assert update["remove_tags"] == ["ordo_repeat_0"]
    assert fake.ticket["tags"] == ["ordo", "alert", "ordo_repeat_3"]


@pytest.mark.parametrize("status", ["solved", "closed"])
def test_a_solved_or_closed_ticket_is_left_as_it_is(status: str) -> None:
    fake = FakeTicket(status=status)

    assert zendesk(fake).note_repeat("35436", NOTE, 0) is False

    assert fake.updates == []


def test_a_refusal_is_a_delivery_error_without_the_token() -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text=f"down for maintenance ({TOKEN})")

    with pytest.raises(DeliveryError) as refused:
        zendesk(refusing).note_repeat("35436", NOTE, 0)

    assert "answered 503" in str(refused.value) and TOKEN not in str(refused.value)
