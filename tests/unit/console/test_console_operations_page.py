"""The Operations page, admins' alone: the dead letters newest first with one's payload and
whole error, a confirmed redrive and the API's refusal of it shown in place; a partner's EDI
mailbox with the documents its 997 rejected counted and marked. Driven by AppTest against a
fake API behind the console's real client (an httpx mock transport), so the paths and
queries the page sends are checked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui import session
from admin_ui.client import OrdoClient
from admin_ui.roles import pages_for
from admin_ui.views.operations import NO_DEAD_LETTERS, PAGE, first_line

SCREEN = Path(__file__).resolve().parents[3] / "admin_ui" / "screens" / "operations.py"
TRACEBACK = (
    "\nTimeoutError: the WMS at wms.example.com did not answer in 10s\n"
    '  File "engine/pipeline/wms.py", line 88, in send\n'
)


def a_letter(letter_id: str, name: str, event_id: str, failed_at: str) -> dict[str, Any]:
    return {"id": letter_id, "event_id": event_id, "name": name,
            "payload": {"order_id": f"ord_{event_id}", "lines": [1, 2]},
            "partition_key": f"ord_{event_id}", "error": TRACEBACK, "attempts": 5,
            "failed_at": failed_at, "consumer": "worker-1"}  # fmt: skip


def a_document(doc_id: str, kind: str, ack: str | None, codes: list[str]) -> dict[str, Any]:
    return {"id": doc_id, "channel": "b2b-acme", "kind": kind, "reference": f"ref_{doc_id}",
            "order_id": f"ord_{doc_id}", "control_number": f"00000000{doc_id[-1]}",
            "created_at": "2026-11-24T15:30:02Z",
            "acknowledged_at": "2026-11-24T15:31:00Z" if ack else None,
            "acknowledged_by": "channel:acme-gateway" if ack else "",
            "functional_ack": ack, "functional_ack_codes": codes,
            "functional_ack_at": "2026-11-24T16:00:00Z" if ack else None,
            "content_url": f"/v1/edi/outbound/{doc_id}"}  # fmt: skip


@dataclass
class FakeApi:
    """The routes the page calls; `refuse` answers a redrive with that problem instead."""

    letters: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    refuse: tuple[int, str] | None = None
    redriven: list[str] = field(default_factory=list)  # the paths of the redrives asked
    mailbox_queries: list[dict[str, str]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if method == "GET" and path == "/v1/events/dead-letters":
            return httpx.Response(200, json=self.letters)
        if method == "POST" and path.startswith("/v1/events/dead-letters/"):
            self.redriven.append(path)
            if self.refuse is not None:
                status, detail = self.refuse
                headers = {"content-type": "application/problem+json"}
                return httpx.Response(status, json={"detail": detail}, headers=headers)
            letter_id = path.split("/")[-2]
            letter = next(d for d in self.letters if d["id"] == letter_id)
            self.letters.remove(letter)
            return httpx.Response(200, json=letter)
        if method == "GET" and path == "/v1/edi/outbound":
            query = dict(request.url.params)
            self.mailbox_queries.append(query)
            start, size = int(query.get("offset", 0)), int(query["limit"])
            return httpx.Response(200, json=self.documents[start : start + size])
        return httpx.Response(404, json={"detail": f"no route {method} {path}"})


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    fake = FakeApi()

    def open_client() -> OrdoClient:
        return OrdoClient("http://api.test", "k", transport=httpx.MockTransport(fake.handle))

    monkeypatch.setattr(session, "open_client", open_client)
    yield fake


def opened() -> AppTest:
    app = AppTest.from_file(str(SCREEN), default_timeout=30)
    app.session_state["ordo_principal"] = {
        "key_id": "key_1", "name": "ops", "role": "admin", "channel": "", "locations": [],
        "customer_id": "",
    }  # fmt: skip
    app.run()
    assert not app.exception, app.exception
    return app


def redrive(app: AppTest, sure: bool = True) -> AppTest:
    if sure:
        next(c for c in app.checkbox if c.label == "Yes, send this event round again").check()
    next(b for b in app.button if b.label == "Redrive").click().run()
    assert not app.exception, app.exception
    return app


def shown(app: AppTest) -> str:
    return "\n".join(
        str(e.value) for kind in ("success", "error", "warning", "info", "caption", "markdown")
        for e in getattr(app, kind)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "offered"),
    [("admin", True), ("analyst", False), ("support", False), ("warehouse", False),
     ("channel", False), ("customer", False)],
)  # fmt: skip
def test_only_admins_are_offered_the_operations_page(role: str, offered: bool) -> None:
    assert ("operations" in [page.key for page in pages_for(role)]) is offered


def test_an_errors_first_line_is_its_first_line_that_says_something() -> None:
    assert first_line(TRACEBACK) == "TimeoutError: the WMS at wms.example.com did not answer in 10s"
    assert first_line("") == ""


def test_each_dead_letter_is_a_row_newest_first_with_its_errors_first_line(api: FakeApi) -> None:
    api.letters = [
        a_letter("9", "shipment.released", "77", "2026-11-24T10:05:00Z"),
        a_letter("4", "order.received", "42", "2026-11-24T09:00:00+01:00"),
    ]
    app = opened()

    rows = app.dataframe[0].value.to_dict("records")
    assert rows == [
        {"event": "shipment.released", "event id": "77", "failed": "2026-11-24 10:05 UTC",
         "attempts": 5, "consumer": "worker-1",
         "error": "TimeoutError: the WMS at wms.example.com did not answer in 10s"},
        {"event": "order.received", "event id": "42", "failed": "2026-11-24 08:00 UTC",
         "attempts": 5, "consumer": "worker-1",
         "error": "TimeoutError: the WMS at wms.example.com did not answer in 10s"},
    ]  # fmt: skip
    assert "2 events a worker gave up on, newest first" in shown(app)


def test_the_chosen_letter_shows_its_payload_as_json_and_its_whole_error(api: FakeApi) -> None:
    api.letters = [
        a_letter("9", "shipment.released", "77", "2026-11-24T10:05:00Z"),
        a_letter("4", "order.received", "42", "2026-11-24T09:00:00Z"),
    ]
    app = opened()
    app.selectbox(key="dead_letter").set_value("4").run()

    assert app.json[0].value == '{"order_id": "ord_42", "lines": [1, 2]}'
    assert app.code[0].value == TRACEBACK.strip()
    assert "**order.received**, event `42`" in shown(app)


def test_no_dead_letters_says_every_event_was_handled(api: FakeApi) -> None:
    app = opened()
    assert [s.value for s in app.success] == [NO_DEAD_LETTERS]
    assert not [b for b in app.button if b.label == "Redrive"]


def test_redriving_posts_the_chosen_letters_path_and_the_list_is_read_again(
    api: FakeApi,
) -> None:
    api.letters = [
        a_letter("9", "shipment.released", "77", "2026-11-24T10:05:00Z"),
        a_letter("4", "order.received", "42", "2026-11-24T09:00:00Z"),
    ]
    app = opened()
    app.selectbox(key="dead_letter").set_value("4").run()
    redrive(app)

    assert api.redriven == ["/v1/events/dead-letters/4/redrive"]
    assert [s.value for s in app.success] == [
        "Redriven: order.received (event 42) is published again."
    ]
    assert [r["event id"] for r in app.dataframe[0].value.to_dict("records")] == ["77"]
    assert not app.warning  # its own redrive is no letter gone from under it


def test_a_chosen_letter_gone_since_the_page_was_shown_is_said_gone_and_not_redriven(
    api: FakeApi,
) -> None:
    api.letters = [
        a_letter("9", "shipment.released", "77", "2026-11-24T10:05:00Z"),
        a_letter("4", "order.received", "42", "2026-11-24T09:00:00Z"),
    ]
    app = opened()
    app.selectbox(key="dead_letter").set_value("4").run()
    api.letters.pop()  # another admin redrove it
    redrive(app)

    assert [w.value for w in app.warning] == [
        "Dead letter 4, order.received (event 42), is no longer parked: it was redriven "
        "since the list was shown, by someone else or in another tab."
    ]
    assert api.redriven == []
    assert app.selectbox(key="dead_letter").value == "9"


def test_redriving_needs_the_confirmation(api: FakeApi) -> None:
    api.letters = [a_letter("4", "order.received", "42", "2026-11-24T09:00:00Z")]
    app = redrive(opened(), sure=False)

    assert [w.value for w in app.warning] == ["Tick the box to confirm first."]
    assert api.redriven == []


def test_a_letter_someone_else_redrove_meanwhile_is_the_apis_refusal_shown_in_place(
    api: FakeApi,
) -> None:
    api.letters = [a_letter("4", "order.received", "42", "2026-11-24T09:00:00Z")]
    api.refuse = (404, "dead letter '4' does not exist")
    app = redrive(opened())

    assert api.redriven == ["/v1/events/dead-letters/4/redrive"]
    assert [e.value for e in app.error] == [
        "The dead letter was not redriven: dead letter '4' does not exist"
    ]
    assert not app.success


def test_a_redrive_the_bus_fails_is_shown_under_the_dead_letters_part(api: FakeApi) -> None:
    api.letters = [a_letter("4", "order.received", "42", "2026-11-24T09:00:00Z")]
    api.refuse = (500, "the bus is unreachable")
    app = redrive(opened())

    assert [e.value for e in app.error] == ["**Dead letters**: The bus is unreachable"]
    assert app.subheader[1].value == "EDI mailbox"  # the rest of the page still renders


def test_the_mailbox_waits_for_a_channel_and_asks_for_that_partners_documents(
    api: FakeApi,
) -> None:
    app = opened()
    assert "Name a partner's channel" in shown(app)
    assert api.mailbox_queries == []

    app.text_input(key="mailbox_channel").set_value(" b2b-acme ").run()
    assert api.mailbox_queries == [{"channel": "b2b-acme", "status": "all", "limit": str(PAGE)}]
    assert "Nothing in b2b-acme's mailbox." in shown(app)
    app.segmented_control(key="mailbox_show").set_value("waiting").run()
    assert api.mailbox_queries[-1]["status"] == "pending"


def test_the_mailbox_lists_documents_newest_first_and_counts_and_marks_the_rejected(
    api: FakeApi,
) -> None:
    api.documents = [
        a_document("edi_1", "855", "accepted", []),
        a_document("edi_2", "856", "rejected", ["AK502=5", "AK304=8 (TD5, segment 5 of the set)"]),
        a_document("edi_3", "856", None, []),
    ]
    app = opened()
    app.text_input(key="mailbox_channel").set_value("b2b-acme").run()

    rows = app.dataframe[-1].value.to_dict("records")
    assert [r["reference"] for r in rows] == ["ref_edi_3", "ref_edi_2", "ref_edi_1"]
    assert rows[1] == {
        "kind": "856", "reference": "ref_edi_2", "order": "ord_edi_2",
        "control number": "000000002", "created": "2026-11-24 15:30 UTC",
        "collected by the gateway": "2026-11-24 15:31 UTC",
        "collected with": "channel:acme-gateway", "997": "rejected",
        "997 codes": "AK502=5, AK304=8 (TD5, segment 5 of the set)",
        "997 received": "2026-11-24 16:00 UTC",
    }  # fmt: skip
    assert (rows[0]["collected by the gateway"], rows[0]["997"]) == ("waiting", "no 997 yet")
    figures = {m.label: m.value for m in app.metric}
    assert figures == {
        "Documents": "3", "Waiting for the gateway": "1", "Rejected by the partner": "1"
    }  # fmt: skip
    [alarm] = app.error
    assert alarm.value.startswith("1 document rejected by the partner's 997 (856 ref_edi_2)")
    # The rejected 856, second newest, is the one row coloured, in every cell.
    styles = app.dataframe[-1].proto.arrow_data.styler.styles
    assert "background-color" in styles
    assert set(re.findall(r"_row(\d+)_col\d+", styles)) == {"1"}


def test_a_mailbox_longer_than_a_page_is_read_page_by_page(api: FakeApi) -> None:
    api.documents = [a_document(f"edi_{n}", "856", None, []) for n in range(PAGE + 3)]
    app = opened()
    app.text_input(key="mailbox_channel").set_value("b2b-acme").run()

    assert [q.get("offset") for q in api.mailbox_queries] == [None, str(PAGE)]
    assert {m.label: m.value for m in app.metric}["Documents"] == f"{PAGE + 3:,}"


def test_a_channel_the_api_refuses_is_its_sentence_under_the_mailbox_part(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = api.handle

    def refusing(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/edi/outbound":
            problem = {"detail": "query parameter 'channel': must match ^[A-Za-z0-9_.:-]+$"}
            return httpx.Response(422, json=problem)
        return handle(request)

    monkeypatch.setattr(api, "handle", refusing)
    app = opened()
    app.text_input(key="mailbox_channel").set_value("acme corp").run()

    assert [e.value for e in app.error] == [
        "**EDI mailbox**: Query parameter 'channel': must match ^[A-Za-z0-9_.:-]+$"
    ]
    assert [s.value for s in app.success] == [NO_DEAD_LETTERS]
