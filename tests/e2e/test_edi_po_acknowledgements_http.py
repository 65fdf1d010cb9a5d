"""The 855 over HTTP, for a channel that asks for them (ORDO_EDI_ACKNOWLEDGEMENT_CHANNELS): an
850 posted becomes an order, decided at once, and once a worker has handled what followed,
the partner's mailbox holds its 855 saying which units ship and which wait for stock; a
purchase order refused before it became an order gets none, and neither does a channel that
did not ask."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.channels import x12
from tests.e2e.conftest import Api, run_worker, shop_api
from tests.e2e.test_edi_orders_http import SAMPLE, interchange, post, purchase_order
from tests.support.edi_partners import acks_per_po1

MAILBOX = "/v1/edi/outbound"


@pytest.fixture
def partner(api: Api) -> Api:
    """Socks short: 3 are ordered and 1 is in stock. The `web` channel asks for 855s."""
    api.seed("SHOE-42", units=10)
    api.seed("SOCK-M", units=1)
    settings = api.container.settings
    api.container.settings = settings.model_copy(update={"edi_acknowledgement_channels": ("web",)})
    return api


def handled(api: Api) -> None:
    run_worker(api, rounds=3)


def segment(text: str, tag: str) -> list[str]:
    [tset] = x12.parse(text).groups[0].transaction_sets
    return next(list(s.elements) for s in tset.segments if s.tag == tag)


def mailbox(api: Api) -> list[dict[str, Any]]:
    return list(api.get(f"{MAILBOX}?status=all", role="channel").json())


def planned(api: Api, order_id: str) -> dict[str, str]:
    """CCYYMMDD each SKU of the order is planned to ship, as its page shows its shipments
    (not cancelled): the last planned day of those holding it."""
    days: dict[str, str] = {}
    for shipment in api.get(f"/v1/orders/{order_id}").json()["shipments"]:
        if shipment["status"] != "cancelled":
            day = shipment["planned_ship_date"].replace("-", "")
            for line in shipment["lines"]:
                days[line["sku"]] = max(day, days.get(line["sku"], day))
    return days


def test_an_850_posted_gets_an_855_in_the_mailbox_with_a_line_backordered(partner: Api) -> None:
    answer = post(partner, SAMPLE)
    assert answer.status_code == 200, answer.text
    order = answer.json()["results"][0]["order"]
    handled(partner)

    [waiting] = mailbox(partner)
    assert (waiting["kind"], waiting["reference"], waiting["order_id"]) == (
        "855", order["id"], order["id"],
    )  # fmt: skip
    # The 997 took number 1 of the pair; the 855 the next.
    assert waiting["control_number"] == "000000002"
    fetched = partner.get(waiting["content_url"], role="channel")
    assert fetched.status_code == 200, fetched.text
    text = fetched.text
    assert x12.parse(text).groups[0].functional_id == "PR"
    assert segment(text, "BAK")[:4] == ["00", "AC", "PO-1001", "20261121"]
    assert segment(text, "BAK")[7] == order["id"]
    # Units accepted carry the day their shipment is planned to ship (ACK04 068, ACK05).
    day = planned(partner, order["id"])
    assert acks_per_po1(text) == [
        ("1", [["IA", "2", "EA", "068", day["SHOE-42"]]]),
        ("2", [["IA", "1", "EA", "068", day["SOCK-M"]], ["IB", "2", "EA"]]),
    ]

    handled(partner)  # the same events, or later ones, write no second 855
    assert len(mailbox(partner)) == 1


def test_backordered_units_are_given_the_day_their_stock_comes_in(partner: Api) -> None:
    # Two pairs of socks are on their way to Dallas: the two that wait are promised for then.
    due = (datetime.now(UTC) + timedelta(days=10)).date()
    partner.seed("SOCK-M", units=2, location="RNO-02")
    transfer = {"sku": "SOCK-M", "from_location": "RNO-02", "to_location": "DAL-01",
                "quantity": 2, "expected_on": due.isoformat()}  # fmt: skip
    assert partner.post("/v1/inventory/transfers", json=transfer).status_code == 200
    order = post(partner, SAMPLE).json()["results"][0]["order"]
    handled(partner)

    [waiting] = mailbox(partner)
    text = partner.get(waiting["content_url"], role="channel").text
    day = planned(partner, order["id"])
    assert acks_per_po1(text) == [
        ("1", [["IA", "2", "EA", "068", day["SHOE-42"]]]),
        ("2", [["IA", "1", "EA", "068", day["SOCK-M"]],
               ["IB", "2", "EA", "068", due.strftime("%Y%m%d")]]),
    ]  # fmt: skip
    # The order's promise counts that day too.
    promised = partner.get(f"/v1/orders/{order['id']}").json()["promised_date"]
    assert promised >= due.isoformat()

    handled(partner)  # the same promise: no change 855
    assert len(mailbox(partner)) == 1


def test_a_purchase_order_refused_before_it_became_an_order_gets_no_855(partner: Api) -> None:
    text = interchange(purchase_order("PO-1"), purchase_order("PO-2", purpose="01"))
    answer = post(partner, text).json()
    assert [result["status"] for result in answer["results"]] == [201, 422]
    handled(partner)

    [only] = mailbox(partner)
    assert only["order_id"] == answer["results"][0]["order"]["id"]
    assert segment(partner.get(only["content_url"]).text, "BAK")[1:3] == ["AD", "PO-1"]


def test_a_channel_that_did_not_ask_for_855s_gets_none(partner: Api) -> None:
    post(partner, SAMPLE, channel="shop")
    handled(partner)
    assert partner.get(f"{MAILBOX}?channel=shop&status=all").json() == []


def test_the_buyers_personal_data_export_lists_the_850_kept_and_the_855(partner: Api) -> None:
    post(partner, SAMPLE)
    handled(partner)

    exported = partner.get("/v1/customers/C-1001/personal-data")
    assert exported.status_code == 200, exported.text
    body = exported.json()
    assert [(k["po_number"], k["ship_to_code"]) for k in body["edi_purchase_orders"]] == [
        ("PO-1001", "STORE-7")
    ]
    [document] = body["edi_documents"]
    assert document["kind"] == "855"
    assert "Ada Lovelace, Receiving Dock 4" in document["content"]


@pytest.fixture
def released_by_hand(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """A deployment that releases orders by hand, so support can still change one decided,
    with ten of each SKU; the `web` channel asks for 855s."""
    with shop_api(database_url, tmp_path / "data", {}, auto_release=False,
                  edi_acknowledgement_channels="web") as api:  # fmt: skip
        yield api


def test_an_order_modified_after_its_855_gets_a_change_855_in_the_mailbox(
    released_by_hand: Api,
) -> None:
    partner = released_by_hand
    order = post(partner, SAMPLE).json()["results"][0]["order"]
    handled(partner)
    [original] = mailbox(partner)
    assert segment(partner.get(original["content_url"]).text, "BAK")[:2] == ["00", "AD"]

    modified = partner.post(
        f"/v1/orders/{order['id']}/modify", role="support", json={"quantities": {"1": 1}}
    )
    assert modified.status_code == 200, modified.text
    handled(partner)
    handled(partner)  # the same events, or later ones, write no third 855

    first, change = mailbox(partner)
    assert first["id"] == original["id"]
    assert (change["kind"], change["reference"], change["order_id"]) == (
        "855", f"{order['id']}#2", order["id"],
    )  # fmt: skip
    text = partner.get(change["content_url"], role="channel").text
    assert segment(text, "BAK")[:3] == ["04", "AC", "PO-1001"]
    # Every PO1 restated: one pair of shoes of the two ordered, the socks as they stood,
    # each with the day the shipments of the new decision are planned to ship.
    day = planned(partner, order["id"])
    assert acks_per_po1(text) == [
        ("1", [["IQ", "1", "EA", "068", day["SHOE-42"]]]),
        ("2", [["IA", "3", "EA", "068", day["SOCK-M"]]]),
    ]


def test_a_backorder_filled_after_the_855_gets_a_change_855_accepting_it(partner: Api) -> None:
    order = post(partner, SAMPLE).json()["results"][0]["order"]
    handled(partner)
    partner.seed("SOCK-M", units=10)  # the socks arrive
    handled(partner)

    _, change = mailbox(partner)
    assert change["reference"] == f"{order['id']}#2"
    text = partner.get(change["content_url"], role="channel").text
    assert segment(text, "BAK")[:2] == ["04", "AD"]
    # The socks are in two shipments now: the PO1 is given the later of their days.
    day = planned(partner, order["id"])
    assert acks_per_po1(text) == [
        ("1", [["IA", "2", "EA", "068", day["SHOE-42"]]]),
        ("2", [["IA", "3", "EA", "068", day["SOCK-M"]]]),
    ]
