"""The ruleset lifecycle over HTTP: draft, validate, test, diff, publish, roll back, and an
order's trace naming the version that decided it."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings
from tests.e2e.conftest import SECRET, Api, issue_role_keys, order

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CHECKS = """validation ruleset order_checks on order.received policy all

rule "Large orders are reviewed"
  when order.total > {limit} USD
  then hold code "fraud_review" message "order total {{order.total}} over the review limit"
"""

BROKEN = """validation ruleset order_checks on order.received policy all

rule "Typo in a field"
  when order.totl > 100 USD
  then hold code "x" message "y"

rule "Unknown action"
  when order.total > 1 USD
  then explode code "x"
"""

SCENARIOS = """locations:
  - {code: DAL-01, type: warehouse, postal_code: "75201"}
products:
  - {sku: SHOE-42, price: "20.00"}
stock:
  - {sku: SHOE-42, location: DAL-01, on_hand: 100}
scenarios:
  - name: A small order passes
    order: {ship_to: "10001", lines: [{sku: SHOE-42, qty: 1}]}
    expect: {status: released}
  - name: A large order is held
    order: {ship_to: "10001", lines: [{sku: SHOE-42, qty: 50}]}
    expect: {status: held, hold: fraud_review}
"""


def _payload(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)


def draft(api: Api, source: str, scenarios: str | None = None, role: str = "analyst") -> Any:
    response = api.post(
        "/v1/rulesets/drafts", role=role, json={"source": source, "scenarios": scenarios}
    )
    assert response.status_code == 201, response.text
    return response.json()


def validation_trace(api: Api, order_id: str) -> dict[str, Any]:
    trace = api.get(f"/v1/orders/{order_id}", role="support").json()["trace"]
    return next(t for t in trace if t["step"] == "validation")


def test_validation_reports_every_error_with_its_line_and_column(api: Api) -> None:
    response = api.post("/v1/rulesets/validate", role="analyst", json={"source": BROKEN})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    errors = [d for d in body["diagnostics"] if d["severity"] == "error"]
    assert len(errors) >= 2
    lines = {d["line"] for d in errors}
    assert 4 in lines and 9 in lines
    typo = next(d for d in errors if d["line"] == 4)
    assert typo["column"] == BROKEN.splitlines()[3].index("totl") + 1
    assert typo["suggestion"] == "did you mean `total`?"
    assert "^" in typo["rendered"]
    action = next(d for d in errors if d["line"] == 9)
    assert action["column"] == BROKEN.splitlines()[8].index("explode") + 1


def test_a_clean_text_validates(api: Api) -> None:
    body = api.post(
        "/v1/rulesets/validate", role="analyst", json={"source": CHECKS.format(limit=100)}
    ).json()
    assert (body["valid"], body["errors"]) == (True, 0)


def test_a_draft_with_errors_is_saved_but_never_published(api: Api) -> None:
    saved = draft(api, BROKEN)
    assert (saved["status"], saved["version"], saved["author"]) == (
        "draft",
        1,
        "analyst:e2e-analyst",
    )
    refused = api.post(f"/v1/rulesets/versions/{saved['id']}/publish", role="analyst", json={})
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "invalid_ruleset"
    assert "line 4" in problem["detail"]
    assert {d["line"] for d in problem["diagnostics"]} >= {4, 9}


def test_a_draft_whose_scenarios_fail_is_not_published(api: Api) -> None:
    saved = draft(api, CHECKS.format(limit=5000), SCENARIOS)
    tested = api.post(f"/v1/rulesets/versions/{saved['id']}/test", role="analyst", json={})
    assert tested.status_code == 200
    assert (tested.json()["passed"], tested.json()["failed"]) == (1, 1)
    failing = next(r for r in tested.json()["results"] if not r["passed"])
    assert failing["name"] == "A large order is held" and "held" in failing["message"]
    refused = api.post(f"/v1/rulesets/versions/{saved['id']}/publish", role="analyst", json={})
    assert refused.status_code == 422
    assert "A large order is held" in refused.json()["detail"]
    versions = api.get("/v1/rulesets?name=order_checks", role="analyst").json()
    assert [v["status"] for v in versions] == ["draft"]


def test_scenarios_may_not_make_the_server_read_files(api: Api) -> None:
    saved = draft(api, CHECKS.format(limit=100))
    sneaky = "world: ../../etc/passwd\nscenarios: []\n"
    response = api.post(
        f"/v1/rulesets/versions/{saved['id']}/test", role="analyst", json={"scenarios": sneaky}
    )
    assert response.status_code == 422
    assert "world" in response.json()["detail"]


def test_scenarios_of_the_wrong_shape_are_refused_with_what_is_wrong(api: Api) -> None:
    saved = draft(api, CHECKS.format(limit=100))
    for malformed in ("scenarios: [5]\n", "scenarios: [{name: a, steps: [5]}]\n"):
        response = api.post(
            f"/v1/rulesets/versions/{saved['id']}/test",
            role="analyst",
            json={"scenarios": malformed},
        )
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert "scenario 1 must be a mapping with a name and a list of steps" in detail


def test_the_diff_of_two_versions_names_rules_added_removed_and_changed(api: Api) -> None:
    first = draft(api, CHECKS.format(limit=100))
    second_source = CHECKS.format(limit=250) + (
        '\nrule "Bulk lines are reviewed"\n'
        "  when any line in order.lines where line.quantity > 99\n"
        '  then hold code "bulk" message "bulk"\n'
    )
    second = draft(api, second_source)
    diff = api.get(
        f"/v1/rulesets/versions/{first['id']}/diff/{second['id']}", role="analyst"
    ).json()
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert diff["added"] == ["Bulk lines are reviewed"]
    assert diff["changed"] == ["Large orders are reviewed"]
    assert diff["removed"] == []
    assert "-  when order.total > 100 USD" in diff["unified"]
    assert "+  when order.total > 250 USD" in diff["unified"]


def test_publish_and_roll_back_change_which_version_decides_and_the_trace_says_which(
    api: Api,
) -> None:
    api.seed(units=100)
    strict = draft(api, CHECKS.format(limit=10), role="analyst")
    lenient = draft(api, CHECKS.format(limit=10000), role="analyst")

    published = api.post(f"/v1/rulesets/versions/{strict['id']}/publish", role="analyst", json={})
    assert published.status_code == 200, published.text
    held = api.post("/v1/orders", role="channel", json=order("T-1", quantity=2)).json()
    assert held["status"] == "held"
    assert held["holds"][0]["code"] == "fraud_review"
    trace = validation_trace(api, held["id"])
    assert (trace["ruleset"], trace["ruleset_version"]) == ("order_checks", 1)

    assert (
        api.post(
            f"/v1/rulesets/versions/{lenient['id']}/publish", role="analyst", json={}
        ).status_code
        == 200
    )
    passed = api.post("/v1/orders", role="channel", json=order("T-2", quantity=2)).json()
    assert passed["status"] == "released"
    assert validation_trace(api, passed["id"])["ruleset_version"] == 2

    rolled = api.post("/v1/rulesets/order_checks/rollback", role="analyst", json={"to_version": 1})
    assert rolled.status_code == 200, rolled.text
    assert (rolled.json()["version"], rolled.json()["status"]) == (1, "published")
    again = api.post("/v1/orders", role="channel", json=order("T-3", quantity=2)).json()
    assert again["status"] == "held"
    assert validation_trace(api, again["id"])["ruleset_version"] == 1

    versions = {
        v["version"]: v for v in api.get("/v1/rulesets?name=order_checks", role="admin").json()
    }
    assert (versions[1]["status"], versions[2]["status"]) == ("published", "retired")
    assert all(v["author"] == "analyst:e2e-analyst" and v["created_at"] for v in versions.values())
    with api.container.engine.connect() as connection:
        published = connection.execute(
            text("SELECT payload FROM outbox WHERE name = 'ruleset.published' ORDER BY id")
        ).all()
    announced = [_payload(row[0])["version"] for row in published]
    assert announced == [1, 2, 1], "other processes learn of every publish through the outbox"
    actions = [e["action"] for e in api.get("/v1/audit?entity=ruleset").json()]
    assert {"ruleset.draft", "ruleset.publish", "ruleset.rollback"} <= set(actions)

    released = api.post(f"/v1/orders/{held['id']}/release-hold", role="support")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    assert released.json()["holds"][0]["released_by"] == "support:e2e-support"


def test_rolling_back_to_a_draft_is_refused_since_its_scenarios_never_passed(api: Api) -> None:
    draft(api, CHECKS.format(limit=100))
    response = api.post(
        "/v1/rulesets/order_checks/rollback", role="analyst", json={"to_version": 1}
    )
    assert response.status_code == 409, response.text
    assert response.json()["detail"].startswith("order_checks v1 was never published")
    listed = api.get("/v1/rulesets?name=order_checks", role="admin").json()
    assert [v["status"] for v in listed] == ["draft"]


def test_a_diff_across_two_rulesets_is_refused_naming_both(api: Api) -> None:
    one = draft(api, CHECKS.format(limit=100))
    other = draft(api, CHECKS.format(limit=100).replace("order_checks", "other_checks"))
    response = api.get(f"/v1/rulesets/versions/{one['id']}/diff/{other['id']}", role="analyst")
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        f"{one['id']} is a version of order_checks and {other['id']} of other_checks: a diff "
        "compares two versions of one ruleset"
    )


def test_rolling_back_to_a_version_that_does_not_exist_names_it(api: Api) -> None:
    draft(api, CHECKS.format(limit=100))
    response = api.post(
        "/v1/rulesets/order_checks/rollback", role="analyst", json={"to_version": 7}
    )
    assert response.status_code == 404
    assert "order_checks v7" in response.json()["detail"]


def test_a_ruleset_published_through_one_api_process_decides_the_next_orders_of_another(
    database_url: str, tmp_path: Path
) -> None:
    # Two API processes on one database, as `ordo serve --workers 2` runs them: each has its
    # own compiled registry, and the one that did not publish picks the version up from the
    # database at its next refresh.
    settings = load_settings(
        database_url=database_url,
        environment="test",
        secret_key=SECRET,
        data_dir=tmp_path,
        ruleset_refresh_seconds=0.1,
    )
    with build_app_container(settings) as first, build_app_container(settings) as second:
        keys = issue_role_keys(first)
        with (
            TestClient(create_app(first)) as one,
            TestClient(create_app(second)) as other,
        ):
            publisher, decider = Api(one, keys, first), Api(other, keys, second)
            publisher.seed(units=500)
            strict = draft(publisher, CHECKS.format(limit=10))
            published = publisher.post(
                f"/v1/rulesets/versions/{strict['id']}/publish", role="analyst", json={}
            )
            assert published.status_code == 200, published.text

            deadline = time.monotonic() + 10
            for n in itertools.count():
                placed = decider.post(
                    "/v1/orders", role="channel", json=order(f"P-{n}", quantity=2)
                )
                assert placed.status_code == 201, placed.text
                if placed.json()["status"] == "held" or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert placed.json()["status"] == "held", "the other process never saw the publish"
            assert validation_trace(decider, placed.json()["id"])["ruleset_version"] == 1


def test_scenarios_nested_too_deeply_to_read_are_refused_not_a_server_error(api: Api) -> None:
    saved = draft(api, CHECKS.format(limit=100))
    response = api.post(
        f"/v1/rulesets/versions/{saved['id']}/test",
        role="analyst",
        json={"scenarios": "scenarios: " + "[" * 2000 + "]" * 2000},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "the scenarios are nested too deeply to be read"


def run(api: Api, scenarios: str, source: str = CHECKS.format(limit=100)) -> Any:
    """POST .../test with these scenarios for a fresh draft of `source`."""
    saved = draft(api, source)
    return api.post(
        f"/v1/rulesets/versions/{saved['id']}/test", role="analyst", json={"scenarios": scenarios}
    )


def billion_laughs() -> str:
    """The prober's 381 bytes: nine anchors of nine aliases each, 9**9 strings in the name."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\nscenarios:\n  - name: *i\n    steps: []\n"


def test_scenarios_whose_aliases_expand_to_billions_are_refused_at_once(api: Api) -> None:
    started = time.monotonic()
    response = run(api, billion_laughs())
    assert response.status_code == 422, response.text[:500]
    assert response.json()["detail"] == (
        "the scenarios expand to more than 100,000 values through YAML aliases (&anchor/*alias)"
    )
    assert time.monotonic() - started < 10


def test_scenarios_sharing_an_order_through_an_anchor_still_run(api: Api) -> None:
    shared = SCENARIOS.split("scenarios:")[0] + (
        "order: &small {ship_to: '10001', lines: [{sku: SHOE-42, qty: 1}]}\n"
        "expect: &passes {<<: {status: released}}\n"
        "scenarios:\n"
        "  - {name: One small order passes, order: *small, expect: *passes}\n"
        "  - {name: So does the same again, order: *small, expect: *passes}\n"
    )
    response = run(api, shared)
    assert response.status_code == 200, response.text
    assert (response.json()["passed"], response.json()["failed"]) == (2, 0)


@pytest.mark.parametrize(
    ("scenarios", "detail"),
    [
        (  # the prober's: no order, no steps, an expectation nothing checks
            "scenarios:\n  - name: this must fail\n"
            "    expect: {status: no_such_status, bogus_key: 1}\n  - {}\n",
            "scenario 1 (this must fail) has nothing to run: give it an `order` (and what to "
            "`expect` of it) or a list of `steps`",
        ),
        ("scenarios:\n  - {}\n", "scenario 1 has nothing to run"),
        ("scenarios:\n  - {name: no steps, steps: []}\n", "scenario 1 (no steps) has nothing"),
        (
            "scenarios:\n  - name: unchecked\n    order: {lines: [{sku: SHOE-42}]}\n",
            "scenario 1 (unchecked) checks nothing: give its `order`, or one of its `steps`, an "
            "`expect`",
        ),
        (
            "scenarios:\n  - name: typo\n    order: {lines: [{sku: SHOE-42}]}\n"
            "    expect: {status: released, bogus_key: 1}\n",
            "scenario 1 (typo): `expect` has no field 'bogus_key'",
        ),
        (
            "scenarios:\n  - name: typo\n    order: {lines: [{sku: SHOE-42}]}\n"
            "    expect: {status: relased}\n",
            "scenario 1 (typo): `expect.status` 'relased' is not an order status (did you mean "
            "`released`?)",
        ),
        (
            "scenarios: []\n",
            "the 'scenarios' list is empty: give at least one scenario, or send none",
        ),
    ],
    ids=[
        "the prober's",
        "empty",
        "no steps",
        "no expect",
        "unknown key",
        "misspelt status",
        "no scenarios",
    ],
)
def test_scenarios_that_run_or_check_nothing_are_refused_instead_of_passing(
    api: Api, scenarios: str, detail: str
) -> None:
    response = run(api, scenarios)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(detail)


def test_a_draft_whose_scenarios_check_nothing_is_not_published(api: Api) -> None:
    saved = draft(api, CHECKS.format(limit=100), "scenarios:\n  - {name: vacuous}\n")
    refused = api.post(f"/v1/rulesets/versions/{saved['id']}/publish", role="analyst", json={})
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith("scenario 1 (vacuous) has nothing to run")
    versions = api.get("/v1/rulesets?name=order_checks", role="analyst").json()
    assert [v["status"] for v in versions] == ["draft"]


SHIPPED = Path(__file__).parents[2] / "rulesets"
VALIDATION = (SHIPPED / "order_validation.ordo").read_text(encoding="utf-8")
VALIDATION_SCENARIOS = (SHIPPED / "order_validation.scenarios.yaml").read_text(encoding="utf-8")
EMBARGO = "Embargoed destinations are rejected before anything else"


def test_rule_level_scenarios_run_against_the_drafts_text_as_ordo_rules_test_runs_them(
    api: Api,
) -> None:
    response = run(api, VALIDATION_SCENARIOS, VALIDATION)
    assert response.status_code == 200, response.text
    assert (response.json()["passed"], response.json()["failed"]) == (8, 0)
    broken = run(api, VALIDATION_SCENARIOS, VALIDATION.replace('["CU", ', "["))
    assert broken.status_code == 200, broken.text
    failed = [r for r in broken.json()["results"] if not r["passed"]]
    assert [r["name"] for r in failed] == [EMBARGO]


def test_rule_level_scenarios_of_another_ruleset_are_refused_naming_both(api: Api) -> None:
    response = run(api, VALIDATION_SCENARIOS)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(
        "these scenarios are for the ruleset 'order_validation.ordo' (their `ruleset:`), but "
        "this text's header names 'order_checks'"
    )


def test_a_draft_of_a_shipped_ruleset_goes_live_only_while_the_shipped_scenarios_pass(
    api: Api,
) -> None:
    from ordo.demo.pipeline import run_pipeline

    run_pipeline(api.container.uow_factory, NOW)  # the demo, on an empty database
    versions = api.get("/v1/rulesets?name=order_validation", role="analyst").json()
    shipped = api.get(f"/v1/rulesets/versions/{versions[0]['id']}", role="analyst").json()
    assert (shipped["status"], shipped["scenarios"]) == ("published", VALIDATION_SCENARIOS)
    edited = draft(api, VALIDATION.replace('["CU", ', "["))
    assert edited["scenarios"] == VALIDATION_SCENARIOS
    refused = api.post(f"/v1/rulesets/versions/{edited['id']}/publish", role="analyst", json={})
    assert refused.status_code == 422, refused.text
    assert f"1 of 8 scenario(s) fail, first '{EMBARGO}'" in refused.json()["detail"]
    fixed = draft(api, VALIDATION.replace("fraud_review_limit = 5000", "fraud_review_limit = 6000"))
    done = api.post(f"/v1/rulesets/versions/{fixed['id']}/publish", role="analyst", json={})
    assert done.status_code == 200, done.text
    statuses = {
        v["version"]: v["status"]
        for v in api.get("/v1/rulesets?name=order_validation", role="analyst").json()
    }
    assert statuses == {1: "retired", 2: "draft", 3: "published"}


def test_a_draft_sent_without_scenarios_takes_its_parents(api: Api) -> None:
    first = draft(api, CHECKS.format(limit=100), SCENARIOS)
    second = draft(api, CHECKS.format(limit=5000))
    assert second["scenarios"] == SCENARIOS
    saved = api.get(f"/v1/rulesets/versions/{second['id']}", role="analyst").json()
    assert saved["scenarios"] == SCENARIOS
    refused = api.post(f"/v1/rulesets/versions/{second['id']}/publish", role="analyst", json={})
    assert refused.status_code == 422 and "A large order is held" in refused.json()["detail"]
    assert first["scenarios"] == SCENARIOS


def test_a_draft_edited_from_a_version_no_longer_the_newest_is_a_409_and_nothing_is_saved(
    api: Api,
) -> None:
    loaded = draft(api, CHECKS.format(limit=100))
    newer = draft(api, CHECKS.format(limit=200), role="admin")
    stale = api.post(
        "/v1/rulesets/drafts",
        role="analyst",
        json={"source": CHECKS.format(limit=300), "based_on": loaded["id"]},
    )
    assert stale.status_code == 409, stale.text
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["code"] == "stale_draft"
    saved_at = datetime.fromisoformat(newer["created_at"]).astimezone(UTC)
    assert stale.json()["detail"] == (
        f"order_checks version 2 by admin:e2e-admin at {saved_at:%Y-%m-%d %H:%M:%S} UTC was "
        "saved after the one you edited (version 1); reload it and re-apply your change"
    )
    versions = api.get("/v1/rulesets?name=order_checks", role="analyst").json()
    assert sorted(v["version"] for v in versions) == [1, 2]
    current = api.post(
        "/v1/rulesets/drafts",
        role="analyst",
        json={"source": CHECKS.format(limit=300), "based_on": newer["id"]},
    )
    assert current.status_code == 201 and current.json()["version"] == 3


def test_a_draft_based_on_no_saved_version_is_refused_naming_it(api: Api) -> None:
    response = api.post(
        "/v1/rulesets/drafts",
        role="analyst",
        json={"source": CHECKS.format(limit=300), "based_on": "rsv_000000000000"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(
        "based_on: rsv_000000000000 is not a saved ruleset version"
    )


def test_a_scenarios_own_ruleset_given_as_a_file_name_is_refused_not_read(api: Api) -> None:
    scenarios = SCENARIOS.replace(
        "    expect: {status: released}\n",
        "    expect: {status: released}\n    rulesets: [../../rulesets/routing.ordo]\n",
    )
    response = run(api, scenarios)
    assert response.status_code == 422, response.text
    assert (
        response.json()["detail"] == "rulesets in scenarios must be given as text, not file names"
    )


ONE = "  - {name: S, order: {lines: [{sku: SHOE-42}]}, expect: {status: released}}\n"
STEP = "      - {order: {lines: [{sku: SHOE-42}]}, expect: {status: released}}\n"


@pytest.mark.parametrize(
    ("scenarios", "detail"),
    [
        (
            "scenarios:\n" + ONE * 201,
            "201 scenarios were sent; the API runs at most 200 at a time",
        ),
        (
            "scenarios:\n  - name: long\n    steps:\n" + STEP * 101,
            "scenario 1 (long) has 101 steps; a scenario sent to the API has at most 100",
        ),
        (
            "scenarios:\n" + ("  - name: long\n    steps:\n" + STEP * 100) * 10 + ONE,
            "the scenarios have 1001 steps in all; the API runs at most 1000 at a time (a "
            "scenario's `order` is one step)",
        ),
    ],
    ids=["scenarios", "steps of one scenario", "steps in all"],
)
def test_more_scenarios_than_a_request_may_run_are_refused_before_any_runs(
    api: Api, scenarios: str, detail: str
) -> None:
    started = time.monotonic()
    response = run(api, scenarios)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == detail
    assert time.monotonic() - started < 10
