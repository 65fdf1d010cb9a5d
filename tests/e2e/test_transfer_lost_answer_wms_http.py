"""A ship-to-store transfer the Dallas WMS took but whose answer was lost (it answers the
transfer order 500, so Ordo keeps no reference), then cancelled over HTTP with its order: the
worker asks the WMS for the transfer order by the transfer's id (`GET
/transfer-orders?id=...`), keeps the reference it names and cancels it there, raising
`transfer.wms_cancelled`; a WMS holding none is sent no cancellation and alerts nobody."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ordo.bootstrap import Container, build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, run_worker
from tests.e2e.test_pickup_orders_http import outbox
from tests.e2e.test_transfer_shipped_http import a_transfer_to_the_store
from tests.support.fake_wms import FakeWms, fake_wms


@pytest.fixture
def dallas() -> Iterator[FakeWms]:
    """Dallas's WMS at /dallas: it takes transfer orders but its answer never comes back."""
    with fake_wms({("POST", "/dallas/transfer-orders"): (500, {"message": "lost"})}) as found:
        yield found


@pytest.fixture
def container(database_url: str, tmp_path: Path, dallas: FakeWms) -> Iterator[Container]:
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        wms=json.dumps({"dallas": dallas.entry("dallas", "DAL-01")}),
    )
    with build_app_container(settings) as built:
        yield built


def sent_answer_lost(api: Api, dallas: FakeWms) -> tuple[str, str]:
    """A transfer to the store whose transfer order Dallas took, its answer lost: (its
    order's id, the transfer's id)."""
    order_id, transfer_id = a_transfer_to_the_store(api)
    run_worker(api, rounds=2)
    assert [(method, key) for method, _, key, _ in dallas.requests][:1] == [("POST", transfer_id)]
    [listed] = api.get("/v1/inventory/transfers").json()
    assert not listed["wms_reference"]  # the answer never came
    return order_id, transfer_id


def cancelled(api: Api, order_id: str) -> None:
    """The order cancelled over HTTP (its transfer with it), and the worker run."""
    response = api.post(f"/v1/orders/{order_id}/cancel", json={"reason": "changed her mind"})
    assert response.status_code == 200, response.text
    run_worker(api)


def test_a_transfer_whose_answer_was_lost_is_found_at_the_wms_and_cancelled_there(
    api: Api, dallas: FakeWms
) -> None:
    order_id, transfer_id = sent_answer_lost(api, dallas)
    lookup = ("GET", f"/dallas/transfer-orders?id={transfer_id}")
    dallas.routes[lookup] = (200, {"reference": "TO-77"})
    dallas.routes[("POST", "/dallas/transfer-orders/TO-77/cancel")] = (204, None)

    cancelled(api, order_id)

    calls = [(method, path) for method, path, _, _ in dallas.requests]
    assert calls[-2:] == [lookup, ("POST", "/dallas/transfer-orders/TO-77/cancel")]
    _, _, key, body = dallas.requests[-1]
    assert (key, body["message"], body["reference"]) == (f"{transfer_id}:cancel", "cancel", "TO-77")
    [listed] = api.get("/v1/inventory/transfers").json()
    assert listed["wms_reference"] == "TO-77"
    [cancelled_there] = outbox(api, "transfer.wms_cancelled")
    assert cancelled_there["wms_reference"] == "TO-77"
    assert api.get("/v1/alerts").json() == []


def test_a_transfer_the_wms_holds_none_of_is_sent_no_cancellation(
    api: Api, dallas: FakeWms
) -> None:
    order_id, transfer_id = sent_answer_lost(api, dallas)
    dallas.routes[("GET", f"/dallas/transfer-orders?id={transfer_id}")] = (404, {"found": False})

    cancelled(api, order_id)

    assert [method for method, _, _, _ in dallas.requests if method != "POST"] == ["GET"]
    assert not [path for _, path, _, _ in dallas.requests if path.endswith("/cancel")]
    assert outbox(api, "transfer.wms_cancelled") == []
    assert api.get("/v1/alerts").json() == []
