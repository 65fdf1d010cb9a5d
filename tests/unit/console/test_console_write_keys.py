"""The console sends an `Idempotency-Key` with every write, naming the person's action: the
same action sent again after its answer was lost (a timeout, a 5xx, the API still busy with it)
goes under the same key, so the API does it once; a new action, or the same one after its
answer was shown, gets a new key. The client is driven over an httpx mock transport, and the
Inventory page by AppTest against a fake API that keeps keys as the real one does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from admin_ui import session
from admin_ui.client import ApiError, OrdoClient
from admin_ui.idempotency import MAX_KEPT, WriteKeys

KEY = "idempotency-key"
ARRIVING = date(2026, 12, 1)
PAGE = Path(__file__).resolve().parents[3] / "admin_ui" / "screens" / "inventory.py"
IN_FLIGHT = {
    "status": 409,
    "code": "idempotency_key_in_flight",
    "detail": "a request with Idempotency-Key 'console-1' is still being processed; retry after "
    "it finishes to receive its response",
}
Reply = Callable[[httpx.Request], httpx.Response]


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": "x", "sku": "SHOE-42", "location_code": "NJ-EWR"})


@dataclass
class Recorder:
    """A mock API answering each request with the next reply given (`ok` once they run
    out), remembering the key each request carried ("" for none)."""

    replies: list[Reply] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.keys.append(request.headers.get(KEY, ""))
        return (self.replies.pop(0) if self.replies else ok)(request)

    def client(self, keys: WriteKeys | None = None) -> OrdoClient:
        return OrdoClient("http://api.test", "k", transport=httpx.MockTransport(self), keys=keys)


def times_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def gateway_gave_up(request: httpx.Request) -> httpx.Response:
    return httpx.Response(504, json={"status": 504, "detail": "the upstream did not answer"})


def still_running(request: httpx.Request) -> httpx.Response:
    return httpx.Response(409, json=IN_FLIGHT, headers={"content-type": "application/problem+json"})


def move(client: OrdoClient, units: int = 3) -> None:
    client.transfer("SHOE-42", "NJ-EWR", "CA-LAX", units, ARRIVING)


def test_a_write_carries_an_idempotency_key_and_a_read_does_not() -> None:
    api = Recorder()
    with api.client() as client:
        client.get_order("ord_1")
        client.stock_for_sku("SHOE-42")
        client.cancel_order("ord_1", "customer asked")
        move(client)
        client.release_hold("ord_2")
    assert [bool(key) for key in api.keys] == [False, False, True, True, True]
    assert len(set(api.keys[2:])) == 3


def test_a_post_that_only_checks_a_ruleset_carries_no_key() -> None:
    api = Recorder()
    with api.client() as client:
        client.validate("sourcing ruleset r on order.received policy best_score")
        client.validate_version("rsv_1")
        client.run_scenarios("rsv_1")
    assert api.keys == ["", "", ""]


@pytest.mark.parametrize("lost", [times_out, gateway_gave_up, still_running])
def test_the_same_action_sent_again_after_its_answer_was_lost_carries_the_same_key(
    lost: Reply,
) -> None:
    api, keys = Recorder([lost]), WriteKeys()
    with api.client(keys) as first, pytest.raises(ApiError):
        move(first)
    with api.client(keys) as retry:  # the next page run opens a client of its own
        move(retry)
    assert api.keys[0] and api.keys == [api.keys[0]] * 2


def test_a_timed_out_write_says_doing_it_again_is_safe() -> None:
    with Recorder([times_out]).client() as client, pytest.raises(ApiError) as caught:
        move(client)
    assert caught.value.message == (
        "the API at http://api.test did not answer in time, so it is not known whether this "
        "was done; do it again to find out: the API does not do it twice"
    )


def test_an_action_still_being_processed_reads_as_try_again_in_a_moment() -> None:
    with Recorder([still_running]).client() as client, pytest.raises(ApiError) as caught:
        move(client)
    assert caught.value.still_running
    assert caught.value.status == 409
    assert caught.value.message == "that request is still being processed; try again in a moment"


def test_other_values_are_a_new_action_with_a_new_key() -> None:
    api = Recorder([times_out])
    with api.client() as client:
        with pytest.raises(ApiError):
            move(client, 3)
        move(client, 4)
    assert api.keys[0] != api.keys[1]


def test_the_same_action_after_a_page_run_showed_its_answer_gets_a_new_key() -> None:
    api, keys = Recorder(), WriteKeys()
    keys.new_run()
    with api.client(keys) as client:
        move(client)  # and the page reruns to show the stock as it is now
    keys.new_run()
    keys.settle()  # the run that showed the answer ended with it on screen
    keys.new_run()
    with api.client(keys) as client:
        move(client)
    assert api.keys[0] != api.keys[1]


def test_an_answered_action_resent_by_the_run_a_second_click_queued_keeps_its_key() -> None:
    api, keys = Recorder([ok, replayed]), WriteKeys()
    keys.new_run()
    with api.client(keys) as client:
        move(client)  # and the page reruns to show the stock as it is now
    # That run never ended on its own: the rerun runs the queued click, submitting again.
    keys.new_run()
    with api.client(keys) as client:
        move(client)
    keys.new_run()
    keys.settle()
    with api.client(keys) as client:
        move(client)
    assert api.keys[0] == api.keys[1] != api.keys[2]


def replayed(request: httpx.Request) -> httpx.Response:
    body = {"id": "ord_1", "status": "cancelled", "sku": "SHOE-42", "location_code": "NJ-EWR"}
    return httpx.Response(200, json=body, headers={"idempotent-replayed": "true"})


def test_an_answer_given_again_lasts_no_longer_than_the_run_that_showed_it() -> None:
    api, keys = Recorder([ok, replayed]), WriteKeys()
    keys.new_run()
    with api.client(keys) as client:
        move(client)
    keys.settle()  # a page that shows the answer without running again
    keys.new_run()
    with api.client(keys) as client:
        move(client)  # the click queued meanwhile: the first answer again
    keys.settle()
    keys.new_run()
    with api.client(keys) as client:
        move(client)
    assert api.keys[0] == api.keys[1] != api.keys[2]


def test_a_refused_action_is_answered_so_trying_it_after_the_refusal_was_shown_is_new() -> None:
    refused = httpx.Response(409, json={"status": 409, "code": "conflict", "detail": "held"})
    api, keys = Recorder([lambda request: refused]), WriteKeys()
    with api.client(keys) as client, pytest.raises(ApiError) as caught:
        move(client)
    assert not caught.value.still_running
    keys.new_run()
    keys.settle()
    with api.client(keys) as client:
        move(client)
    assert api.keys[0] != api.keys[1]


def test_a_replayed_answer_is_returned_as_the_success_it_was_and_counted() -> None:
    keys = WriteKeys()
    with Recorder([replayed]).client(keys) as client:
        assert client.cancel_order("ord_1", "customer asked")["status"] == "cancelled"
    assert keys.take_replays() == 1
    assert keys.take_replays() == 0


def test_a_session_keeps_the_keys_of_its_latest_lost_answers_only() -> None:
    api, keys = Recorder([times_out] * (MAX_KEPT + 1)), WriteKeys()
    with api.client(keys) as client:
        for units in range(1, MAX_KEPT + 2):
            with pytest.raises(ApiError):
                move(client, units)
        move(client, MAX_KEPT + 1)  # the newest lost answer: still its key
        move(client, 1)  # the oldest: forgotten, a new key
    assert api.keys[-2] == api.keys[MAX_KEPT]
    assert api.keys[-1] != api.keys[0]


# --- the Inventory page, retried through the console ------------------------------------


@dataclass
class StockApi:
    """The routes the Inventory page calls, keeping each transfer's answer under its key as the
    API does; `lose` is how many of the next transfers are done but their answers lost."""

    lose: int = 0
    busy: int = 0  # how many of the next transfers find their key's first request running
    on_hand: int = 20
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/v1/locations":
            return httpx.Response(200, json=[])
        if request.method != "POST" or request.url.path != "/v1/inventory/transfers":
            return httpx.Response(404, json={"detail": f"no route {request.url.path}"})
        key = request.headers.get(KEY, "")
        self.keys.append(key)
        if self.busy:
            self.busy -= 1
            return still_running(request)
        if key in self.answers:
            return httpx.Response(
                200, json=self.answers[key], headers={"idempotent-replayed": "true"}
            )
        self.on_hand -= json.loads(request.content)["quantity"]
        answer = {"sku": "SHOE-42", "location_code": "NJ-EWR", "on_hand": self.on_hand,
                  "reserved": 0, "safety_stock": 0, "available": self.on_hand,
                  "channel_allocations": {}}  # fmt: skip
        self.answers[key] = answer
        if self.lose:
            self.lose -= 1
            return times_out(request)
        return httpx.Response(200, json=answer)


@pytest.fixture
def stock(monkeypatch: pytest.MonkeyPatch) -> Iterator[StockApi]:
    """The fake API every client the console opens reaches, with the session's keys."""
    api = StockApi()
    transport = httpx.MockTransport(api.handle)
    monkeypatch.setattr(session, "OrdoClient", partial(OrdoClient, transport=transport))
    yield api


def inventory() -> AppTest:
    app = AppTest.from_file(str(PAGE), default_timeout=30)
    app.session_state["ordo_principal"] = {
        "key_id": "key_1", "name": "admin", "role": "admin", "channel": "", "locations": [],
        "customer_id": "",
    }  # fmt: skip
    app.run()
    assert not app.exception, app.exception
    fields = {t.label: t for t in app.text_input}
    fields["SKU to move"].set_value("SHOE-42")
    fields["From location"].set_value("NJ-EWR")
    fields["To location"].set_value("CA-LAX")
    next(n for n in app.number_input if n.label == "Units").set_value(3)
    next(c for c in app.checkbox if c.label == "Yes, move these units").check()
    return app


def transfer(app: AppTest) -> AppTest:
    next(b for b in app.button if b.label == "Transfer").click().run()
    assert not app.exception, app.exception
    return app


def test_transferring_again_after_a_lost_answer_moves_the_units_once(stock: StockApi) -> None:
    stock.lose = 1
    app = transfer(inventory())
    [lost] = [str(e.value) for e in app.error]
    assert lost.startswith(f"**Transfer**: The API at {session.DEFAULT_API_URL}")
    assert lost.endswith(
        "did not answer in time, so it is not known whether this was done; do it again to "
        "find out: the API does not do it twice"
    )
    transfer(app)
    assert stock.on_hand == 17
    assert len(stock.keys) == 2 and stock.keys[0] == stock.keys[1]
    assert any("Moved 3 × SHOE-42 out of NJ-EWR (now 17 on hand" in s.value for s in app.success)
    assert session.REPLAYED in [str(i.value) for i in app.info]


def test_the_same_transfer_made_again_after_its_success_was_shown_moves_the_units_again(
    stock: StockApi,
) -> None:
    app = transfer(transfer(inventory()))
    assert stock.on_hand == 14
    assert stock.keys[0] != stock.keys[1]
    assert session.REPLAYED not in [str(i.value) for i in app.info]


def test_a_transfer_still_being_processed_asks_to_try_again_in_a_moment(stock: StockApi) -> None:
    stock.busy = 1
    app = transfer(inventory())
    assert [str(w.value) for w in app.warning] == [
        "**Transfer**: That request is still being processed; try again in a moment."
    ]
    assert not app.error
