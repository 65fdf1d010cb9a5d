"""Credentials over HTTP: API keys, bearer tokens, revocation, and what is stored at rest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.e2e.conftest import Api


def test_a_request_without_credentials_is_refused_with_a_problem_saying_how_to_authenticate(
    api: Api,
) -> None:
    response = api.client.get("/v1/auth/me")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "X-API-Key" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_wrong_secret_for_a_real_key_id_is_refused(api: Api) -> None:
    real = api.keys["admin"]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    response = api.client.get("/v1/auth/me", headers={"X-API-Key": forged})
    assert response.status_code == 401
    assert response.json()["detail"] == "the API key is not valid"


def test_a_key_sent_as_a_bearer_credential_also_authenticates(api: Api) -> None:
    response = api.client.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {api.keys['support']}"}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "support"


def test_an_authorization_header_that_is_not_bearer_is_refused_even_beside_a_good_key(
    api: Api,
) -> None:
    for header, said in [
        ("Basic dXNlcjpwYXNz", "got the scheme 'Basic'"),
        ("Bearer", "the token is missing"),
    ]:
        response = api.client.get(
            "/v1/auth/me", headers={"X-API-Key": api.keys["admin"], "Authorization": header}
        )
        assert response.status_code == 401, header
        assert response.json()["detail"] == (
            f"the Authorization header must be 'Bearer <token>'; {said}"
        )


def test_a_token_minted_from_a_key_acts_with_the_same_role_and_scope(api: Api) -> None:
    minted = api.post("/v1/auth/tokens", role="channel", json={"ttl_seconds": 120})
    assert minted.status_code == 201
    token = minted.json()["access_token"]
    me = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert (me.json()["role"], me.json()["channel"]) == ("channel", "web")


def test_a_tampered_token_is_refused(api: Api) -> None:
    token = api.post("/v1/auth/tokens", role="support", json={}).json()["access_token"]
    prefix, payload, signature = token.split(".")
    tampered = f"{prefix}.{payload[:-2]}xy.{signature}"
    response = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


def test_an_admin_issues_a_channel_key_that_works_at_once_and_stops_when_revoked(api: Api) -> None:
    issued = api.post("/v1/keys", json={"name": "marketplace", "role": "channel", "channel": "mkt"})
    assert issued.status_code == 201
    key = issued.json()["api_key"]
    me = api.client.get("/v1/auth/me", headers={"X-API-Key": key})
    assert me.json()["channel"] == "mkt"
    revoked = api.post(f"/v1/keys/{issued.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    after = api.client.get("/v1/auth/me", headers={"X-API-Key": key})
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]


def test_a_channel_key_without_its_channel_is_refused_with_a_reason(api: Api) -> None:
    response = api.post("/v1/keys", json={"name": "shop", "role": "channel"})
    assert response.status_code == 422
    assert "channel" in response.json()["detail"]


def test_a_key_scope_its_orders_could_not_carry_is_refused_in_words(api: Api) -> None:
    response = api.post("/v1/keys", json={"name": "shop", "role": "channel", "channel": "my web"})
    assert response.status_code == 422
    assert "channel" in response.json()["detail"]
    assert "letters, digits and '.', '_', ':', '-'" in response.json()["detail"]
    blank = api.post("/v1/keys", json={"name": "   ", "role": "support"})
    assert blank.status_code == 422
    assert "name: must not be blank" in blank.json()["detail"]


def test_a_scope_the_keys_role_does_not_read_is_refused_not_listed_as_a_limit(api: Api) -> None:
    body = {"name": "reports", "role": "analyst", "channel": "web"}
    response = api.post("/v1/keys", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "path": "$.channel",
            "message": "only channel keys are limited by it; analyst keys are not",
            "type": "invalid_key_field",
        }
    ]


def refused_at(response: Any) -> dict[str, str]:
    """The one field a refused key request is refused at: its JSON path and message."""
    body = response.json()
    assert response.status_code == 422, body
    assert body["code"] == "validation_error"
    [error] = body["errors"]
    return {"path": error["path"], "message": error["message"]}


def test_a_warehouse_key_for_a_location_that_does_not_exist_is_refused_at_it(api: Api) -> None:
    api.seed(units=0)  # DAL-01
    body = {"name": "dock", "role": "warehouse", "locations": ["DAL-01", "DAL-1"]}
    assert refused_at(api.post("/v1/keys", json=body)) == {
        "path": "$.locations[1]",
        "message": "no location 'DAL-1' in the database (did you mean 'DAL-01'? add it first "
        "with PUT /v1/locations/DAL-1)",
    }
    body["locations"] = ["DAL-01"]
    assert api.post("/v1/keys", json=body).status_code == 201


def test_a_customer_key_for_a_customer_ordo_does_not_know_is_refused_at_it(api: Api) -> None:
    body = {"name": "self-service", "role": "customer", "customer_id": "C-404"}
    assert refused_at(api.post("/v1/keys", json=body)) == {
        "path": "$.customer_id",
        "message": "no customer 'C-404' in the database and no order of theirs (add the "
        "customer first with PUT /v1/customers/C-404)",
    }
    put = api.put("/v1/customers/C-404", json={"email": "c404@example.com"})
    assert put.status_code == 200, put.text
    assert api.post("/v1/keys", json=body).status_code == 201


def test_a_key_without_the_scope_its_role_needs_is_refused_at_that_field(api: Api) -> None:
    body = {"name": "dock", "role": "warehouse"}
    assert refused_at(api.post("/v1/keys", json=body)) == {
        "path": "$.locations",
        "message": "a warehouse key needs at least one location",
    }


def test_only_admins_may_issue_keys(api: Api) -> None:
    response = api.post("/v1/keys", role="analyst", json={"name": "x", "role": "admin"})
    assert response.status_code == 403


def test_the_database_holds_only_hashes_of_key_secrets(api: Api) -> None:
    issued = api.post("/v1/keys", json={"name": "ops", "role": "support"}).json()
    secret = issued["api_key"].split("_", 2)[2]
    with api.container.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_keys")).all()
    dumped = " ".join(str(value) for row in rows for value in row)
    assert issued["id"] in dumped
    assert secret not in dumped


def test_revoking_a_key_also_ends_the_tokens_minted_from_it(api: Api) -> None:
    issued = api.post("/v1/keys", json={"name": "ops", "role": "support"}).json()
    minted = api.client.post(
        "/v1/auth/tokens", json={}, headers={"X-API-Key": issued["api_key"]}
    ).json()
    bearer = {"Authorization": f"Bearer {minted['access_token']}"}
    assert api.client.get("/v1/auth/me", headers=bearer).status_code == 200
    api.post(f"/v1/keys/{issued['id']}/revoke")
    after = api.client.get("/v1/auth/me", headers=bearer)
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]
    refreshed = api.client.post("/v1/auth/tokens", json={}, headers=bearer)
    assert refreshed.status_code == 401
