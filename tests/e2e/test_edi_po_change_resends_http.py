"""An 865 the partner rejected, written again over HTTP: the buyer's 860 deleted a line and
decreased another, Ordo's 865 said so, and the partner's 997 rejected it; once asked
(`POST /v1/edi/outbound/{id}/resend`), Ordo writes a new 865 restating what it answered to
that 860, under the pair's next control number, linked to the one it replaces, and closes the
rejection's alert. The change is not applied again."""

from __future__ import annotations

from tests.e2e.conftest import Api
from tests.e2e.test_edi_functional_acks_http import a_997, post_997
from tests.e2e.test_edi_po_changes_http import (
    DELETE_AND_DECREASE,
    an_order,
    changed,
    mailbox,
    segments,
)
from tests.e2e.test_edi_resends_http import handled, partner, resend

__all__ = ["partner"]  # the fixture: shoes and socks in stock, the `web` channel gets 855s


def test_an_865_the_partner_rejected_is_written_again_restating_the_answer_to_its_860(
    partner: Api,
) -> None:
    order = an_order(partner)
    [result] = changed(partner, DELETE_AND_DECREASE)["results"]
    [old] = [d for d in mailbox(partner) if d["id"] == result["document_id"]]
    number = str(int(old["control_number"]))
    rejecting = a_997(f"AK1*CA*{number}", "AK2*865*0001", "AK5*R*5", "AK9*R*1*1*0")
    assert post_997(partner, rejecting).status_code == 200
    handled(partner)  # the rejection's alert is raised
    assert len(partner.get("/v1/alerts?status=open", role="support").json()) == 1

    answer = resend(partner, old["id"], role="channel")

    assert answer.status_code == 201, answer.text
    new = answer.json()
    assert (new["kind"], new["order_id"], new["replaces"], new["reference"]) == (
        "865", order["id"], old["id"], f"{order['id']}/860:1#2",
    )  # fmt: skip
    assert int(new["control_number"]) > int(old["control_number"])
    text = partner.get(new["content_url"], role="channel").text
    written, before = segments(text), segments(partner.get(old["content_url"]).text)
    assert written[1][:10] == before[1][:10] == [
        "BCA", "00", "AT", "PO-1001", "", "1", "20261121", "", "", order["id"],
    ]  # fmt: skip
    assert written[2:-1] == before[2:-1]
    assert written[2:6] == [
        ["POC", "1", "DI", "0", "", "EA", "59.90", "", "VP", "SHOE-42"],
        ["ACK", "ID", "2", "EA"],
        ["POC", "2", "QD", "1", "1", "EA", "4.50", "", "SK", "SOCK-M"],
        ["ACK", "IQ", "1", "EA"],
    ]
    # The change stands as it was applied once: socks at 1, the shoes gone.
    now = partner.get(f"/v1/orders/{order['id']}").json()
    assert [(line["id"], line["quantity"]) for line in now["lines"]] == [("2", 1)]
    assert partner.get("/v1/alerts?status=open", role="support").json() == []
    everything = {d["id"]: d for d in mailbox(partner)}
    assert everything[old["id"]]["replaced_by"] == new["id"]
    assert resend(partner, old["id"]).json()["id"] == new["id"]
