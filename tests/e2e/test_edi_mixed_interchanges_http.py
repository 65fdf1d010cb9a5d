"""An interchange mixing 850 and 860 functional groups over HTTP, on SQLite and PostgreSQL:
either door takes it whole. The 850s are made orders first, so an 860 changing a purchase
order sent in the same interchange finds its order, whatever order the groups came in; each
door answers its own kind as it always has and the other kind beside it, and the 997 has one
set per group. A group of any other kind is refused alone."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.channels import x12
from tests.e2e.conftest import Api
from tests.e2e.test_edi_orders_http import EDI, SAMPLE

ORDERS = "/v1/orders/x12"
CHANGES = "/v1/orders/x12/changes"
# The sample's 850 (PO-1001: 2 SHOE-42 on line 1, 3 SOCK-M on line 2), between ST and SE.
AN_850 = [
    "*".join((segment.tag, *segment.elements))
    for segment in x12.parse(SAMPLE).groups[0].transaction_sets[0].segments[1:-1]
]
# Its shoes deleted and its socks down to 1.
AN_860 = [
    "BCH*04*SA*PO-1001**1*20261121",
    "POC*1*DI*0**EA*59.90**VP*SHOE-42",
    "POC*2*QD*1*1*EA*4.50**SK*SOCK-M",
    "CTT*2",
]
INVOICE = ["BIG*20261122*INV-1"]


def group(functional_id: str, control: str, kind: str, body: list[str]) -> list[str]:
    """A functional group of one transaction set holding `body`, its counts right."""
    return [
        f"GS*{functional_id}*BUYERCO*ORDO*20261122*0905*{control}*X*004010",
        f"ST*{kind}*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        f"GE*1*{control}",
    ]


ORDER_GROUP = group("PO", "905", "850", AN_850)
CHANGE_GROUP = group("PC", "906", "860", AN_860)
INVOICE_GROUP = group("IN", "907", "810", INVOICE)


def interchange(*groups: list[str]) -> str:
    segments = [
        "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261122*0905*U"
        "*00401*000000908*0*T*>",
        *(segment for g in groups for segment in g),
        f"IEA*{len(groups)}*000000908",
    ]
    return "~\n".join(segments) + "~\n"


def posted(api: Api, url: str, text: str) -> dict[str, Any]:
    answer = api.post(f"{url}?channel=web", content=text.encode(), headers=EDI)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def acknowledged(answer: dict[str, Any]) -> list[list[list[str]]]:
    """The 997's sets, one per group received, each its segments between ST and SE."""
    sets = x12.parse(answer["acknowledgement"], x12.FUNCTIONAL_ACKNOWLEDGEMENTS).groups[0]
    return [[[s.tag, *s.elements] for s in tset.segments[1:-1]] for tset in sets.transaction_sets]


def lines_of(api: Api, order_id: str) -> list[tuple[str, int]]:
    now = api.get(f"/v1/orders/{order_id}").json()
    return [(line["id"], line["quantity"]) for line in now["lines"]]


@pytest.fixture
def partner(api: Api) -> Api:
    """Ten of each SKU; the `web` channel asks for 855s, so its 860s are answered by 865s."""
    api.seed("SHOE-42", units=10)
    api.seed("SOCK-M", units=10)
    settings = api.container.settings
    api.container.settings = settings.model_copy(update={"edi_acknowledgement_channels": ("web",)})
    return api


def test_the_850s_door_makes_the_order_then_applies_the_860_changing_it_in_the_same_interchange(
    partner: Api,
) -> None:
    answer = posted(partner, ORDERS, interchange(ORDER_GROUP, CHANGE_GROUP))

    assert (answer["interchange"], answer["created"], answer["failed"]) == ("000000908", 1, 0)
    [made] = answer["results"]
    assert (made["group"], made["po_number"], made["status"]) == ("905", "PO-1001", 201)
    changes = answer["changes"]
    assert (changes["applied"], changes["failed"]) == (1, 0)
    [change] = changes["results"]
    assert (change["group"], change["status"], change["acknowledgement_type"]) == (
        "906", 200, "AT",
    )  # fmt: skip
    assert change["order"]["id"] == made["order"]["id"]
    assert change["document_id"] is not None
    assert [(x["line_number"], x["status"], x["quantity"]) for x in change["lines"]] == [
        ("1", "ID", 2),
        ("2", "IQ", 1),
    ]
    assert lines_of(partner, made["order"]["id"]) == [("2", 1)]
    assert acknowledged(answer) == [
        [["AK1", "PO", "905"], ["AK2", "850", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]],
        [["AK1", "PC", "906"], ["AK2", "860", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"]],
    ]


def test_the_860s_door_takes_the_850_first_though_the_860_came_before_it(
    partner: Api,
) -> None:
    answer = posted(partner, CHANGES, interchange(CHANGE_GROUP, ORDER_GROUP))

    assert (answer["applied"], answer["failed"]) == (1, 0)
    [change] = answer["results"]
    assert (change["po_number"], change["status"]) == ("PO-1001", 200)
    orders = answer["orders"]
    assert (orders["created"], orders["failed"]) == (1, 0)
    [made] = orders["results"]
    assert (made["po_number"], made["status"]) == ("PO-1001", 201)
    assert change["order"]["id"] == made["order"]["id"]
    assert lines_of(partner, made["order"]["id"]) == [("2", 1)]
    # One 997 set per group, in the order the groups came.
    assert [tset[0] for tset in acknowledged(answer)] == [
        ["AK1", "PC", "906"],
        ["AK1", "PO", "905"],
    ]
    assert [tset[-1] for tset in acknowledged(answer)] == [["AK9", "A", "1", "1", "1"]] * 2


def test_a_group_of_another_kind_is_refused_alone_in_the_doors_own_shape(partner: Api) -> None:
    text = interchange(ORDER_GROUP, INVOICE_GROUP, CHANGE_GROUP)

    at_orders = posted(partner, ORDERS, text)
    assert [(r["group"], r["status"]) for r in at_orders["results"]] == [
        ("905", 201),
        ("907", 422),
    ]
    assert (at_orders["created"], at_orders["failed"]) == (1, 1)
    refused = at_orders["results"][1]["problem"]["errors"][0]
    assert (refused["path"], refused["type"]) == ("segment 20 (GS), element 01", "invalid_group")
    assert [(r["group"], r["status"]) for r in at_orders["changes"]["results"]] == [("906", 200)]
    assert [tset[-1] for tset in acknowledged(at_orders)] == [
        ["AK9", "A", "1", "1", "1"],
        ["AK9", "R", "1", "1", "0", "1"],
        ["AK9", "A", "1", "1", "1"],
    ]

    # At the 860s' door the same interchange again: the order and the change are repeats,
    # and the invoice is refused among the 860s.
    at_changes = posted(partner, CHANGES, text.replace("000000908", "000000909"))
    assert [(r["group"], r["status"]) for r in at_changes["results"]] == [
        ("907", 422),
        ("906", 409),
    ]
    assert [(r["group"], r["status"]) for r in at_changes["orders"]["results"]] == [("905", 409)]
    assert [tset[-1] for tset in acknowledged(at_changes)][1] == ["AK9", "R", "1", "1", "0", "1"]


def test_an_interchange_of_one_kind_is_answered_as_before_the_other_kind_null(
    partner: Api,
) -> None:
    assert posted(partner, ORDERS, interchange(ORDER_GROUP))["changes"] is None
    assert posted(partner, CHANGES, interchange(CHANGE_GROUP))["orders"] is None
