"""The buyer's 860 over HTTP: a partner that sent an 850 posts an 860 to
`/v1/orders/x12/changes`; a line deleted and a line decreased come off the order through
Ordo's own unit cancellation, the answer carries the 997, and a channel that gets 855s finds
the 865 in its mailbox saying what Ordo did with each POC. The same 860 again changes
nothing and writes no second 865; an 860 that cannot be taken changes nothing either."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.channels import x12
from tests.e2e.conftest import Api
from tests.e2e.test_edi_orders_http import EDI, SAMPLE, acknowledged, post
from tests.e2e.test_edi_ship_notices_http import shipped

URL = "/v1/orders/x12/changes"
MAILBOX = "/v1/edi/outbound"


def an_860(*body: str, control: str = "000000906") -> str:
    """An interchange of one 860 holding `body`, its counts and control numbers right."""
    segments = [
        "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261122*0905*U"
        f"*00401*{control}*0*T*>",
        "GS*PC*BUYERCO*ORDO*20261122*0905*906*X*004010",
        "ST*860*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*906",
        f"IEA*1*{control}",
    ]
    return "~\n".join(segments) + "~\n"


# Shoes (line 1, 2 ordered) deleted; socks (line 2, 3 ordered) down to 1.
DELETE_AND_DECREASE = an_860(
    "BCH*04*SA*PO-1001**1*20261121",
    "POC*1*DI*0**EA*59.90**VP*SHOE-42",
    "POC*2*QD*1*1*EA*4.50**SK*SOCK-M",
    "CTT*2",
)


def changed(api: Api, text: str, channel: str = "web") -> dict[str, Any]:
    answer = api.post(f"{URL}?channel={channel}", content=text.encode(), headers=EDI)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def mailbox(api: Api, channel: str = "web") -> list[dict[str, Any]]:
    return list(api.get(f"{MAILBOX}?channel={channel}&status=all").json())


def segments(text: str) -> list[list[str]]:
    [tset] = x12.parse(text, x12.Reads("CA", "865", "", "")).groups[0].transaction_sets
    return [[segment.tag, *segment.elements] for segment in tset.segments]


@pytest.fixture
def partner(api: Api) -> Api:
    """Ten of each SKU; the `web` channel asks for 855s, so it gets 865s too."""
    api.seed("SHOE-42", units=10)
    api.seed("SOCK-M", units=10)
    settings = api.container.settings
    api.container.settings = settings.model_copy(update={"edi_acknowledgement_channels": ("web",)})
    return api


def an_order(api: Api, channel: str = "web") -> dict[str, Any]:
    answer = post(api, SAMPLE, channel=channel)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["results"][0]["order"])


def test_an_860_deleting_a_line_and_decreasing_another_cancels_their_units_and_writes_an_865(
    partner: Api,
) -> None:
    order = an_order(partner)
    answer = changed(partner, DELETE_AND_DECREASE)

    [result] = answer["results"]
    assert (result["status"], result["po_number"], result["acknowledgement_type"]) == (
        200, "PO-1001", "AT",
    )  # fmt: skip
    assert [(x["line_number"], x["status"], x["quantity"]) for x in result["lines"]] == [
        ("1", "ID", 2),
        ("2", "IQ", 1),
    ]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("2", 1)]
    ack = acknowledged(answer)
    assert (ack["AK1"], ack["AK2"], ack["AK5"]) == ([["PC", "906"]], [["860", "0001"]], [["A"]])

    [document] = [d for d in mailbox(partner) if d["kind"] == "865"]
    assert (document["id"], document["order_id"]) == (result["document_id"], order["id"])
    text = partner.get(document["content_url"]).text
    assert x12.parse(text, x12.Reads("CA", "865", "", "")).groups[0].functional_id == "CA"
    written = segments(text)
    assert written[1][:7] == ["BCA", "00", "AT", "PO-1001", "", "1", "20261121"]
    assert written[1][9] == order["id"]
    assert written[2:6] == [
        ["POC", "1", "DI", "0", "", "EA", "59.90", "", "VP", "SHOE-42"],
        ["ACK", "ID", "2", "EA"],
        ["POC", "2", "QD", "1", "1", "EA", "4.50", "", "SK", "SOCK-M"],
        ["ACK", "IQ", "1", "EA"],
    ]


def test_the_same_860_sent_again_changes_nothing_and_writes_no_second_865(
    partner: Api,
) -> None:
    order = an_order(partner)
    changed(partner, DELETE_AND_DECREASE)
    # The partner's translator resends it in a new interchange: the same BCH05.
    again = changed(partner, DELETE_AND_DECREASE.replace("000000906", "000000907"))

    [result] = again["results"]
    assert (result["status"], result["document_id"]) == (409, None)
    assert [(x["line_number"], x["status"], x["quantity"]) for x in result["lines"]] == [
        ("1", "ID", 2),
        ("2", "IQ", 1),
    ]
    assert acknowledged(again)["AK5"] == [["A"]]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("2", 1)]
    assert len([d for d in mailbox(partner) if d["kind"] == "865"]) == 1


def test_a_price_change_and_unknown_lines_are_rejected_and_the_rest_taken(
    partner: Api,
) -> None:
    order = an_order(partner)
    text = an_860(
        "BCH*04*SA*PO-1001**2",
        "POC*1*PC*2**EA*70.00",
        "POC*2*QD*7**EA",
        "POC*9*DI*0**EA",
        "POC*3*DI",
    )
    answer = changed(partner, text)
    [result] = answer["results"]
    assert result["acknowledgement_type"] == "RJ"
    assert [(x["line_number"], x["status"], x["quantity"]) for x in result["lines"]] == [
        ("1", "IR", 2),
        ("2", "IR", 3),
        ("9", "IR", 0),
        ("3", "IR", 0),
    ]
    reasons = [x["reason"] for x in result["lines"]]
    assert "not applied" in reasons[0] and "fewer than the 7" in reasons[1]
    assert "no PO1 line 9" in reasons[2]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("1", 2), ("2", 3)]
    [document] = [d for d in mailbox(partner) if d["kind"] == "865"]
    assert segments(partner.get(document["content_url"]).text)[1][2] == "RJ"


def test_a_cancellation_860_cancels_the_order(partner: Api) -> None:
    order = an_order(partner)
    answer = changed(partner, an_860("BCH*01*SA*PO-1001**4*20261121"))
    [result] = answer["results"]
    assert (result["status"], result["acknowledgement_type"]) == (200, "AT")
    assert partner.get(f"/v1/orders/{order['id']}").json()["status"] == "cancelled"


def test_an_860_for_a_purchase_order_never_sent_is_refused_in_the_997_and_changes_nothing(
    partner: Api,
) -> None:
    answer = changed(partner, DELETE_AND_DECREASE)
    [result] = answer["results"]
    assert result["status"] == 422
    assert result["problem"]["errors"][0]["path"] == "segment 4 (BCH), element 03"
    ack = acknowledged(answer)
    assert (ack["AK3"], ack["AK4"], ack["AK5"]) == (
        [["BCH", "2", "", "8"]], [["3", "", "7", "PO-1001"]], [["R", "5"]],
    )  # fmt: skip
    assert mailbox(partner) == []


def test_a_bad_860_is_refused_whole_naming_its_elements_and_nothing_is_half_applied(
    partner: Api,
) -> None:
    order = an_order(partner)
    text = an_860("BCH*04*SA*PO-1001**5", "POC*1*DI*0", "POC**QD*1")
    [result] = changed(partner, text)["results"]
    assert result["status"] == 422
    assert [e["path"] for e in result["problem"]["errors"]] == ["segment 6 (POC), element 01"]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("1", 2), ("2", 3)]
    assert [d for d in mailbox(partner) if d["kind"] == "865"] == []


def test_a_channel_that_gets_no_855s_gets_no_865_but_its_change_is_applied(partner: Api) -> None:
    order = an_order(partner, channel="shop")
    [result] = changed(partner, DELETE_AND_DECREASE, channel="shop")["results"]
    assert (result["status"], result["document_id"]) == (200, None)
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("2", 1)]
    assert mailbox(partner, "shop") == []


def test_an_860_for_an_order_shipped_is_rejected_line_by_line_and_cancels_nothing(
    partner: Api,
) -> None:
    shipment = shipped(partner)
    [result] = changed(partner, DELETE_AND_DECREASE)["results"]
    assert (result["status"], result["acknowledgement_type"]) == (200, "RJ")
    assert [(x["status"], x["quantity"]) for x in result["lines"]] == [("IR", 2), ("IR", 3)]
    assert "has shipped" in result["lines"][0]["reason"]
    now = partner.get(f"/v1/orders/{shipment['order_id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("1", 2), ("2", 3)]
    [cancelled] = changed(partner, an_860("BCH*01*SA*PO-1001**9"))["results"]
    assert cancelled["acknowledgement_type"] == "RJ"
    assert partner.get(f"/v1/orders/{shipment['order_id']}").json()["status"] == "shipped"


def test_an_860_increasing_a_line_and_adding_an_item_modifies_the_order_and_a_later_860_knows_it(
    partner: Api,
) -> None:
    order = an_order(partner)
    text = an_860(
        "BCH*04*SA*PO-1001**6*20261121",
        "POC*1*QI*4*2*EA*59.90**VP*SHOE-42",
        "POC*5*AI*2**EA*4.50**SK*SOCK-M",
        "CTT*2",
    )
    [result] = changed(partner, text)["results"]
    assert (result["status"], result["acknowledgement_type"]) == (200, "AT")
    assert [(x["line_number"], x["status"], x["quantity"]) for x in result["lines"]] == [
        ("1", "IQ", 4),
        ("5", "IA", 2),
    ]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["sku"], line["quantity"]) for line in now["lines"]] == [
        ("1", "SHOE-42", 4), ("2", "SOCK-M", 3), ("5", "SOCK-M", 2),
    ]  # fmt: skip
    [document] = [d for d in mailbox(partner) if d["kind"] == "865"]
    written = segments(partner.get(document["content_url"]).text)
    assert [s for s in written if s[0] == "ACK"] == [
        ["ACK", "IQ", "4", "EA"],
        ["ACK", "IA", "2", "EA"],
    ]
    # The added item is a PO1 of the purchase order now: a later 860 deletes it.
    later = an_860("BCH*04*SA*PO-1001**7", "POC*5*DI*0**EA", control="000000908")
    [deleted] = changed(partner, later)["results"]
    assert [(x["status"], x["quantity"]) for x in deleted["lines"]] == [("ID", 2)]


def test_an_added_item_the_catalogue_does_not_know_is_rejected_and_the_order_left_as_it_was(
    partner: Api,
) -> None:
    order = an_order(partner)
    text = an_860("BCH*04*SA*PO-1001**8", "POC*6*AI*1**EA***VP*NO-SUCH-SKU")
    [result] = changed(partner, text)["results"]
    assert result["acknowledgement_type"] == "RJ"
    [line] = result["lines"]
    assert (line["status"], line["quantity"]) == ("IR", 0)
    assert "'NO-SUCH-SKU' of added item 6 is not in the catalogue" in line["reason"]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("1", 2), ("2", 3)]
