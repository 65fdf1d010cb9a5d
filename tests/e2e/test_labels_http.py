"""Shipping and return labels over HTTP: made through the carrier, kept, downloaded, and who may."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from engine.adapters import orm
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, issue_role_keys, order

ADA = {
    "name": "Ada Lovelace",
    "line1": "350 5th Ave",
    "city": "New York",
    "state": "NY",
    "postal_code": "10001",
}
SITES = {
    "DAL-01": {"name": "Dallas DC", "line1": "100 Commerce St", "city": "Dallas", "state": "TX",
               "postal_code": "75201"},
    "RNO-02": {"name": "Reno DC", "line1": "1 Sierra St", "city": "Reno", "state": "NV",
               "postal_code": "89501"},
}  # fmt: skip


def site(api: Api, code: str = "DAL-01") -> None:
    """A location with the full address a label prints (the shared seed has no street)."""
    address = {k: v for k, v in SITES[code].items() if k != "name"}
    body = {"name": SITES[code]["name"], "type": "warehouse", "address": address}
    assert api.put(f"/v1/locations/{code}", json=body).status_code == 200


def shipment_of(api: Api, channel_order_id: str, location: str = "DAL-01", **extra: Any) -> Any:
    """The one shipment of a fresh order to Ada, stocked only at `location`."""
    site(api, location)
    api.seed(units=10, location=location)
    body = order(channel_order_id, ship_to=extra.pop("ship_to", ADA), **extra)
    created = api.post("/v1/orders", role="channel", json=body)
    assert created.status_code == 201, created.text
    [shipment] = api.get(f"/v1/orders/{created.json()['id']}").json()["shipments"]
    assert shipment["carrier"], shipment
    return shipment


def make(api: Api, shipment: Any, format: str = "pdf", role: str = "warehouse") -> Any:
    return api.post(f"/v1/shipments/{shipment['id']}/label", role=role, json={"format": format})


def actions(api: Api, entity: str, entity_id: str) -> list[str]:
    entries = api.get(f"/v1/audit?entity={entity}&entity_id={entity_id}").json()
    return [e["action"] for e in entries]


def events_named(api: Api, name: str) -> list[dict[str, Any]]:
    with api.container.engine.connect() as connection:
        rows = connection.execute(
            select(orm.outbox.c.payload).where(orm.outbox.c.name == name)
        ).all()
    return [dict(row.payload) for row in rows]


# --- shipping labels ---------------------------------------------------------------------------


def test_a_shipping_label_is_made_through_the_carrier_kept_and_downloaded(api: Api) -> None:
    shipment = shipment_of(api, "L-1")
    assert (shipment["tracking_number"], shipment["label_format"]) == ("", "")

    made = make(api, shipment)

    assert made.status_code == 200, made.text
    labelled = made.json()
    assert labelled["label_format"] == "pdf"
    assert labelled["tracking_number"].startswith(shipment["carrier"])
    assert "label" not in labelled
    download = api.get(f"/v1/shipments/{shipment['id']}/label", role="warehouse")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="label-{shipment["id"]}.pdf"'
    )
    assert download.content.startswith(b"%PDF-")
    assert b"/MediaBox [ 0 0 288 432 ]" in download.content
    assert actions(api, "shipment", shipment["id"]) == ["shipment.label"]
    [event] = events_named(api, "shipment.labelled")
    assert (event["shipment_id"], event["tracking_number"], event["format"]) == (
        shipment["id"],
        labelled["tracking_number"],
        "pdf",
    )
    listed = api.get("/v1/shipments", role="warehouse").json()
    assert [(s["tracking_number"], s["label_format"]) for s in listed] == [
        (labelled["tracking_number"], "pdf")
    ]
    assert all("label" not in s for s in listed)


def test_asked_again_the_label_is_kept_and_the_other_format_prints_the_same_number(
    api: Api,
) -> None:
    shipment = shipment_of(api, "L-2")
    first = make(api, shipment).json()
    pdf = api.get(f"/v1/shipments/{shipment['id']}/label", role="warehouse").content

    again = make(api, shipment, role="admin")
    assert again.status_code == 200
    assert again.json()["tracking_number"] == first["tracking_number"]
    assert api.get(f"/v1/shipments/{shipment['id']}/label").content == pdf
    assert actions(api, "shipment", shipment["id"]) == ["shipment.label"]

    as_zpl = make(api, shipment, "zpl")
    assert (as_zpl.json()["tracking_number"], as_zpl.json()["label_format"]) == (
        first["tracking_number"],
        "zpl",
    )
    download = api.get(f"/v1/shipments/{shipment['id']}/label", role="support")
    assert download.headers["content-type"] == "application/x-zpl"
    assert download.headers["content-disposition"].endswith(f'label-{shipment["id"]}.zpl"')
    text = download.text
    assert text.startswith("^XA") and f"^FD{first['tracking_number']}^FS" in text
    assert "^FDAda Lovelace^FS" in text and "^FDDallas DC^FS" in text
    assert actions(api, "shipment", shipment["id"]) == ["shipment.label", "shipment.label"]


def test_a_status_report_may_not_change_the_tracking_number_on_the_label(api: Api) -> None:
    shipment = shipment_of(api, "L-3")
    number = make(api, shipment).json()["tracking_number"]
    path = f"/v1/shipments/{shipment['id']}/status"

    changed = api.post(path, role="warehouse", json={"status": "shipped", "tracking_number": "1Z9"})
    assert changed.status_code == 409, changed.text
    assert f"tracking number {number}" in changed.json()["detail"]
    same = api.post(path, role="warehouse", json={"status": "shipped", "tracking_number": number})
    assert same.status_code == 200, same.text
    assert same.json()["tracking_number"] == number


def test_a_tracking_number_reported_before_the_label_is_the_one_it_prints(api: Api) -> None:
    shipment = shipment_of(api, "L-9")
    path = f"/v1/shipments/{shipment['id']}"
    reported = {"status": "picked", "tracking_number": "1Z999AA10123456784"}
    assert api.post(f"{path}/status", role="warehouse", json=reported).status_code == 200

    made = make(api, shipment, "zpl")

    assert made.json()["tracking_number"] == "1Z999AA10123456784"
    assert "^FH^FD1Z999AA10123456784^FS" in api.get(f"{path}/label", role="warehouse").text


def test_a_warehouse_labels_only_shipments_of_its_own_locations(api: Api) -> None:
    shipment = shipment_of(api, "L-4", location="RNO-02")
    assert make(api, shipment).status_code == 404
    assert make(api, shipment, role="admin").status_code == 200
    label = f"/v1/shipments/{shipment['id']}/label"
    assert api.get(label, role="warehouse").status_code == 404
    assert api.get(label, role="support").status_code == 200
    assert api.get(label, role="customer").status_code == 403


def test_a_label_not_made_yet_is_a_404_saying_how_to_make_one(api: Api) -> None:
    shipment = shipment_of(api, "L-5")
    missing = api.get(f"/v1/shipments/{shipment['id']}/label", role="warehouse")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["detail"] == (
        f"shipment {shipment['id']} has no label yet: make one first "
        f"(POST /v1/shipments/{shipment['id']}/label with its format)"
    )


def test_an_address_the_label_needs_a_field_of_is_refused_naming_it(api: Api) -> None:
    shipment = shipment_of(api, "L-6", ship_to={"postal_code": "10001", "city": "New York"})
    refused = make(api, shipment)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith(f"shipment {shipment['id']} cannot be labelled: to_name: missing")
    assert f"order {shipment['order_id']}'s ship_to.name" in detail
    assert api.get(f"/v1/shipments/{shipment['id']}").json()["tracking_number"] == ""


def test_a_format_that_is_not_pdf_or_zpl_is_refused_at_its_path(api: Api) -> None:
    shipment = shipment_of(api, "L-7")
    refused = make(api, shipment, "png")
    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == ["$.format"]


@pytest.fixture
def manual_api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """A deployment that releases orders by hand, so an order can be cancelled with its
    shipment still pending."""
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        auto_release=False,
    )
    with build_app_container(settings) as container:
        app = create_app(container)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, issue_role_keys(container), container, app)


def test_a_cancelled_shipment_gets_no_label(manual_api: Api) -> None:
    shipment = shipment_of(manual_api, "L-8")
    cancelled = manual_api.post(
        f"/v1/orders/{shipment['order_id']}/cancel", role="support", json={"reason": "changed mind"}
    )
    assert cancelled.status_code == 200, cancelled.text

    refused = make(manual_api, shipment)

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"shipment {shipment['id']} is cancelled: nothing will be sent, so it gets no label"
    )


# --- return labels -----------------------------------------------------------------------------


def delivered(api: Api, channel_order_id: str, **extra: Any) -> Any:
    shipment = shipment_of(api, channel_order_id, **extra)
    for status in ("shipped", "delivered"):
        moved = api.post(f"/v1/shipments/{shipment['id']}/status", json={"status": status})
        assert moved.status_code == 200, moved.text
    return api.get(f"/v1/orders/{shipment['order_id']}").json()


def returned(api: Api, placed: Any, role: str = "customer") -> Any:
    body = {"lines": [{"order_line_id": placed["lines"][0]["id"], "quantity": 1}]}
    created = api.post(f"/v1/orders/{placed['id']}/returns", role=role, json=body)
    assert created.status_code == 201, created.text
    return created.json()


def return_label(api: Api, ret: Any, role: str = "support", **body: Any) -> Any:
    return api.post(f"/v1/returns/{ret['id']}/label", role=role, json={"format": "pdf", **body})


def test_an_authorised_return_gets_a_label_back_to_its_location_carrying_its_rma(
    api: Api,
) -> None:
    placed = delivered(api, "RL-1")
    [shipment] = placed["shipments"]
    ret = returned(api, placed)

    early = return_label(api, ret, location_code="DAL-01")
    assert early.status_code == 409
    assert "'requested': only an authorised return gets a label" in early.json()["detail"]
    rma = api.post(f"/v1/returns/{ret['id']}/authorise", role="support").json()["rma"]
    nowhere = return_label(api, ret, role="customer")
    assert nowhere.status_code == 409
    assert "has no receiving location yet" in nowhere.json()["detail"]

    made = return_label(api, ret, location_code="DAL-01")

    assert made.status_code == 200, made.text
    labelled = made.json()
    assert (labelled["location_code"], labelled["carrier"], labelled["label_format"]) == (
        "DAL-01",
        shipment["carrier"],
        "pdf",
    )
    assert labelled["service"] and labelled["tracking_number"].startswith(shipment["carrier"])
    assert labelled["tracking_number"] != shipment["tracking_number"]
    download = api.get(f"/v1/returns/{ret['id']}/label", role="customer")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        f'attachment; filename="return-label-{ret["id"]}.pdf"'
    )
    assert download.content.startswith(b"%PDF-")

    as_zpl = return_label(api, ret, role="customer", format="zpl")
    assert as_zpl.status_code == 200, as_zpl.text
    assert as_zpl.json()["tracking_number"] == labelled["tracking_number"]
    text = api.get(f"/v1/returns/{ret['id']}/label", role="customer").text
    assert f"^FD{rma}^FS" in text and f"^BCN,100,N,N,N,A^FH^FD{rma}^FS" in text
    assert "^FDAda Lovelace^FS" in text and "^FDDallas DC^FS" in text  # from Ada, to Dallas
    assert text.index("^FDAda Lovelace^FS") < text.index("^FDDallas DC^FS")
    assert actions(api, "return", ret["id"]).count("return.label") == 2
    assert [e["rma"] for e in events_named(api, "return.labelled")] == [rma, rma]

    received = api.post(
        f"/v1/returns/{ret['id']}/receive", role="warehouse", json={"location_code": "DAL-01"}
    )
    assert received.status_code == 200
    late = return_label(api, ret)
    assert late.status_code == 409 and "has arrived already" in late.json()["detail"]


def test_a_return_label_once_made_does_not_change_its_destination(api: Api) -> None:
    placed = delivered(api, "RL-2")
    ret = returned(api, placed)
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    site(api, "RNO-02")
    assert return_label(api, ret, location_code="DAL-01").status_code == 200
    moved = return_label(api, ret, location_code="RNO-02", format="zpl")
    assert moved.status_code == 409
    assert "already has a label sending it to DAL-01" in moved.json()["detail"]
    assert api.get(f"/v1/returns/{ret['id']}").json()["location_code"] == "DAL-01"


def test_a_customer_prints_their_own_return_label_and_no_one_elses(api: Api) -> None:
    mine = delivered(api, "RL-3")
    theirs = delivered(api, "RL-4", customer_id="C-2")
    for placed in (mine, theirs):
        ret = returned(api, placed, role="support")
        api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
        assert return_label(api, ret, location_code="DAL-01").status_code == 200
        placed["return"] = ret
    own, other = mine["return"]["id"], theirs["return"]["id"]

    assert api.get(f"/v1/returns/{own}/label", role="customer").status_code == 200
    assert api.get(f"/v1/returns/{other}/label", role="customer").status_code == 404
    refused = api.post(f"/v1/returns/{other}/label", role="customer", json={"format": "zpl"})
    assert refused.status_code == 404
    assert api.get(f"/v1/returns/{other}/label", role="warehouse").status_code == 403


def test_a_customer_may_not_choose_where_the_return_goes(api: Api) -> None:
    placed = delivered(api, "RL-5")
    ret = returned(api, placed)
    api.post(f"/v1/returns/{ret['id']}/authorise", role="support")
    refused = return_label(api, ret, role="customer", location_code="DAL-01")
    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == ["$.location_code"]
    assert api.get(f"/v1/returns/{ret['id']}/label", role="support").status_code == 404
