"""Reading a customer's personal data over HTTP is audited as `customer.export`: who, whose,
and how many records of each kind, never the data itself; and it stays so across an erasure."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Api
from tests.e2e.test_personal_data_http import HERS, erase, with_a_return


def exports_of(api: Api, customer_id: str = "C-1") -> list[dict[str, Any]]:
    entries = api.get(f"/v1/audit?entity=customer&entity_id={customer_id}&limit=100").json()
    return [entry for entry in entries if entry["action"] == "customer.export"]


def test_an_export_is_audited_with_its_actor_and_counts_and_none_of_her_data(api: Api) -> None:
    with_a_return(api)

    document = api.get("/v1/customers/C-1/personal-data", role="support").json()

    [entry] = exports_of(api)
    assert (entry["actor"], entry["entity_id"]) == ("support:e2e-support", "C-1")
    counts = entry["after"]["exported"]
    assert (counts["customers"], counts["orders"], counts["returns"]) == (1, 1, 1)
    assert counts["shipments"] == len(document["shipments"])
    assert counts["audit_entries"] == len(document["audit"])
    assert [text for text in HERS if text in str(entry)] == []


def test_a_customer_exporting_their_own_data_is_audited_too(api: Api) -> None:
    with_a_return(api)

    assert api.get("/v1/customers/C-1/personal-data", role="customer").status_code == 200

    [entry] = exports_of(api)
    assert entry["actor"] == "customer:e2e-customer"


def test_after_an_erasure_her_export_still_works_and_both_exports_are_audited(api: Api) -> None:
    with_a_return(api)
    assert api.get("/v1/customers/C-1/personal-data").status_code == 200
    assert erase(api).status_code == 200

    again = api.get("/v1/customers/C-1/personal-data")

    assert again.status_code == 200, again.text
    assert [text for text in HERS if text in again.text] == []
    assert "customer.export" in {entry["action"] for entry in again.json()["audit"]}
    latest, earlier = exports_of(api)
    assert latest["after"]["exported"]["orders"] == earlier["after"]["exported"]["orders"] == 1
