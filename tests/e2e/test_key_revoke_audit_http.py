"""Key changes over HTTP are audited in the key's own transaction: one entry per change, and
none for a revocation that changed nothing."""

from __future__ import annotations

from tests.e2e.conftest import Api


def test_a_key_revoked_twice_is_audited_once_for_the_admin_who_revoked_it(api: Api) -> None:
    issued = api.post("/v1/keys", json={"name": "pos", "role": "channel", "channel": "pos"})
    key_id = issued.json()["id"]
    assert api.post(f"/v1/keys/{key_id}/revoke").status_code == 200
    again = api.post(f"/v1/keys/{key_id}/revoke")
    assert again.status_code == 200 and again.json()["revoked_at"]
    entries = api.get(f"/v1/audit?entity=api_key&entity_id={key_id}").json()
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("key.revoke", "admin:e2e-admin"),
        ("key.issue", "admin:e2e-admin"),
    ]


def test_revoking_a_key_that_does_not_exist_is_404_and_audits_nothing(api: Api) -> None:
    assert api.post("/v1/keys/0123456789ab/revoke").status_code == 404
    assert api.get("/v1/audit?entity=api_key&entity_id=0123456789ab").json() == []
