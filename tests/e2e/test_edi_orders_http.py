"""B2B orders over EDI through HTTP: a trading partner posts an X12 interchange of 850
purchase orders to `/v1/orders/x12`; each becomes an order decided like any other, and the
answer carries the 997 functional acknowledgement to send back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.channels import x12
from tests.e2e.conftest import Api

URL = "/v1/orders/x12"
SAMPLE = (Path(__file__).parents[1] / "unit" / "connectors" / "x12_850_sample.edi").read_text()
EDI = {"Content-Type": "application/edi-x12"}


def purchase_order(
    po_number: str, *, purpose: str = "00", postal_code: str = "10001", quantity: str = "1"
) -> list[str]:
    """The segments of one 850 between ST and SE."""
    return [
        f"BEG*{purpose}*SA*{po_number}**20261121",
        "N1*BY*Buyer Company*92*C-1001",
        "N1*ST*Ada Lovelace",
        "N3*350 5th Ave",
        f"N4*New York*NY*{postal_code}*US",
        f"PO1*1*{quantity}*EA*59.90**VP*SHOE-42",
    ]


def interchange(*orders: list[str]) -> str:
    """An interchange of one group holding `orders`, its counts and control numbers right."""
    segments = [
        "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261121*1741*U"
        "*00401*000000905*0*T*>",
        "GS*PO*BUYERCO*ORDO*20261121*1741*905*X*004010",
    ]
    for number, body in enumerate(orders, start=1):
        control = f"{number:04d}"
        segments += [f"ST*850*{control}", *body, f"SE*{len(body) + 2}*{control}"]
    segments += [f"GE*{len(orders)}*905", "IEA*1*000000905"]
    return "~\n".join(segments) + "~\n"


def post(api: Api, text: str, role: str = "admin", channel: str | None = "web", **kw: Any) -> Any:
    url = URL if channel is None else f"{URL}?channel={channel}"
    headers = {**EDI, **kw.pop("headers", {})}
    return api.post(url, role=role, content=text.encode(), headers=headers, **kw)


def acknowledged(answer: dict[str, Any]) -> dict[str, list[list[str]]]:
    """The 997 of an answer, read back with the connector's own parser: its segments by id."""
    ack = x12.parse(answer["acknowledgement"])
    by_tag: dict[str, list[list[str]]] = {}
    for tset in ack.groups[0].transaction_sets:
        for segment in tset.segments:
            by_tag.setdefault(segment.tag, []).append(list(segment.elements))
    return by_tag


@pytest.fixture
def stocked(api: Api) -> Api:
    api.seed("SHOE-42", units=10)
    api.seed("SOCK-M", units=10)
    return api


def test_an_interchange_becomes_an_order_decided_like_any_other_and_a_997_accepting_it(
    stocked: Api,
) -> None:
    answer = post(stocked, SAMPLE)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["interchange"], body["created"], body["failed"]) == ("000000905", 1, 0)
    [result] = body["results"]
    assert (result["group"], result["control_number"], result["po_number"]) == (
        "905",
        "0001",
        "PO-1001",
    )
    order = result["order"]
    assert (result["status"], order["channel"], order["channel_order_id"]) == (
        201,
        "web",
        "PO-1001",
    )
    assert (order["customer_id"], order["status"], order["requested_date"]) == (
        "C-1001",
        "released",
        "2026-11-28",
    )
    assert [(line["sku"], line["quantity"]) for line in order["lines"]] == [
        ("SHOE-42", 2),
        ("SOCK-M", 3),
    ]
    detail = stocked.get(f"/v1/orders/{order['id']}").json()
    assert [e["action"] for e in detail["events"]][:1] == ["order.create"]
    ack = acknowledged(body)
    assert (ack["AK1"], ack["AK2"], ack["AK5"], ack["AK9"]) == (
        [["PO", "905"]],
        [["850", "0001"]],
        [["A"]],
        [["A", "1", "1", "1"]],
    )


def test_one_bad_purchase_order_is_rejected_and_the_others_become_orders(stocked: Api) -> None:
    text = interchange(
        purchase_order("PO-1"), purchase_order("PO-2", quantity="x"), purchase_order("PO-3")
    )
    body = post(stocked, text).json()
    assert [(r["po_number"], r["status"]) for r in body["results"]] == [
        ("PO-1", 201),
        ("PO-2", 422),
        ("PO-3", 201),
    ]
    assert (body["created"], body["failed"]) == (2, 1)
    [error] = body["results"][1]["problem"]["errors"]
    # ISA, GS, then PO-1's eight segments: PO-2's ST is segment 11, its PO1 segment 17.
    assert (error["path"], error["message"]) == (
        "segment 17 (PO1), element 02",
        "quantity 'x' is not a number",
    )
    ack = acknowledged(body)
    assert ack["AK5"] == [["A"], ["R", "5"], ["A"]]
    assert (ack["AK3"], ack["AK4"]) == ([["PO1", "7", "", "8"]], [["2", "", "6", "x"]])
    assert ack["AK9"] == [["P", "3", "3", "2"]]
    found = stocked.get("/v1/orders?channel=web").json()
    assert sorted(o["channel_order_id"] for o in found) == ["PO-1", "PO-3"]


def test_a_postal_code_the_order_model_refuses_is_named_by_its_n4_element(stocked: Api) -> None:
    body = post(stocked, interchange(purchase_order("PO-1", postal_code="1" * 21))).json()
    [result] = body["results"]
    assert result["status"] == 422
    [error] = result["problem"]["errors"]
    assert error["path"] == "segment 8 (N4), element 03"
    assert "(Ordo's $.ship_to.postal_code)" in error["message"]
    assert "segment 8 (N4), element 03" in result["problem"]["detail"]
    ack = acknowledged(body)
    assert (ack["AK3"], ack["AK4"][0][:3]) == ([["N4", "6", "", "8"]], ["3", "", "5"])


def test_a_cancellation_is_refused_with_its_reason_and_rejected_in_the_997(stocked: Api) -> None:
    body = post(stocked, interchange(purchase_order("PO-1", purpose="01"))).json()
    [result] = body["results"]
    [error] = result["problem"]["errors"]
    assert error["path"] == "segment 4 (BEG), element 01"
    assert "purpose '01' (cancellation) is not taken" in error["message"]
    assert acknowledged(body)["AK5"] == [["R", "5"]]
    assert stocked.get("/v1/orders?channel=web").json() == []


def test_a_purchase_order_sent_again_is_answered_as_a_batch_repeat_and_still_acknowledged(
    stocked: Api,
) -> None:
    first = post(stocked, interchange(purchase_order("PO-1"))).json()
    again = post(stocked, interchange(purchase_order("PO-1"))).json()
    assert first["results"][0]["status"] == 201
    [repeat] = again["results"]
    assert (repeat["status"], repeat["problem"]["code"]) == (409, "conflict")
    assert "retry with the same Idempotency-Key" in repeat["problem"]["detail"]
    assert acknowledged(again)["AK5"] == [["A"]]
    assert len(stocked.get("/v1/orders?channel=web").json()) == 1


def test_a_channel_key_files_the_orders_under_its_own_channel_only(stocked: Api) -> None:
    own = post(stocked, interchange(purchase_order("PO-1")), role="channel", channel=None)
    assert own.status_code == 200, own.text
    assert own.json()["results"][0]["order"]["channel"] == "web"
    other = post(stocked, interchange(purchase_order("PO-2")), role="channel", channel="shop")
    assert other.status_code == 403
    assert "ingests for channel 'web', not 'shop'" in other.json()["detail"]


def test_an_admin_must_name_the_channel(stocked: Api) -> None:
    answer = post(stocked, interchange(purchase_order("PO-1")), channel=None)
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("query parameter 'channel': is required")


def test_a_json_body_is_refused_with_415_naming_the_expected_type(api: Api) -> None:
    answer = api.post(f"{URL}?channel=web", json={"orders": []})
    assert answer.status_code == 415
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Content-Type: application/edi-x12" in answer.json()["detail"]
    assert "not 'application/json'" in answer.json()["detail"]


def test_text_plain_is_taken_too(stocked: Api) -> None:
    text = interchange(purchase_order("PO-1"))
    answer = post(stocked, text, headers={"Content-Type": "text/plain; charset=utf-8"})
    assert answer.status_code == 200, answer.text


def test_an_envelope_that_cannot_be_read_is_a_422_naming_the_segment(api: Api) -> None:
    text = interchange(purchase_order("PO-1")).replace("IEA*1*000000905", "IEA*1*000000906")
    answer = post(api, text)
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["path"] == "segment 12 (IEA), element 02"
    assert "does not match ISA13 '000000905'" in error["message"]
    assert api.get("/v1/orders?channel=web").json() == []


def test_a_body_that_is_not_utf8_text_is_a_422_naming_the_byte(api: Api) -> None:
    answer = api.post(f"{URL}?channel=web", content=b"ISA*\xff", headers=EDI)
    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        "the interchange is not UTF-8 text: byte 0xff at offset 4 cannot be read"
    )


def test_the_documented_example_interchange_creates_its_order(stocked: Api) -> None:
    operation = stocked.client.get("/openapi.json").json()["paths"][URL]["post"]
    example = operation["requestBody"]["content"]["application/edi-x12"]["example"]
    answer = post(stocked, example, channel="b2b-acme")
    assert [r["status"] for r in answer.json()["results"]] == [201]
    assert {"200", "413", "415", "422"} <= set(operation["responses"])


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(stocked: Api) -> None:
    text = interchange(purchase_order("PO-1"))
    first = post(stocked, text, headers={"Idempotency-Key": "edi-1"})
    again = post(stocked, text, headers={"Idempotency-Key": "edi-1"})
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
