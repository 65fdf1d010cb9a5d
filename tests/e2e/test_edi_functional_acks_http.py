"""The partner's 997s over HTTP: an EDI order shipped puts an 856 in the mailbox; the partner's
gateway posts the 997 its translator wrote for it to `/v1/edi/outbound/997`, and the mailbox
shows the 856 rejected with the partner's codes, and a high alert asks a person to look. A
997 that cannot be read, or that names what Ordo never sent, is a 422 naming where."""

from __future__ import annotations

from typing import Any

import pytest

from ordo.bootstrap import build_workers
from tests.e2e.conftest import Api
from tests.e2e.test_edi_ship_notices_http import shipped

MAILBOX = "/v1/edi/outbound"
URL = f"{MAILBOX}/997"
EDI = {"Content-Type": "application/edi-x12"}


def a_997(*body: str, sender: str = "BUYERCO") -> str:
    """An interchange from `sender` to Ordo holding one 997 with `body` between ST and SE."""
    segments = [
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*ORDO           *261124*1600*U"
        "*00401*000000077*0*T*>",
        f"GS*FA*{sender}*ORDO*20261124*1600*77*X*004010",
        "ST*997*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*77",
        "IEA*1*000000077",
    ]
    return "~\n".join(segments) + "~\n"


def rejecting(number: str) -> str:
    """The 997 rejecting the 856 sent under `number`: its carrier's SCAC refused."""
    return a_997(f"AK1*SH*{number}", "AK2*856*0001", "AK3*TD5*5**8", "AK4*3**7*SWX",
                 "AK5*R*5", "AK9*R*1*1*0")  # fmt: skip


def post_997(api: Api, text: str, role: str = "channel", **headers: str) -> Any:
    return api.post(URL, role=role, content=text.encode(), headers={**EDI, **headers})


@pytest.fixture
def stocked(api: Api) -> Api:
    api.seed("SHOE-42", units=10)
    api.seed("SOCK-M", units=10)
    return api


def test_a_997_rejecting_the_856_shows_in_the_mailbox_and_raises_an_alert(stocked: Api) -> None:
    shipment = shipped(stocked)
    [notice] = stocked.get(MAILBOX, role="channel").json()
    assert (notice["kind"], notice["functional_ack"]) == ("856", None)
    number = str(int(notice["control_number"]))

    answer = post_997(stocked, rejecting(number))
    assert answer.status_code == 200, answer.text
    assert answer.json()["interchange"] == "000000077"
    [marked] = answer.json()["documents"]
    assert (marked["id"], marked["functional_ack"]) == (notice["id"], "rejected")

    [listed] = stocked.get(f"{MAILBOX}?status=all", role="channel").json()
    assert listed["functional_ack"] == "rejected"
    assert listed["functional_ack_codes"] == [
        "AK304=8 (TD5, segment 5 of the set)", "AK403=7 (TD5*03)", "AK502=5",
    ]  # fmt: skip
    assert listed["functional_ack_at"] is not None
    [worker] = build_workers(stocked.container, name="w1")
    for _ in range(3):
        worker.run_once()
    [alert] = stocked.get("/v1/alerts?status=open", role="support").json()
    assert (alert["rule"], alert["key"], alert["severity"]) == (
        "edi/document rejected", notice["id"], "high",
    )  # fmt: skip
    assert f"order {shipment['order_id']}" in alert["message"]
    assert "AK502=5" in alert["message"]


def test_a_997_accepting_the_856_marks_it_accepted_and_alerts_nobody(stocked: Api) -> None:
    shipped(stocked)
    [notice] = stocked.get(MAILBOX, role="channel").json()
    number = str(int(notice["control_number"]))
    accepting = a_997(f"AK1*SH*{number}", "AK9*A*1*1*1")

    unnamed = post_997(stocked, accepting, role="admin")  # an admin must name the channel
    assert unnamed.status_code == 422
    assert unnamed.json()["detail"].startswith("query parameter 'channel': is required")
    answer = stocked.post(f"{URL}?channel=web", content=accepting.encode(), headers=EDI)
    assert answer.status_code == 200, answer.text
    assert [d["functional_ack"] for d in answer.json()["documents"]] == ["accepted"]
    [worker] = build_workers(stocked.container, name="w1")
    worker.run_once()
    assert stocked.get("/v1/alerts?status=open", role="support").json() == []


def test_a_997_naming_documents_ordo_never_sent_is_a_422_naming_each(stocked: Api) -> None:
    shipped(stocked)
    [notice] = stocked.get(MAILBOX, role="channel").json()
    number = str(int(notice["control_number"]))
    # The right number from another partner, and a number Ordo never used.
    for text, where in ((rejecting(number).replace("BUYERCO", "GLOBEX"), "segment 5 (AK2)"),
                        (rejecting("999"), "segment 5 (AK2)")):  # fmt: skip
        answer = post_997(stocked, text)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert body["code"] == "unknown_documents"
        assert [e["path"] for e in body["errors"]] == [where]
        assert "never sent this partner" in body["detail"]
    [listed] = stocked.get(MAILBOX, role="channel").json()
    assert listed["functional_ack"] is None


def test_a_997_that_cannot_be_read_is_a_422_naming_the_segment_and_element(api: Api) -> None:
    answer = post_997(api, a_997("AK1*SH*2", "AK2*856*0001", "AK5*Q", "AK9*R*1*1*0"))
    assert answer.status_code == 422
    body = answer.json()
    assert (body["code"], body["instance"]) == ("invalid_functional_ack", URL)
    assert [e["path"] for e in body["errors"]] == ["segment 6 (AK5), element 01"]
    assert "acknowledgement code 'Q'" in body["detail"]

    unreadable = post_997(api, "AK1*SH*2~")
    assert (unreadable.status_code, unreadable.json()["code"]) == (422, "unreadable_interchange")
    assert unreadable.json()["errors"][0]["path"] == "segment 1 (ISA)"


def test_a_997_sent_as_json_is_a_415(api: Api) -> None:
    answer = api.post(URL, role="channel", json={"ak1": "SH"})
    assert answer.status_code == 415
    assert "application/edi-x12" in answer.json()["detail"]
