"""The buyer's 860 changing a kit over HTTP: the 850's PO1 1 orders 3 SHOE-SETs, which Ordo
files as their parts `1.1`, `1.2`; an 860 decreasing line 1 to one kit takes two kits' units
off each part, and the 865 says `IQ` with the kits left, as the change 855 that follows says
of the same PO1."""

from __future__ import annotations

from connectors.channels import x12
from tests.e2e.conftest import Api, run_worker
from tests.e2e.test_edi_orders_http import SAMPLE, post
from tests.e2e.test_edi_po_changes_http import an_860, changed, mailbox, partner, segments

__all__ = ["partner"]  # the fixture: shoes and socks in stock, the `web` channel gets 855s

# Two shoes and two socks a set: 3 sets are 6 and 6, and one set's 2 and 2 divided by the 3
# sets ordered would read as 2 sets; only the kit's shape says 1.
SHOE_SET = {"name": "Shoe set", "price": "99.90", "kit_components": {"SHOE-42": 2, "SOCK-M": 2}}
THREE_SETS = SAMPLE.replace(
    "PO1*1*2*EA*59.90**VP*SHOE-42*UP*012345678905", "PO1*1*3*EA*99.90**VP*SHOE-SET"
)


def acks_of(text: str, line_number: str) -> list[list[str]]:
    """The ACKs under the 855's PO1 `line_number`."""
    [tset] = x12.parse(text).groups[0].transaction_sets
    found: list[list[str]] = []
    under = False
    for segment in tset.segments:
        if segment.tag == "PO1":
            under = segment.elements[0] == line_number
        elif segment.tag == "ACK" and under:
            found.append(list(segment.elements[:2]))
    return found


def test_an_860_decreasing_a_kits_po1_lowers_its_parts_by_whole_kits_and_says_so_in_kits(
    partner: Api,
) -> None:
    assert partner.put("/v1/products/SHOE-SET", json=SHOE_SET).status_code == 200
    created = post(partner, THREE_SETS)
    assert created.status_code == 200, created.text
    order = created.json()["results"][0]["order"]
    run_worker(partner, rounds=3)  # the original 855

    answer = changed(partner, an_860("BCH*04*SA*PO-1001**1*20261121",
                                     "POC*1*QD*1*3*EA*99.90**VP*SHOE-SET", "CTT*1"))  # fmt: skip

    [result] = answer["results"]
    assert [(x["line_number"], x["status"], x["quantity"]) for x in result["lines"]] == [
        ("1", "IQ", 1)
    ]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["sku"], line["quantity"]) for line in now["lines"]] == [
        ("1.1", "SHOE-42", 2), ("1.2", "SOCK-M", 2), ("2", "SOCK-M", 3),
    ]  # fmt: skip
    [document] = [d for d in mailbox(partner) if d["kind"] == "865"]
    written = segments(partner.get(document["content_url"]).text)
    assert written[2:4] == [
        ["POC", "1", "QD", "1", "3", "EA", "99.90", "", "VP", "SHOE-SET"],
        ["ACK", "IQ", "1", "EA"],
    ]

    run_worker(partner, rounds=3)  # the change 855 the order's new decision writes
    [change_855] = [d for d in mailbox(partner)
                    if d["kind"] == "855" and d["reference"] == f"{order['id']}#2"]  # fmt: skip
    assert acks_of(partner.get(change_855["content_url"]).text, "1") == [["IQ", "1"]]


def test_an_860_increasing_a_kits_po1_adds_whole_kits_to_its_parts_and_their_shape(
    partner: Api,
) -> None:
    partner.seed("SOCK-M", units=10)  # room for a fourth set beside line 2's socks
    assert partner.put("/v1/products/SHOE-SET", json=SHOE_SET).status_code == 200
    created = post(partner, THREE_SETS)
    assert created.status_code == 200, created.text
    order = created.json()["results"][0]["order"]
    run_worker(partner, rounds=3)  # the original 855

    answer = changed(partner, an_860("BCH*04*SA*PO-1001**1*20261121",
                                     "POC*1*QI*4*3*EA*99.90**VP*SHOE-SET", "CTT*1"))  # fmt: skip

    [result] = answer["results"]
    assert [(x["line_number"], x["status"], x["quantity"]) for x in result["lines"]] == [
        ("1", "IQ", 4)
    ]
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"], line["kit"]) for line in now["lines"][:2]] == [
        ("1.1", 8, {"sku": "SHOE-SET", "units": 2, "kits": 4}),
        ("1.2", 8, {"sku": "SHOE-SET", "units": 2, "kits": 4}),
    ]
    [document] = [d for d in mailbox(partner) if d["kind"] == "865"]
    written = segments(partner.get(document["content_url"]).text)
    assert written[2:4] == [
        ["POC", "1", "QI", "4", "3", "EA", "99.90", "", "VP", "SHOE-SET"],
        ["ACK", "IQ", "4", "EA"],
    ]

    run_worker(partner, rounds=3)  # the change 855 the order's new decision writes
    [change_855] = [d for d in mailbox(partner)
                    if d["kind"] == "855" and d["reference"] == f"{order['id']}#2"]  # fmt: skip
    assert acks_of(partner.get(change_855["content_url"]).text, "1") == [["IQ", "4"]]
