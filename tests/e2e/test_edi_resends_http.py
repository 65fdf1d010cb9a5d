"""A document the partner rejected, written again over HTTP: an 855 the partner's 997 rejected
is resent (`POST /v1/edi/outbound/{id}/resend`) as a new 855 for the same purchase order
under new control numbers, which the gateway then finds waiting in the mailbox, linked to
the one it replaces, and the rejection's alert is closed; asking again answers with the same
replacement. A rejected 856 is resent by the partner's own key. A document the partner did
not reject is 409 naming what its 997 said; an unknown one, or another channel's, 404."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.channels import x12
from tests.e2e.conftest import Api, run_worker
from tests.e2e.test_edi_functional_acks_http import a_997, post_997, rejecting
from tests.e2e.test_edi_orders_http import SAMPLE, post
from tests.e2e.test_edi_ship_notices_http import shipped

MAILBOX = "/v1/edi/outbound"


@pytest.fixture
def partner(api: Api) -> Api:
    """Shoes and socks in stock; the `web` channel asks for 855s."""
    api.seed("SHOE-42", units=10)
    api.seed("SOCK-M", units=10)
    settings = api.container.settings
    api.container.settings = settings.model_copy(update={"edi_acknowledgement_channels": ("web",)})
    return api


def handled(api: Api) -> None:
    run_worker(api, rounds=3)


def the_855(api: Api) -> dict[str, Any]:
    """The 850 of SAMPLE posted and decided: its 855, fetched and acknowledged by the
    gateway, as the mailbox lists it."""
    assert post(api, SAMPLE).status_code == 200
    handled(api)
    [waiting] = api.get(MAILBOX, role="channel").json()
    assert api.post(f"{MAILBOX}/{waiting['id']}/ack", role="channel").status_code == 200
    return dict(waiting)


def answered(api: Api, document: dict[str, Any], code: str) -> None:
    """The partner's 997 said `code` (AK501) of the 855."""
    number = str(int(document["control_number"]))
    tail = ["AK5*R*5", "AK9*R*1*1*0"] if code == "R" else [f"AK5*{code}", f"AK9*{code}*1*1*1"]
    answer = post_997(api, a_997(f"AK1*PR*{number}", "AK2*855*0001", *tail))
    assert answer.status_code == 200, answer.text


def resend(api: Api, document_id: str, role: str = "admin") -> Any:
    return api.post(f"{MAILBOX}/{document_id}/resend", role=role)


def segment(text: str, tag: str) -> list[str]:
    [tset] = x12.parse(text).groups[0].transaction_sets
    return next(list(s.elements) for s in tset.segments if s.tag == tag)


def test_an_855_the_partner_rejected_is_written_again_with_new_control_numbers(
    partner: Api,
) -> None:
    rejected = the_855(partner)
    answered(partner, rejected, "R")
    handled(partner)  # the rejection's alert is raised
    assert len(partner.get("/v1/alerts?status=open", role="support").json()) == 1

    answer = resend(partner, rejected["id"])

    assert answer.status_code == 201, answer.text
    new = answer.json()
    assert (new["kind"], new["order_id"], new["replaces"], new["replaced_by"]) == (
        "855", rejected["order_id"], rejected["id"], None,
    )  # fmt: skip
    assert new["reference"] == f"{rejected['order_id']}#2"
    # The 997 for the 850 took 1, the rejected 855 2: the new one the next.
    assert (rejected["control_number"], new["control_number"]) == ("000000002", "000000003")
    text = partner.get(new["content_url"], role="channel").text
    sent = x12.parse(text)
    assert (sent.control_number, sent.groups[0].control_number) == ("000000003", "3")
    assert sent.groups[0].functional_id == "PR"
    assert segment(text, "BAK")[:3] == ["00", "AD", "PO-1001"]
    assert segment(text, "BAK")[7] == rejected["order_id"]

    # The gateway finds it waiting; the rejected one stays, linked to it.
    [waiting] = partner.get(MAILBOX, role="channel").json()
    assert (waiting["id"], waiting["replaces"]) == (new["id"], rejected["id"])
    everything = {d["id"]: d for d in partner.get(f"{MAILBOX}?status=all", role="channel").json()}
    assert everything[rejected["id"]]["replaced_by"] == new["id"]
    assert everything[rejected["id"]]["functional_ack"] == "rejected"

    again = resend(partner, rejected["id"])
    assert again.status_code == 200, again.text
    assert again.json()["id"] == new["id"]
    assert len(partner.get(f"{MAILBOX}?status=all", role="channel").json()) == 2

    assert partner.get("/v1/alerts?status=open", role="support").json() == []
    entries = [e for e in partner.get("/v1/audit?limit=100").json() if e["action"] == "edi.resend"]
    assert [(e["actor"], e["entity_id"], e["after"]["replaced_by"]) for e in entries] == [
        ("admin:e2e-admin", rejected["id"], new["id"])
    ]


def test_a_rejection_coming_again_after_the_resend_is_recorded_and_opens_no_alert(
    partner: Api,
) -> None:
    rejected = the_855(partner)
    answered(partner, rejected, "R")
    handled(partner)
    assert resend(partner, rejected["id"]).status_code == 201
    # The partner's translator acknowledges it again, then its rejection comes once more.
    answered(partner, rejected, "A")
    answered(partner, rejected, "R")
    handled(partner)

    everything = {d["id"]: d for d in partner.get(f"{MAILBOX}?status=all", role="channel").json()}
    assert everything[rejected["id"]]["functional_ack"] == "rejected"
    # Its replacement is written already: nothing is left for a person to do.
    assert partner.get("/v1/alerts?status=open", role="support").json() == []
    recorded = [e for e in partner.get("/v1/audit?limit=100").json()
                if e["action"] == "edi.functional_ack"]  # fmt: skip
    assert recorded[0]["after"]["replaced_by"] == everything[rejected["id"]]["replaced_by"]


def test_an_856_the_partner_rejected_is_resent_by_its_gateways_key(partner: Api) -> None:
    shipment = shipped(partner)
    [notice] = [d for d in partner.get(MAILBOX, role="channel").json() if d["kind"] == "856"]
    post_997(partner, rejecting(str(int(notice["control_number"]))))

    answer = resend(partner, notice["id"], role="channel")

    assert answer.status_code == 201, answer.text
    new = answer.json()
    assert (new["kind"], new["reference"], new["replaces"]) == (
        "856", f"{shipment['id']}#2", notice["id"],
    )  # fmt: skip
    assert int(new["control_number"]) > int(notice["control_number"])
    text = partner.get(new["content_url"], role="channel").text
    assert segment(text, "BSN")[1] == shipment["id"]
    assert segment(text, "PRF")[0] == "PO-1001"
    assert new["id"] in [d["id"] for d in partner.get(MAILBOX, role="channel").json()]


@pytest.mark.parametrize(("code", "status"), [("A", "accepted"), ("E", "accepted_with_errors")])
def test_a_document_the_partner_did_not_reject_is_a_409_naming_what_its_997_said(
    partner: Api, code: str, status: str
) -> None:
    document = the_855(partner)
    unnamed = resend(partner, document["id"])
    assert unnamed.status_code == 409, unnamed.text
    assert "no 997 from the partner has named it yet" in unnamed.json()["detail"]

    answered(partner, document, code)
    refused = resend(partner, document["id"])

    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"functional_ack '{status}'" in refused.json()["detail"]
    assert len(partner.get(f"{MAILBOX}?status=all", role="channel").json()) == 1


def test_an_unknown_document_or_another_channels_is_a_404(partner: Api) -> None:
    shipped(partner, channel="shop")
    [theirs] = partner.get(f"{MAILBOX}?channel=shop").json()
    text = rejecting(str(int(theirs["control_number"])))
    headers = {"Content-Type": "application/edi-x12"}
    said = partner.post(f"{MAILBOX}/997?channel=shop", content=text.encode(), headers=headers)
    assert said.status_code == 200, said.text

    for document_id in ("edi_0000000000000000", theirs["id"]):
        refused = resend(partner, document_id, role="channel")  # the `web` channel's key
        assert refused.status_code == 404, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert document_id in refused.json()["detail"]
    assert resend(partner, theirs["id"]).status_code == 201  # an admin sees every channel's
