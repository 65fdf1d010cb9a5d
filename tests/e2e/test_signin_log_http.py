"""Refused sign-ins over HTTP leave one warning on the `ordo.auth` logger naming the reason,
the key id and where from, never the secret; a role refused a permission, or a route refusing a
key outside its scope, leaves one INFO line; a successful call leaves nothing."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import Api

AUTH_LOG = "ordo.auth"


def auth_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == AUTH_LOG]


def test_a_wrong_secret_logs_the_key_id_reason_client_and_path_but_never_the_secret(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    key_id = api.keys["support"].removeprefix("ordo_").partition("_")[0]
    wrong = f"ordo_{key_id}_not-the-secret-at-all"
    caplog.set_level(logging.INFO, logger=AUTH_LOG)

    answer = api.client.get("/v1/orders", headers={"X-API-Key": wrong})

    assert answer.status_code == 401
    [line] = auth_lines(caplog)
    message = line.getMessage()
    assert line.levelno == logging.WARNING
    assert answer.json()["detail"] in message  # the same sentence the 401 gives
    assert f"key id {key_id}" in message
    assert "client testclient" in message and "GET /v1/orders" in message
    assert "not-the-secret-at-all" not in message and wrong not in caplog.text


def test_a_revoked_key_s_token_logs_the_token_s_key_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    issued = api.post("/v1/keys", json={"name": "till", "role": "support"}).json()
    token = api.client.post(
        "/v1/auth/tokens", json={}, headers={"X-API-Key": issued["api_key"]}
    ).json()["access_token"]
    assert api.post(f"/v1/keys/{issued['id']}/revoke").status_code == 200
    caplog.set_level(logging.INFO, logger=AUTH_LOG)

    answer = api.client.get("/v1/orders", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 401
    [line] = auth_lines(caplog)
    assert f"key id {issued['id']}" in line.getMessage()
    assert token not in caplog.text


def test_a_credential_naming_no_key_is_logged_without_echoing_it(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUTH_LOG)

    answer = api.client.get("/v1/orders", headers={"X-API-Key": "hunter2-pasted-by-mistake"})

    assert answer.status_code == 401
    [line] = auth_lines(caplog)
    assert "key id none" in line.getMessage()
    assert "hunter2" not in caplog.text


def test_a_role_refused_a_permission_is_logged_at_info_with_its_actor_and_permission(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUTH_LOG)

    answer = api.get("/v1/audit", role="warehouse")

    assert answer.status_code == 403
    [line] = auth_lines(caplog)
    assert line.levelno == logging.INFO
    assert "warehouse:e2e-warehouse lacks audit:read" in line.getMessage()


def test_a_successful_call_logs_nothing_on_the_auth_logger(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=AUTH_LOG)

    answers = [api.get("/v1/orders", role="support") for _ in range(2)]  # cold, then cached

    assert [answer.status_code for answer in answers] == [200, 200]
    assert auth_lines(caplog) == []


def test_a_route_refusing_a_key_outside_its_locations_logs_the_actor_and_the_reason(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUTH_LOG)

    answer = api.post(
        "/v1/inventory/adjustments",
        role="warehouse",
        json={"sku": "SHOE-42", "location_code": "RNO-02", "delta": -1},
    )

    assert answer.status_code == 403
    [line] = auth_lines(caplog)
    assert line.levelno == logging.INFO
    message = line.getMessage()
    assert "warehouse:e2e-warehouse" in message
    assert "not RNO-02" in message and "POST /v1/inventory/adjustments" in message


def test_a_permission_refused_by_the_role_check_is_logged_once_not_again_by_the_error_handler(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUTH_LOG)

    answer = api.post(
        "/v1/inventory/adjustments",
        role="customer",
        json={"sku": "SHOE-42", "location_code": "DAL-01", "delta": -1},
    )

    assert answer.status_code == 403
    assert len(auth_lines(caplog)) == 1
