"""The same 860 posted twice at the same moment, over HTTP on SQLite and PostgreSQL: two
requests, each with its own connections, whose every commit waits for the other request's
to be about to commit too (the widest window they can race through). The units come off
once, the mailbox holds one 865 and the order's audit trail one `edi.po_change`; the second
answer is the first's (409 taken before) or 409 `po_change_in_flight`, never a server
error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine.service_layer.unit_of_work import UnitOfWork
from tests.e2e.conftest import Api
from tests.e2e.test_edi_orders_http import EDI
from tests.e2e.test_edi_po_changes_http import (
    DELETE_AND_DECREASE,
    URL,
    an_order,
    mailbox,
    partner,
)
from tests.support.racing import MeetingAtCommit

__all__ = ["partner"]  # the fixture, shared with the 860's other tests


def racing(api: Api, meeting: threading.Barrier) -> None:
    """Every unit of work of the API and its bus meets the other request's at its commit."""
    container = api.container

    def uow() -> UnitOfWork:
        return MeetingAtCommit(container.session_factory, meeting)

    container.uow_factory = uow
    container.bus.uow_factory = uow


def posted(api: Api) -> dict[str, Any]:
    answer = api.post(f"{URL}?channel=web", content=DELETE_AND_DECREASE.encode(), headers=EDI)
    assert answer.status_code == 200, answer.text
    [result] = answer.json()["results"]
    return dict(result)


def test_the_same_860_posted_twice_at_once_takes_its_units_off_once_and_writes_one_865(
    partner: Api,
) -> None:
    order = an_order(partner)
    racing(partner, threading.Barrier(2))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(posted, partner) for _ in "ab"]]

    statuses = sorted(result["status"] for result in results)
    assert statuses == [200, 409], results
    first = next(result for result in results if result["status"] == 200)
    second = next(result for result in results if result["status"] == 409)
    answered = [(x["line_number"], x["status"], x["quantity"]) for x in first["lines"]]
    assert answered == [("1", "ID", 2), ("2", "IQ", 1)]
    if "code" in second:  # a problem: the first was still being taken
        assert second["code"] == "po_change_in_flight", second
    else:
        assert [(x["line_number"], x["status"], x["quantity"]) for x in second["lines"]] == (
            answered
        )
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("2", 1)]
    assert len([d for d in mailbox(partner) if d["kind"] == "865"]) == 1
    trail = partner.get(f"/v1/audit?entity=order&entity_id={order['id']}").json()
    assert [entry["action"] for entry in trail].count("edi.po_change") == 1
