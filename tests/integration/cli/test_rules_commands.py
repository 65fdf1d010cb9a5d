"""`ordo rules check|fmt|test` on real files: diagnostics, formatting, both scenario kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app

runner = CliRunner()

BIG_ORDERS = """validation ruleset big_orders on order.received policy all

rule "Large orders need review"
  when order.total > 5000 USD
  then hold code "FRAUD_REVIEW" message "Order {order.id} is large"
"""

ORDER_DEFAULTS = """defaults:
  order: {id: O-1, channel: web, channel_order_id: W-1, customer_id: c1, email: a@example.com,
          currency: USD, service_level: standard, priority: 0, created_at: 2025-03-01T10:00:00,
          ship_to: {postal_code: "10001", country: US, city: New York, state: NY},
          lines: [], line_count: 0, units: 0, weight: 0, hazmat: false, total: 10}
"""

RULE_SCENARIOS = (
    """ruleset: big.ordo
"""
    + ORDER_DEFAULTS
    + """scenarios:
  - name: A large order is held
    given: {order: {total: 9000}}
    expect: {actions: [{kind: hold, code: FRAUD_REVIEW}]}
  - name: A small order passes
    given: {order: {total: 10}}
    expect: {no_match: %s}
"""
)

PIPELINE_SCENARIOS = """now: "2026-11-18T10:00:00"
locations:
  - {code: NJ-EWR, type: warehouse, postal_code: "07114", state: NJ, cutoff: "16:00"}
products:
  - {sku: TSHIRT, price: "19.00", weight_kg: 0.3}
customers:
  - {id: c1, email: ann@example.com}
stock:
  - {sku: TSHIRT, location: NJ-EWR, on_hand: 100}
rulesets:
  - |
    validation ruleset order_checks on order.received policy all

    rule "Large orders are reviewed"
      when order.total > 1000 USD
      then hold code "fraud_review" message "order total {order.total} over the limit"
scenarios:
  - name: A large order is held for review
    order: {ship_to: "10001", lines: [{sku: TSHIRT, qty: 60}]}
    expect: {status: %s}
"""


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_the_shipped_rulesets_check_clean() -> None:
    code, output = run("rules", "check")
    assert code == 0, output
    assert "0 error(s)" in output


def test_a_misspelt_field_is_reported_at_its_line_and_column_with_a_suggestion(
    tmp_path: Path,
) -> None:
    ruleset = tmp_path / "typo.ordo"
    ruleset.write_text(BIG_ORDERS.replace("order.total", "order.totl"))
    code, output = run("rules", "check", str(ruleset))
    assert code == 1
    assert f"{ruleset}:4:" in output
    assert "total" in output
    assert "1 error(s)" in output


def test_fmt_check_reports_without_writing_and_fmt_rewrites(tmp_path: Path) -> None:
    ruleset = tmp_path / "big.ordo"
    untidy = BIG_ORDERS.replace("  when", "      when")
    ruleset.write_text(untidy)
    code, output = run("rules", "fmt", "--check", str(ruleset))
    assert (code, ruleset.read_text()) == (1, untidy), output
    assert run("rules", "fmt", str(ruleset))[0] == 0
    assert run("rules", "fmt", "--check", str(ruleset)) == (0, "nothing to change\n")


def test_rule_level_scenarios_run_in_the_rule_language(tmp_path: Path) -> None:
    (tmp_path / "big.ordo").write_text(BIG_ORDERS)
    scenarios = tmp_path / "big.scenarios.yaml"
    scenarios.write_text(RULE_SCENARIOS % "true")
    code, output = run("rules", "test", str(scenarios))
    assert code == 0, output
    assert output.strip().endswith("2 scenario(s) passed, 0 failed")


def test_a_failing_rule_scenario_fails_the_command(tmp_path: Path) -> None:
    (tmp_path / "big.ordo").write_text(BIG_ORDERS)
    scenarios = tmp_path / "big.scenarios.yaml"
    scenarios.write_text(RULE_SCENARIOS.replace("total: 9000", "total: 90") % "true")
    code, output = run("rules", "test", str(scenarios))
    assert code == 1
    assert "FAIL" in output and "1 failed" in output


def test_a_step_that_moves_the_clock_off_the_calendar_fails_its_scenario_in_words(
    tmp_path: Path,
) -> None:
    far = (PIPELINE_SCENARIOS % "held").replace(
        "    expect: {status: held}\n",
        "    expect: {status: held}\n    steps:\n      - {advance: {minutes: 99999999999999}}\n",
    )
    assert "advance" in far
    scenarios = tmp_path / "far.yaml"
    scenarios.write_text(far)
    code, output = run("rules", "test", str(scenarios))
    assert code == 1, output
    assert "Traceback" not in output
    assert "advance moves the clock off the calendar (minutes 99999999999999, days 0)" in output


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            ("stock:\n  - {sku: TSHIRT, location: NJ-EWR, on_hand: 100}", "stock: 5"),
            "`stock` must be a list, got int",
        ),
        (
            ("products:\n  - {sku", "products:\n  - TSHIRT\n  - {sku"),
            "`products[0]` must be a mapping of fields, got 'TSHIRT'",
        ),
        (
            ("rulesets:", "settings: {max_shipment: 2}\nrulesets:"),
            "`settings.max_shipment` is not a setting (did you mean `max_shipments`?)",
        ),
    ],
)
def test_a_world_of_the_wrong_shape_is_named_by_its_field(
    tmp_path: Path, change: tuple[str, str], said: str
) -> None:
    text = (PIPELINE_SCENARIOS % "held").replace(*change)
    assert text != PIPELINE_SCENARIOS % "held"
    scenarios = tmp_path / "world.yaml"
    scenarios.write_text(text)
    code, output = run("rules", "test", str(scenarios))
    assert code == 1, output
    assert f"FAIL {scenarios}: {said}" in " ".join(output.split())


def test_pipeline_scenarios_send_orders_through_the_engine(tmp_path: Path) -> None:
    passing, failing = tmp_path / "held.yaml", tmp_path / "released.yaml"
    passing.write_text(PIPELINE_SCENARIOS % "held")
    failing.write_text(PIPELINE_SCENARIOS % "released")
    code, output = run("rules", "test", str(passing), str(failing))
    assert code == 1
    assert "PASS held.yaml: A large order is held for review" in output
    assert "FAIL released.yaml: A large order is held for review" in output
    assert output.strip().endswith("1 scenario(s) passed, 1 failed")


def test_an_unreadable_scenario_file_exits_2(tmp_path: Path) -> None:
    code, output = run("rules", "test", str(tmp_path / "missing.yaml"))
    assert code == 2
    assert f"{tmp_path / 'missing.yaml'}: cannot read this file: no such file" in output


def test_a_scenario_file_that_is_not_yaml_is_reported_at_its_line_and_column(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("ruleset: big.ordo\nscenarios:\n  - name: a\n    given: [1, 2\n")
    code, output = run("rules", "test", str(broken))
    assert code == 2
    assert f"{broken}:5:1: not valid YAML (expected ',' or ']'" in output


def test_a_scenario_file_nested_too_deeply_to_read_is_named_not_a_traceback(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("scenarios: " + "[" * 2000 + "]" * 2000 + "\n")
    code, output = run("rules", "test", str(deep))
    assert code == 2
    assert f"{deep}: nested too deeply to be read" in output


def test_a_yaml_file_that_is_not_a_mapping_is_named_as_not_a_scenario_file(
    tmp_path: Path,
) -> None:
    listed, empty = tmp_path / "listed.yaml", tmp_path / "empty.yaml"
    listed.write_text("- a list\n")
    empty.write_text("")
    code, output = run("rules", "test", str(listed), str(empty))
    assert code == 2
    assert f"{listed}: not a scenario file: its top level is a list" in output
    assert f"{empty}: not a scenario file: it is empty" in output


def test_a_ruleset_given_to_test_points_at_its_scenarios(tmp_path: Path) -> None:
    ruleset = tmp_path / "big.ordo"
    ruleset.write_text(BIG_ORDERS)
    (tmp_path / "big.scenarios.yaml").write_text(RULE_SCENARIOS % "true")
    code, output = run("rules", "test", str(ruleset))
    assert code == 2
    assert (
        f"{ruleset}: a ruleset, not a scenario file: test it through its scenarios "
        "(big.scenarios.yaml), or check it with `ordo rules check`"
    ) in output


def test_a_ruleset_without_scenarios_given_to_test_says_it_has_none_and_how_to_write_them(
    tmp_path: Path,
) -> None:
    ruleset = tmp_path / "big.ordo"
    ruleset.write_text(BIG_ORDERS)
    scenarios = tmp_path / "other.scenarios.yaml"
    (tmp_path / "other.ordo").write_text(BIG_ORDERS)
    scenarios.write_text(RULE_SCENARIOS.replace("big.ordo", "other.ordo") % "true")
    code, output = run("rules", "test", str(ruleset), str(scenarios))
    assert code == 2
    lines = output.splitlines()
    assert lines[0] == (
        f"{ruleset}: a ruleset, and it has no scenarios file (big.scenarios.yaml does not "
        "exist next to it): write one, with `ruleset: big.ordo` and `scenarios:` to test its "
        "rules alone, or with `locations`, `stock` and `scenarios` to send orders through the "
        "whole pipeline (both formats: docs/api.md); or check it with `ordo rules check`"
    )
    assert "(big.scenarios.yaml), or check it" not in output
    assert lines[-1] == "2 scenario(s) passed, 0 failed"


def test_check_says_why_a_file_cannot_be_read_and_does_not_count_it_as_checked(
    tmp_path: Path,
) -> None:
    ruleset, latin = tmp_path / "big.ordo", tmp_path / "latin1.ordo"
    missing = tmp_path / "missing.ordo"
    ruleset.write_text(BIG_ORDERS)
    latin.write_bytes("# caf\xe9\n".encode("latin-1"))
    code, output = run("rules", "check", str(ruleset), str(latin), str(missing))
    assert code == 2
    assert f"{latin}: cannot read this file: not UTF-8 text (byte 0xe9 at offset 5)" in output
    assert f"{missing}: cannot read this file: no such file" in output
    assert output.strip().endswith(
        "1 file(s) checked: 0 error(s), 0 warning(s); 2 file(s) could not be read"
    )


def test_a_ruleset_saved_with_a_byte_order_mark_checks_as_the_same_text(tmp_path: Path) -> None:
    # Windows editors start UTF-8 files with one; it is invisible, so it is not an error at 1:1.
    ruleset = tmp_path / "big.ordo"
    ruleset.write_bytes(b"\xef\xbb\xbf" + BIG_ORDERS.encode("utf-8"))
    code, output = run("rules", "check", str(ruleset))
    assert code == 0, output
    assert output.strip().endswith("1 file(s) checked: 0 error(s), 0 warning(s)")


def test_a_malformed_pipeline_scenario_file_fails_with_what_is_wrong_not_a_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "world.yaml").write_text("- a list, not a world\n")
    files = {
        "shared.yaml": "world: world.yaml\nscenarios: []\n",
        "numbers.yaml": "scenarios: [5]\n",
        "price.yaml": "products: [{sku: A, price: abc}]\n"
        "scenarios: [{name: a, order: {lines: [{sku: A}]}, expect: {status: released}}]\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    code, output = run("rules", "test", *(str(tmp_path / name) for name in files))
    assert code == 1
    assert "Traceback" not in output
    shared, world = tmp_path / "shared.yaml", tmp_path / "world.yaml"
    assert f"FAIL {shared}: {world}: a world file is a mapping" in output
    assert f"FAIL {tmp_path / 'numbers.yaml'}: scenario 1 must be a mapping" in output
    assert "price 'abc' is not a number" in output


def test_a_folder_stands_for_its_rulesets_or_its_scenarios(tmp_path: Path) -> None:
    (tmp_path / "big.ordo").write_text(BIG_ORDERS)
    code, output = run("rules", "check", str(tmp_path))
    assert (code, output.strip().splitlines()[-1]) == (
        0,
        "1 file(s) checked: 0 error(s), 0 warning(s)",
    )
    code, output = run("rules", "test", str(tmp_path))
    assert code == 1
    assert output.strip() == f"error: {tmp_path}: no *.scenarios.yaml files in this folder"


def test_test_without_files_runs_the_shipped_scenarios() -> None:
    code, output = run("rules", "test")
    assert code == 0, output
    assert output.strip().endswith("passed, 0 failed")
    assert "rulesets/order_validation.scenarios.yaml: " in output


# A condition that is one long chain (regression: 47 alternatives were refused as nested too
# deeply); the language's own tests are in tests/unit/dsl/test_dsl_long_chains.py.
STATES = 5000

MANY_STATES = """validation ruleset many_states on order.received policy all

rule "many states"
  when %s
  then hold code "MANY_STATES" message "Order {order.id} ships to {order.ship_to.state}"
"""

LONG_CHAIN_SCENARIOS = (
    """ruleset: many.ordo
"""
    + ORDER_DEFAULTS
    + """scenarios:
  - name: The last state of the chain is held
    given: {order: {ship_to: {state: S4999}}}
    expect: {actions: [{kind: hold, code: MANY_STATES, message: Order O-1 ships to S4999}]}
  - name: A state outside the chain passes
    given: {order: {ship_to: {state: NY}}}
    expect: {no_match: true}
"""
)


def _many_states(directory: Path, count: int) -> Path:
    ruleset = directory / "many.ordo"
    alternatives = " or ".join(f'order.ship_to.state == "S{i}"' for i in range(count))
    ruleset.write_text(MANY_STATES % alternatives)
    return ruleset


def test_a_condition_of_47_alternatives_is_one_level_deep_and_checks_clean(tmp_path: Path) -> None:
    code, output = run("rules", "check", str(_many_states(tmp_path, 47)))
    assert (code, output) == (0, "1 file(s) checked: 0 error(s), 0 warning(s)\n")


def test_a_condition_of_5000_alternatives_checks_formats_and_passes_its_scenarios(
    tmp_path: Path,
) -> None:
    ruleset = _many_states(tmp_path, STATES)
    assert run("rules", "check", str(ruleset)) == (
        0,
        "1 file(s) checked: 0 error(s), 0 warning(s)\n",
    )
    assert run("rules", "fmt", str(ruleset))[0] == 0
    assert ruleset.read_text().count('\n   or order.ship_to.state == "S') == STATES - 1
    assert run("rules", "fmt", "--check", str(ruleset)) == (0, "nothing to change\n")
    scenarios = tmp_path / "many.scenarios.yaml"
    scenarios.write_text(LONG_CHAIN_SCENARIOS)
    code, output = run("rules", "test", str(scenarios))
    assert code == 0, output
    assert output.strip().endswith("2 scenario(s) passed, 0 failed")
