"""The language's promises that are not a single golden case: collected diagnostics, the
formatter, the safety of generated code, time windows, the facade's errors, the tooling."""

from __future__ import annotations

import ast as python_ast
import datetime as dt
import os
from pathlib import Path

import pytest

import dsl
from dsl import tooling
from dsl.formatter import format_source
from dsl.scenarios import ScenarioError, coerce_facts, load
from engine.rules.schema import SCHEMA_SPEC
from tests.unit.dsl.dsl_golden import cases
from tests.unit.dsl.dsl_sample_schema import order, sample_schema

SCHEMA = sample_schema()
NOW = dt.datetime(2025, 3, 1, 12, 0)
ROOT = Path(__file__).resolve().parents[3]


def test_a_file_with_five_different_mistakes_yields_five_positioned_diagnostics() -> None:
    source = "\n".join([
        "validation ruleset checks on order.received",
        'rule "Typo in a field" when order.totl > 5 USD then hold code "A" message "a"',
        'rule "Missing then" when order.total > 5 USD hold code "B" message "b"',
        'rule "Wrong unit" when order.weight > 5 km then hold code "C" message "c"',
        'rule "Wrong action" when true then max_shipments 2',
        'rule "Unknown root" when ordr.channel == "web" then hold code "E" message "e"',
    ])
    found = dsl.check(source, SCHEMA)
    assert [(d.code, d.line, d.column) for d in found] == [
        ("E202", 2, 35), ("E102", 3, 46), ("E401", 4, 24), ("E504", 5, 36), ("E201", 6, 26)]
    assert found[1].message == "expected `then` after the condition, found `hold`"
    assert found[0].suggestion == "did you mean `total`?"
    assert found[4].suggestion == "did you mean `order`?"


def test_a_diagnostic_renders_the_source_line_with_a_caret_under_the_culprit() -> None:
    source = 'validation ruleset t on order.received\nrule "R" when order.totl > 5 then hold ' \
             'code "X" message "x"'
    rendered = dsl.check(source, SCHEMA)[0].render("checks.ordo")
    assert rendered.splitlines() == [
        "checks.ordo:2:21: error E202: `order` has no field `totl`",
        '  rule "R" when order.totl > 5 then hold code "X" message "x"',
        "                      ^^^^",
        "  hint: did you mean `total`?",
    ]


def test_a_file_without_its_header_is_told_to_start_with_one_at_its_first_rule() -> None:
    source = ('# checks for the web shop\n\n'
              'rule "A" when order.total > 1 then hold code "A" message "a"\n')
    [found] = dsl.check(source, SCHEMA)
    assert (found.code, found.line, found.column) == ("E102", 3, 1)
    assert found.message == "expected the ruleset's header before its first declaration"
    assert "`validation ruleset checks on order.received`" in found.suggestion


@pytest.mark.parametrize(
    ("condition", "hint"),
    [("order.total > 1 && order.total < 5", "join conditions with the words `and` and `or`"),
     ("order.total > 1 || order.total < 5", "join conditions with the words `and` and `or`"),
     ("!(order.total > 1)", "write `not` before a condition (`!=` compares)")])
def test_operators_from_other_languages_are_answered_with_the_words_to_use(
    condition: str, hint: str
) -> None:
    source = ('validation ruleset t on order.received\n'
              f'rule "A" when {condition} then hold code "A" message "a"\n')
    [found] = dsl.check(source, SCHEMA)
    assert (found.code, found.suggestion) == ("E101", hint)


@pytest.mark.parametrize(
    ("condition", "code", "hint"),
    [('order.channel == web', "E201", 'if `web` is a text, write it in double quotes: "web"'),
     ("order.total > $100", "E101",
      "write an amount as a number and a currency code, e.g. `100 USD`"),
     ("order.total > 100 usd", "E105",
      "did you mean `USD`? currency codes are written in capitals"),
     ('zzz.channel == "web"', "E201", ""),
     ('order.created_at > "2025-01-01"', "E301",
      "dates are written without quotes, e.g. 2025-03-31")])
def test_common_slips_get_a_hint_that_fixes_them(condition: str, code: str, hint: str) -> None:
    source = ('validation ruleset t on order.received\n'
              f'rule "A" when {condition} then hold code "A" message "a"\n')
    [found] = dsl.check(source, SCHEMA)
    assert (found.code, found.suggestion) == (code, hint)


def test_a_misspelt_action_is_named_as_an_action_with_the_one_meant() -> None:
    source = ('validation ruleset t on order.received\n'
              'rule "A" when order.total > 1 then rejet code "A" message "a"\n')
    [found] = dsl.check(source, SCHEMA)
    assert found.message == (
        "expected an action after `then` (such as reject, hold, require, prefer, alert), "
        "found `rejet`")
    assert found.suggestion == "did you mean `reject`?"


@pytest.mark.parametrize("source", ["", "# only a comment\n", "\n\n"])
def test_an_empty_ruleset_is_called_empty(source: str) -> None:
    [found] = dsl.check(source, SCHEMA)
    assert (found.code, found.message) == ("E102", "the ruleset is empty: expected its header")


def test_compile_raises_one_rule_error_carrying_every_error() -> None:
    source = ('validation ruleset t on order.received\n'
              'rule "A" when order.x > 1 then hold code "A" message "a"\n'
              'rule "B" when order.y > 1 then hold code "B" message "b"')
    with pytest.raises(dsl.RuleError) as raised:
        dsl.compile(source, SCHEMA)
    assert [d.line for d in raised.value.diagnostics] == [2, 3]


def test_lark_never_leaks_out_of_the_parser() -> None:
    found = dsl.check("validation ruleset t on order.received\nrule", SCHEMA)
    assert found and all(isinstance(d, dsl.Diagnostic) for d in found)
    assert "Token" not in found[0].message and "$END" not in found[0].message


ALL_SOURCES = [c["source"] for c in cases("decisions") if "expect" in c] + [
    p.read_text(encoding="utf-8") for p in sorted((ROOT / "rulesets").glob("*.ordo"))]


@pytest.mark.parametrize("source", ALL_SOURCES)
def test_formatting_twice_changes_nothing_and_keeps_the_meaning(source: str) -> None:
    once = format_source(source)
    assert format_source(once) == once
    engine_schema = dsl.Schema.from_dict(SCHEMA_SPEC)
    schema = SCHEMA if dsl.is_valid(source, SCHEMA) else engine_schema
    assert [d.code for d in dsl.check(once, schema)] == [d.code for d in dsl.check(source, schema)]


def test_the_formatter_keeps_comments_and_adds_parentheses_only_where_needed() -> None:
    source = ("# header comment\nvalidation ruleset t on order.received\n"
              "# why this rule\nrule \"R\" when (order.total > 5 USD) and not "
              "(order.channel == \"web\") then hold code \"X\" message \"x\"\n")
    assert format_source(source) == (
        "# header comment\nvalidation ruleset t on order.received\n\n# why this rule\n"
        'rule "R"\n  when order.total > 5 USD and not order.channel == "web"\n'
        '  then hold code "X" message "x"\n')


def test_generated_code_never_touches_attributes_or_python_builtins() -> None:
    engine_schema = dsl.Schema.from_dict(SCHEMA_SPEC)
    sources = [(c["source"], SCHEMA) for c in cases("decisions") if "expect" in c] + [
        (p.read_text(encoding="utf-8"), engine_schema)
        for p in sorted((ROOT / "rulesets").glob("*.ordo"))]
    for source, schema in sources:
        tree = python_ast.parse(dsl.compile(source, schema).source)
        assert not [n for n in python_ast.walk(tree) if isinstance(n, python_ast.Attribute)]
        assert not [n for n in python_ast.walk(tree)
                    if isinstance(n, python_ast.Name) and n.id.startswith("__")]


def test_a_rule_cannot_name_python_internals() -> None:
    found = dsl.check('validation ruleset t on order.received\n'
                      'rule "R" when order.__class__ == "x" then hold code "X" message "x"',
                      SCHEMA)
    assert [d.code for d in found] == ["E202"]


def test_windows_count_per_key_within_the_window_only() -> None:
    ruleset = dsl.compile('alert ruleset a on shipment.late\n'
                          'rule "Burst" when count within 1 hour by event.carrier >= 3 '
                          'then alert severity high message "{event.carrier}"', SCHEMA)
    store = dsl.InMemoryWindowStore()

    def late(carrier: str, minute: int) -> list[str]:
        event = {"type": "shipment.late", "at": NOW, "carrier": carrier, "location": None,
                 "order_id": None, "amount": None}
        at = NOW + dt.timedelta(minutes=minute)
        return [a.args["key"] for a in ruleset.evaluate({"event": event}, now=at,
                                                        windows=store).actions]

    assert late("PCL", 0) == [] and late("SWX", 1) == [] and late("PCL", 2) == []
    assert late("PCL", 3) == ["PCL"]
    assert late("PCL", 70) == []  # the first two fell out of the hour


def test_a_window_rule_without_a_store_is_an_evaluation_error() -> None:
    ruleset = dsl.compile('alert ruleset a on shipment.late\n'
                          'rule "Burst" when count within 1 hour > 1 '
                          'then alert severity high message "m"', SCHEMA)
    event = {"type": "x", "at": NOW, "carrier": None, "location": None, "order_id": None,
             "amount": None}
    with pytest.raises(dsl.EvaluationError):
        ruleset.evaluate({"event": event}, now=NOW)


def test_facts_missing_a_promised_field_raise_an_evaluation_error() -> None:
    ruleset = dsl.compile('validation ruleset t on order.received\n'
                          'rule "R" when order.total > 1 USD then hold code "X" message "x"',
                          SCHEMA)
    broken = order()
    del broken["total"]
    with pytest.raises(dsl.EvaluationError) as raised:
        ruleset.evaluate({"order": broken}, now=NOW)
    assert "total" in raised.value.diagnostics[0].message


def test_the_trace_explains_every_rule() -> None:
    ruleset = dsl.compile('validation ruleset t on order.received policy first\n'
                          'rule "Off" disabled when true then hold code "A" message "a"\n'
                          'rule "No" when order.total > 1000 USD then hold code "B" message "b"\n'
                          'rule "Yes" when true then hold code "C" message "c"\n'
                          'rule "Later" when true then hold code "D" message "d"', SCHEMA)
    trace = ruleset.evaluate({"order": order()}, now=NOW).trace.to_dict()
    assert [(r["rule"], r["status"]) for r in trace["rules"]] == [
        ("Off", "disabled"), ("No", "no match"), ("Yes", "matched"), ("Later", "not reached")]
    assert trace["matched"] == ["Yes"]


def test_check_files_reports_every_file_and_fails_on_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.ordo"
    good.write_text('validation ruleset t on order.received\n'
                    'rule "R" when true then hold code "X" message "x"\n', encoding="utf-8")
    bad = tmp_path / "bad.ordo"
    bad.write_text('validation ruleset t on order.received\nrule "R" when order.totl > 1 '
                   'then hold code "X" message "x"\n', encoding="utf-8")
    report, code = tooling.check_files([good, bad], SCHEMA)
    assert code == 1 and "bad.ordo:2:21: error E202" in report
    assert tooling.check_files([good], SCHEMA)[1] == 0
    assert tooling.check_files([tmp_path / "absent.ordo"], SCHEMA)[1] == 2


def test_format_files_rewrites_or_only_reports_in_check_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.ordo"
    path.write_text('validation ruleset t on order.received rule "R" when true then hold '
                    'code "X" message "x"', encoding="utf-8")
    assert tooling.format_files([path], check=True)[1] == 1
    assert tooling.format_files([path])[1] == 0
    assert tooling.format_files([path], check=True) == ("nothing to change", 0)


UNFORMATTED = (
    'validation ruleset t on order.received rule "R" when true then hold code "X" message "x"'
)


def test_a_file_fmt_cannot_write_is_left_whole_and_named_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.ordo"
    path.write_text(UNFORMATTED, encoding="utf-8")

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tooling.os, "replace", disk_full)
    assert tooling.format_files([path]) == (
        f"{path}: cannot write this file: no space left on device",
        2,
    )
    assert path.read_text(encoding="utf-8") == UNFORMATTED
    assert [p.name for p in tmp_path.iterdir()] == ["r.ordo"], "no scratch file left behind"


def test_fmt_through_a_link_rewrites_its_target_and_keeps_the_link_and_the_mode(
    tmp_path: Path,
) -> None:
    target = tmp_path / "r.ordo"
    target.write_text(UNFORMATTED, encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.ordo"
    link.symlink_to(target)
    assert tooling.format_files([link]) == (f"{link}: reformatted", 0)
    assert link.is_symlink() and (target.stat().st_mode & 0o777) == 0o640
    assert target.read_text(encoding="utf-8") == format_source(UNFORMATTED)


def test_scenario_files_are_validated_with_messages_naming_the_problem() -> None:
    with pytest.raises(ScenarioError, match=r"scenario 1 \(x\): `expect` must say"):
        load({"ruleset": "r.ordo", "scenarios": [{"name": "x"}]}, "s.yaml")
    with pytest.raises(ScenarioError, match=r"unknown key\(s\) gvien"):
        load({"ruleset": "r.ordo", "scenarios": [{"name": "x", "gvien": {}, "expect": {
            "no_match": True}}]}, "s.yaml")
    with pytest.raises(ScenarioError, match="`ruleset` must name"):
        load({"scenarios": []}, "s.yaml")


def test_a_failing_scenario_is_reported_with_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "r.ordo").write_text('validation ruleset t on order.received\n'
                                     'rule "R" when order.total > 100 USD then hold code "X" '
                                     'message "x"\n', encoding="utf-8")
    spec = tmp_path / "r.scenarios.yaml"
    spec.write_text("ruleset: r.ordo\nscenarios:\n  - name: small\n    given: {order: {total: 5}}\n"
                    "    expect: {matched: [R]}\n", encoding="utf-8")
    report, code = tooling.run_scenario_files([spec], SCHEMA)
    assert code == 1
    assert "FAIL" in report and "order is missing id" in report  # the facts were incomplete


def test_a_misspelt_fact_in_a_scenario_is_refused_not_dropped() -> None:
    # Dropped, `totl` would leave the default total in place: the scenario would pass
    # while testing something other than what it says.
    facts = {"order": order(totl=5000)}
    with pytest.raises(ScenarioError) as raised:
        coerce_facts(facts, SCHEMA, "scenario 'big'")
    assert str(raised.value) == "scenario 'big': order has no field totl (did you mean `total`?)"


def test_facts_under_a_misspelt_root_are_refused_not_ignored() -> None:
    with pytest.raises(ScenarioError) as raised:
        coerce_facts({"ordr": order(total=5000)}, SCHEMA, "scenario 'vip'")
    assert str(raised.value) == (
        "scenario 'vip': no rule can read facts called ordr (did you mean `order`?)"
    )


def test_the_schema_rejects_unknown_types_with_the_field_name() -> None:
    with pytest.raises(dsl.SchemaError, match=r"'total'.*'monye'"):
        dsl.Schema.from_dict({"roots": {"order": {"total": "monye"}}})


def test_a_device_or_a_pipe_is_refused_instead_of_read_forever(tmp_path: Path) -> None:
    pipe = tmp_path / "rules.ordo"
    os.mkfifo(pipe)
    report, code = tooling.check_files([pipe, Path("/dev/zero")], SCHEMA)
    assert code == 2
    assert f"{pipe}: cannot read this file: not a regular file (a device, a pipe or a socket)" in (
        report
    )
    assert "/dev/zero: cannot read this file: not a regular file" in report


def test_a_mistake_found_again_when_its_declaration_is_reread_is_reported_once() -> None:
    source = (
        "validation ruleset t on order.received\n"
        'rule "R" when order.weight < 5 kgz then hold code "A" message "a" and more\n'
    )
    found = [(d.code, d.line, d.column) for d in dsl.check(source, SCHEMA)]
    assert len(found) == len(set(found)), found
    assert ("E105", 2, 32) in found
