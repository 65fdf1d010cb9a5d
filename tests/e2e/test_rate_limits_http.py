"""Rate limits over HTTP: a key over its role's limit, a client address without a credential
over its anonymous budget, a client address guessing keys, and the RateLimit fields that
tell a client where it stands (shared by two API processes through Redis).

The app is built from settings as `ordo serve` builds it (`ORDO_RATE_LIMITS`,
`ORDO_FAILED_SIGN_IN_LIMIT`, ...), with the limits' clock replaced by one the test moves, so
a budget comes back and a lockout ends without sleeping.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ordo.bootstrap import Container, build_app_container, build_rate_limits
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, issue_role_keys

GUESSER = ("203.0.113.7", 40000)
NEIGHBOUR = ("198.51.100.9", 40000)
WRONG_KEY = "ordo_0123456789ab_not-the-secret-of-any-key-at-all"
REASON = {"reason": "customer changed their mind"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _container(sqlite_url: str, tmp_path: Path, clock: Clock, **limits: Any) -> Container:
    settings = load_settings(
        database_url=sqlite_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path / "data",
        **limits,
    )
    container = build_app_container(settings)
    container.rate_limits = build_rate_limits(settings, container.event_bus, clock=clock)
    return container


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(sqlite_url: str, tmp_path: Path, clock: Clock) -> Iterator[tuple[Any, dict[str, str]]]:
    with _container(
        sqlite_url,
        tmp_path,
        clock,
        rate_limits="channel=3/s,support=2/10s",
        failed_sign_in_limit="3/min",
        failed_sign_in_lockout_seconds="120",
    ) as container:
        yield create_app(container), issue_role_keys(container)


def _client(app: Any, address: tuple[str, int] = ("192.0.2.1", 50000)) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=address)


def test_a_key_over_its_roles_limit_gets_a_429_problem_naming_the_limit_and_when_to_retry(
    limited: tuple[Any, dict[str, str]], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    app, keys = limited
    with _client(app) as client, caplog.at_level(logging.WARNING, logger="ordo.auth"):
        channel = {"X-API-Key": keys["channel"]}
        assert [client.get("/v1/orders", headers=channel).status_code for _ in range(3)] == [
            200
        ] * 3
        clock.now += 0.1  # a request comes back every third of a second: none yet
        refused = client.get("/v1/orders", headers=channel)
        again = client.get("/v1/orders", headers=channel)

    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["status"] == 429 and body["code"] == "too_many_requests"
    assert "may send 3 requests a second; try again in 0.3 s" in body["detail"]
    assert "role channel" in body["detail"]
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["ratelimit-policy"] == '"key";q=3;w=1'
    assert refused.headers["ratelimit"] == '"key";r=0;t=1'
    assert again.status_code == 429
    # One line for the storm, not one per refused request.
    throttled = [r for r in caplog.records if "rate limit:" in r.getMessage()]
    assert len(throttled) == 1, [r.getMessage() for r in throttled]
    assert "channel:e2e-channel" in throttled[0].getMessage()


def test_another_key_is_unaffected_and_a_spent_budget_comes_back_a_request_at_a_time(
    limited: tuple[Any, dict[str, str]], clock: Clock
) -> None:
    app, keys = limited
    with _client(app) as client:
        support = {"X-API-Key": keys["support"]}
        assert [client.get("/v1/orders", headers=support).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        # Other keys, of the same and of other roles, have budgets of their own; admin has
        # no limit at all.
        assert client.get("/v1/orders", headers={"X-API-Key": keys["channel"]}).status_code == 200
        statuses = {client.get("/v1/orders", headers={"X-API-Key": keys["admin"]}).status_code
                    for _ in range(20)}  # fmt: skip
        assert statuses == {200}
        clock.now += 4  # a request comes back every 5 s (2 per 10 s): none yet
        early = client.get("/v1/orders", headers=support)
        assert early.status_code == 429
        assert early.headers["retry-after"] == "1"
        assert early.headers["ratelimit"] == '"key";r=0;t=1'
        clock.now += 1  # one came back, not a whole new window's worth
        paced = [client.get("/v1/orders", headers=support) for _ in range(2)]
        assert [answer.status_code for answer in paced] == [200, 429]
        assert paced[0].headers["ratelimit"] == '"key";r=0;t=5'
        clock.now += 15  # idle long enough: the whole budget again, and no more
        assert [client.get("/v1/orders", headers=support).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]


def test_a_throttled_write_does_not_use_up_its_idempotency_key(
    limited: tuple[Any, dict[str, str]], clock: Clock
) -> None:
    app, keys = limited
    with _client(app) as client:
        support = {"X-API-Key": keys["support"]}
        assert client.get("/v1/orders", headers=support).status_code == 200
        assert client.get("/v1/orders", headers=support).status_code == 200
        write = {**support, "Idempotency-Key": "cancel-1"}
        refused = client.post("/v1/orders/no-such-order/cancel", headers=write, json=REASON)
        assert refused.status_code == 429
        clock.now += 10
        retried = client.post("/v1/orders/no-such-order/cancel", headers=write, json=REASON)
        other = {**support, "Idempotency-Key": "cancel-2"}
        second = client.post("/v1/orders/no-such-order/cancel", headers=other, json=REASON)
    # Run for real once the budget is back, not replayed from the throttled attempt; and
    # charged once, though the idempotency middleware and the route both authenticate it.
    assert retried.status_code == 404
    assert "idempotent-replayed" not in retried.headers
    assert second.status_code == 404


def test_a_client_guessing_keys_is_locked_out_while_a_right_key_from_elsewhere_works(
    limited: tuple[Any, dict[str, str]], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    app, keys = limited
    with (
        _client(app, GUESSER) as guesser,
        _client(app, NEIGHBOUR) as neighbour,
        caplog.at_level(logging.WARNING, logger="ordo.auth"),
    ):
        guesses = [guesser.get("/v1/orders", headers={"X-API-Key": WRONG_KEY}) for _ in range(3)]
        assert [answer.status_code for answer in guesses] == [401, 401, 401]
        clock.now += 20
        locked = guesser.get("/v1/orders", headers={"X-API-Key": WRONG_KEY})
        # Locked out: even the right key is not checked from that address...
        right_from_guesser = guesser.get("/v1/orders", headers={"X-API-Key": keys["admin"]})
        # ...nor does a forged X-Forwarded-For get it out: the server says who the client is.
        forged = guesser.get(
            "/v1/orders", headers={"X-API-Key": keys["admin"], "X-Forwarded-For": "10.9.9.9"}
        )
        # Anyone else signs in as ever, and a route that needs no credential still answers.
        assert neighbour.get("/v1/orders", headers={"X-API-Key": keys["admin"]}).status_code == 200
        assert guesser.get("/health").status_code == 200
        clock.now += 100  # the 120 s lockout is over
        after = guesser.get("/v1/orders", headers={"X-API-Key": keys["admin"]})

    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert locked.json()["detail"] == (
        "too many failed sign-ins from 203.0.113.7: after 3 within a minute, its requests are "
        "refused for 120 s without their credential being checked; try again in 100 s"
    )
    assert locked.headers["retry-after"] == "100"
    assert locked.headers["ratelimit-policy"] == '"sign-in";q=3;w=60'
    assert locked.headers["ratelimit"] == '"sign-in";r=0;t=100'
    assert right_from_guesser.status_code == 429
    assert forged.status_code == 429
    assert after.status_code == 200
    lockouts = [r.getMessage() for r in caplog.records if "locked out" in r.getMessage()]
    assert lockouts == [
        "client 203.0.113.7 locked out for 120 s after 3 failed sign-ins within a minute (the "
        "last named key id 0123456789ab): its requests are refused (429) without their "
        "credential being checked"
    ]


def test_requests_without_a_credential_or_signed_in_do_not_count_towards_a_lockout(
    limited: tuple[Any, dict[str, str]],
) -> None:
    app, keys = limited
    with _client(app, GUESSER) as client:
        for _ in range(5):
            assert client.get("/v1/orders").status_code == 401
            assert (
                client.get("/v1/orders", headers={"Authorization": "Basic eDp5"}).status_code == 401
            )
        # Two failures, then a success: the success does not count, so one more failure does
        # not reach the limit of three.
        for _ in range(2):
            assert client.get("/v1/orders", headers={"X-API-Key": WRONG_KEY}).status_code == 401
        assert client.get("/v1/orders", headers={"X-API-Key": keys["analyst"]}).status_code == 403
        assert client.get("/v1/orders", headers={"X-API-Key": keys["admin"]}).status_code == 200
        assert client.get("/v1/orders", headers={"X-API-Key": keys["admin"]}).status_code == 200
        assert client.get("/v1/orders", headers={"X-API-Key": keys["admin"]}).status_code == 200
        assert client.get("/v1/orders", headers={"X-API-Key": WRONG_KEY}).status_code == 401
        assert client.get("/v1/orders", headers={"X-API-Key": keys["admin"]}).status_code == 429


def test_with_limits_unset_and_lockouts_off_nothing_is_ever_throttled(
    sqlite_url: str, tmp_path: Path, clock: Clock
) -> None:
    with _container(sqlite_url, tmp_path, clock, failed_sign_in_limit="0") as container:
        assert container.rate_limits is None
        app = create_app(container)
        keys = issue_role_keys(container)
        with _client(app, GUESSER) as client:
            wrong = {client.get("/v1/orders", headers={"X-API-Key": WRONG_KEY}).status_code
                     for _ in range(30)}  # fmt: skip
            right = {client.get("/v1/orders", headers={"X-API-Key": keys["channel"]}).status_code
                     for _ in range(50)}  # fmt: skip
        assert "429" not in str(app.openapi()["paths"]["/v1/orders"]["get"]["responses"])
    assert wrong == {401}
    assert right == {200}


def test_the_openapi_document_lists_the_429_on_every_route_that_takes_a_credential(
    limited: tuple[Any, dict[str, str]],
) -> None:
    app, _ = limited
    paths = app.openapi()["paths"]
    assert "429" in paths["/v1/orders"]["get"]["responses"]
    assert "429" in paths["/v1/orders"]["post"]["responses"]
    assert "429" not in paths["/health"]["get"]["responses"]


def test_with_redis_a_client_locked_out_by_one_api_process_is_refused_by_another(
    sqlite_url: str, redis_url: str, tmp_path: Path, clock: Clock
) -> None:
    options = {"redis_url": redis_url, "failed_sign_in_limit": "3/min"}
    guesses = iter([f"ordo_{n:012x}_not-the-secret-of-any-key-at-all" for n in range(5)])

    def guess(client: TestClient) -> int:
        return int(client.get("/v1/orders", headers={"X-API-Key": next(guesses)}).status_code)

    with (
        _container(sqlite_url, tmp_path / "one", clock, **options) as one,
        _container(sqlite_url, tmp_path / "other", clock, **options) as other,
        _client(create_app(one), GUESSER) as first,
        _client(create_app(other), GUESSER) as second,
    ):
        assert [guess(first), guess(second), guess(first)] == [401, 401, 401]
        # The third failure, in the first process, locked the address out in Redis: the
        # second process refuses the next guess before looking its key up.
        refused = second.get("/v1/orders", headers={"X-API-Key": next(guesses)})
    assert refused.status_code == 429
    assert refused.headers["ratelimit-policy"] == '"sign-in";q=3;w=60'
    assert int(refused.headers["retry-after"]) in range(299, 301)


def test_every_answer_to_a_limited_key_says_where_it_stands_not_only_the_429(
    limited: tuple[Any, dict[str, str]], clock: Clock
) -> None:
    app, keys = limited
    with _client(app) as client:
        channel = {"X-API-Key": keys["channel"]}
        answers = [client.get("/v1/orders", headers=channel) for _ in range(2)]
        clock.now += 0.4
        missing = client.get("/v1/orders/no-such-order", headers=channel)
        admin = client.get("/v1/orders", headers={"X-API-Key": keys["admin"]})
    assert [answer.status_code for answer in answers] == [200, 200]
    assert {answer.headers["ratelimit-policy"] for answer in answers} == {'"key";q=3;w=1'}
    assert [answer.headers["ratelimit"] for answer in answers] == [
        '"key";r=2;t=1',
        '"key";r=1;t=1',
    ]
    # An answer that is not a 200 was counted too, and says so: 0.4 s gave one request back.
    assert missing.status_code == 404
    assert missing.headers["ratelimit"] == '"key";r=1;t=1'
    # Admin keys have no limit here: nothing to report.
    assert admin.status_code == 200
    assert "ratelimit" not in admin.headers and "ratelimit-policy" not in admin.headers


def test_a_write_and_its_replay_carry_the_fields_of_the_request_that_brought_them(
    limited: tuple[Any, dict[str, str]],
) -> None:
    app, keys = limited
    with _client(app) as client:
        write = {"X-API-Key": keys["support"], "Idempotency-Key": "cancel-fields"}
        first = client.post("/v1/orders/no-such-order/cancel", headers=write, json=REASON)
        replayed = client.post("/v1/orders/no-such-order/cancel", headers=write, json=REASON)
    assert first.status_code == replayed.status_code == 404
    # `t`: a request comes back 5 s (10 s / 2) after each was taken.
    assert first.headers["ratelimit"] == '"key";r=1;t=5'
    assert replayed.headers["ratelimit"] == '"key";r=0;t=5'
    assert replayed.headers.get_list("ratelimit") == ['"key";r=0;t=5']  # not stored with it


def test_without_budgets_no_answer_carries_ratelimit_fields(
    sqlite_url: str, tmp_path: Path, clock: Clock
) -> None:
    # The default: no ORDO_RATE_LIMITS, lockouts on.
    with _container(sqlite_url, tmp_path, clock) as container:
        assert container.rate_limits is not None and not container.rate_limits.any_budget
        app = create_app(container)
        keys = issue_role_keys(container)
        with _client(app) as client:
            answers = [
                client.get("/v1/orders", headers={"X-API-Key": keys["channel"]}),
                client.get("/health"),
                client.get("/v1/orders"),
            ]
    assert [answer.status_code for answer in answers] == [200, 200, 401]
    assert not [answer for answer in answers if "ratelimit" in answer.headers]


@pytest.fixture
def anonymous(
    sqlite_url: str, tmp_path: Path, clock: Clock
) -> Iterator[tuple[Any, dict[str, str]]]:
    with _container(
        sqlite_url, tmp_path, clock, rate_limits="anonymous=3/min", failed_sign_in_limit="0"
    ) as container:
        yield create_app(container), issue_role_keys(container)


def test_requests_without_a_credential_are_limited_per_address_when_a_budget_is_named(
    anonymous: tuple[Any, dict[str, str]], clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    app, keys = anonymous
    with (
        _client(app, GUESSER) as client,
        _client(app, NEIGHBOUR) as neighbour,
        caplog.at_level(logging.WARNING, logger="ordo.auth"),
    ):
        health = [client.get("/health") for _ in range(2)]
        # A route that needs a credential, asked without one: counted, and still a 401.
        unsigned = client.get("/v1/orders")
        refused = client.get("/health")
        again = client.get("/openapi.json")
        # Another address has a budget of its own; a key is never anonymous.
        other = neighbour.get("/health")
        with_key = client.get("/v1/orders", headers={"X-API-Key": keys["support"]})
        clock.now += 60
        after = client.get("/health")

    assert [answer.status_code for answer in health] == [200, 200]
    # A request comes back every 20 s (a minute / 3).
    assert [answer.headers["ratelimit"] for answer in health] == [
        '"anonymous";r=2;t=20',
        '"anonymous";r=1;t=20',
    ]
    assert health[0].headers["ratelimit-policy"] == '"anonymous";q=3;w=60'
    assert unsigned.status_code == 401
    assert unsigned.headers["ratelimit"] == '"anonymous";r=0;t=20'
    assert refused.status_code == again.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "too_many_requests"
    assert refused.json()["detail"] == (
        "this client address (203.0.113.7) may send 3 requests a minute without a credential; "
        "try again in 20 s, or send one (X-API-Key, or Authorization: Bearer)"
    )
    assert refused.headers["retry-after"] == "20"
    assert refused.headers.get_list("ratelimit") == ['"anonymous";r=0;t=20']
    assert other.status_code == 200 and other.headers["ratelimit"] == '"anonymous";r=2;t=20'
    assert with_key.status_code == 200 and "ratelimit" not in with_key.headers
    assert after.status_code == 200
    throttled = [r.getMessage() for r in caplog.records if "rate limit:" in r.getMessage()]
    assert throttled == [
        "rate limit: client 203.0.113.7 is over the 3 requests a minute allowed without a "
        "credential; its anonymous requests are refused (429) until it slows down, logged "
        "at most once a minute"
    ]


def test_a_made_up_credential_on_a_route_that_checks_none_is_still_anonymous(
    anonymous: tuple[Any, dict[str, str]],
) -> None:
    app, _ = anonymous
    with _client(app, GUESSER) as client:
        decoy = {"X-API-Key": WRONG_KEY, "Authorization": "Bearer nothing"}
        statuses = [client.get("/health", headers=decoy).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize(
    "webhook",
    ["/v1/channels/nope/orders", "/v1/ticketing/nope/events", "/v1/carriers/PCL/tracking"],
)
def test_a_signed_webhooks_delivery_is_not_anonymous(
    anonymous: tuple[Any, dict[str, str]], webhook: str
) -> None:
    app, _ = anonymous
    with _client(app, GUESSER) as client:
        answers = [client.post(webhook, content=b"{}") for _ in range(5)]
    # Refused for its missing signature, every time, and never counted as anonymous.
    assert {answer.status_code for answer in answers} == {401}
    assert not [answer for answer in answers if "ratelimit" in answer.headers]


def test_the_openapi_document_lists_the_429_everywhere_with_an_anonymous_budget(
    anonymous: tuple[Any, dict[str, str]],
) -> None:
    app, _ = anonymous
    assert "429" in app.openapi()["paths"]["/health"]["get"]["responses"]


def test_with_redis_two_api_processes_share_one_keys_budget(
    sqlite_url: str, redis_url: str, tmp_path: Path, clock: Clock
) -> None:
    options = {"redis_url": redis_url, "rate_limits": "channel=3/min"}
    with (
        _container(sqlite_url, tmp_path / "one", clock, **options) as one,
        _container(sqlite_url, tmp_path / "other", clock, **options) as other,
    ):
        channel = {"X-API-Key": issue_role_keys(one)["channel"]}
        with _client(create_app(one)) as first, _client(create_app(other)) as second:
            answers = [
                first.get("/v1/orders", headers=channel),
                second.get("/v1/orders", headers=channel),
                first.get("/v1/orders", headers=channel),
                second.get("/v1/orders", headers=channel),
            ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [answer.headers["ratelimit"].partition(";t=")[0] for answer in answers] == [
        '"key";r=2',
        '"key";r=1',
        '"key";r=0',
        '"key";r=0',
    ]
    assert int(answers[3].headers["retry-after"]) in range(19, 21)  # a minute / 3


def test_with_redis_unreachable_a_limited_key_is_served_and_counted_by_the_process(
    sqlite_url: str, tmp_path: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    options = {
        "redis_url": "redis://127.0.0.1:9/0",  # port 9: no Redis there
        "rate_limits": "channel=2/min",
        "failed_sign_in_limit": "0",
    }
    with (
        _container(sqlite_url, tmp_path, clock, **options) as container,
        caplog.at_level(logging.WARNING, logger="ordo.auth"),
    ):
        channel = {"X-API-Key": issue_role_keys(container)["channel"]}
        with _client(create_app(container)) as client:
            answers = [client.get("/v1/orders", headers=channel) for _ in range(3)]
    # No 500 and no lockout: the process counts on its own, and says so.
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[0].headers["ratelimit"] == '"key";r=1;t=30'
    assert any("Redis is unreachable" in r.getMessage() for r in caplog.records)
