"""`ordo rules check|fmt|test` on a rule whose condition is a chain of 5,000 alternatives.

Regression for "a flat condition of 47 alternatives is refused as nested too deeply"; the language's
own tests are in tests/unit/dsl/test_dsl_long_chains.py.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ordo.cli import app

runner = CliRunner()
STATES = 5000

MANY_STATES = """validation ruleset many_states on order.received policy all

rule "many states"
  when %s
  then hold code "MANY_STATES" message "Order {order.id} ships to {order.ship_to.state}"
"""

SCENARIOS = """ruleset: many.ordo
defaults:
  order: {id: O-1, channel: web, channel_order_id: W-1, customer_id: c1, email: a@example.com,
          currency: USD, service_level: standard, priority: 0, created_at: 2025-03-01T10:00:00,
          ship_to: {postal_code: "10001", country: US, city: New York, state: NY},
          lines: [], line_count: 0, units: 0, weight: 0, hazmat: false, total: 10}
scenarios:
  - name: The last state of the chain is held
    given: {order: {ship_to: {state: S4999}}}
    expect: {actions: [{kind: hold, code: MANY_STATES, message: Order O-1 ships to S4999}]}
  - name: A state outside the chain passes
    given: {order: {ship_to: {state: NY}}}
    expect: {no_match: true}
"""


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _many_states(directory: Path, count: int) -> Path:
    ruleset = directory / "many.ordo"
    alternatives = " or ".join(f'order.ship_to.state == "S{i}"' for i in range(count))
    ruleset.write_text(MANY_STATES % alternatives)
    return ruleset


def test_47_alternatives_check_clean(tmp_path: Path) -> None:
    code, output = run("rules", "check", str(_many_states(tmp_path, 47)))
    assert (code, output) == (0, "1 file(s) checked: 0 error(s), 0 warning(s)\n")


def test_5000_alternatives_check_format_and_pass_their_scenarios(tmp_path: Path) -> None:
    ruleset = _many_states(tmp_path, STATES)
    assert run("rules", "check", str(ruleset)) == (
        0,
        "1 file(s) checked: 0 error(s), 0 warning(s)\n",
    )
    assert run("rules", "fmt", str(ruleset))[0] == 0
    assert ruleset.read_text().count('\n   or order.ship_to.state == "S') == STATES - 1
    assert run("rules", "fmt", "--check", str(ruleset)) == (0, "nothing to change\n")
    scenarios = tmp_path / "many.scenarios.yaml"
    scenarios.write_text(SCENARIOS)
    code, output = run("rules", "test", str(scenarios))
    assert code == 0, output
    assert output.strip().endswith("2 scenario(s) passed, 0 failed")
