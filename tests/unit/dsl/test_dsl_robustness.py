"""Input a fuzzing probe found mishandled: each test names what went wrong before.

YAML a reader resolves but cannot build, numbers past a float's range in scenarios and at run
time, a missing value against `!=`, line breaks other than "\\n" in the formatter and in
diagnostics, invisible characters in messages, durations in messages, and one bad literal
reported twice.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

import dsl
from dsl import scenarios
from dsl.formatter import format_source
from dsl.tooling import YamlProblem, parse_yaml, run_scenario_files
from tests.unit.dsl.dsl_sample_schema import order, sample_schema

SCHEMA = sample_schema()
NOW = dt.datetime(2025, 3, 1, 12, 0)
RUNNERS = ["compiled", "interpreted"]
HEADER = "validation ruleset probe on order.received\n"
DOC = Path(__file__).resolve().parents[3] / "docs" / "dsl.md"
HUGE = 10**400  # an int no float can hold


def held(source: str, facts: dict[str, Any], runner: str) -> list[str]:
    """The message of every hold the ruleset decides on `facts`."""
    ruleset = dsl.compile(source, SCHEMA, runner)
    evaluation = ruleset.evaluate(facts, now=NOW)
    return [
        action.to_dict()["args"]["message"]
        for match in evaluation.matches
        for action in match.actions
    ]


def rule(condition: str, message: str = "m") -> str:
    return f'{HEADER}rule "r" when {condition} then hold code "C" message "{message}"\n'


# -------------------------------------------------------------------- YAML values
@pytest.mark.parametrize(
    ("text", "line", "column", "why"),
    [
        ("given:\n  requested_date: 2025-02-30\n", 2, 19, "day is out of range for month"),
        ("now: 2025-03-01T25:00:00\n", 1, 6, "hour must be in 0..23"),
        ("total: " + "9" * 4400 + "\n", 1, 8, "a number of more than 4,300 digits"),
        ("at: !!timestamp soon\n", 1, 5, "not a valid timestamp"),
    ],
)
def test_a_yaml_value_that_cannot_be_built_is_a_problem_at_its_line_and_column(
    text: str, line: int, column: int, why: str
) -> None:
    with pytest.raises(YamlProblem) as problem:
        parse_yaml(text)
    assert (problem.value.kind, problem.value.line, problem.value.column) == ("value", line, column)
    assert why in problem.value.reason


def test_ordo_rules_test_reports_an_impossible_date_in_a_scenario_file_by_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "r.ordo").write_text(rule("true"))
    scenario_file = tmp_path / "r.scenarios.yaml"
    scenario_file.write_text(
        "ruleset: r.ordo\nscenarios:\n  - name: a\n"
        "    given: {order: {requested_date: 2025-02-30}}\n"
        "    expect: {matched: [r]}\n"
    )
    report, code = run_scenario_files([scenario_file], SCHEMA)
    assert code == 1
    assert f'{scenario_file}:4:37: cannot read "2025-02-30" (day is out of range' in report


# -------------------------------------------------------------------- scenario facts
def test_a_scenario_amount_past_a_floats_range_is_named_not_a_traceback() -> None:
    with pytest.raises(
        scenarios.ScenarioError,
        match=r"^scenario 1: order\.total is too large: a number of about 401 "
        r"digits$",
    ):
        scenarios.coerce_facts({"order": order(total=HUGE)}, SCHEMA, "scenario 1")


# -------------------------------------------------------------------- overflow at run time
OVERFLOWING = [
    # (condition, facts, whether it matches: an overflow is a missing value)
    ("order.line_count * 1 day > 1 day", {"line_count": 10**12}, False),
    ("order.priority * 1.5 > 1", {"priority": HUGE}, False),
    ("order.priority + 0.5 > 1", {"priority": HUGE}, False),
    ("round(order.priority * 1.5) > 1", {"priority": HUGE}, False),
    ("round(order.priority * 1.5) is missing", {"priority": HUGE}, True),
    ("order.priority % 2.5 is missing", {"priority": HUGE}, True),
    # Missing equals nothing: an overflow inside a rule is not the whole rule failing.
    ("order.priority * 1.5 != 1", {"priority": HUGE}, True),
    ('order.priority * 1.5 > 1 or order.channel == "web"', {"priority": HUGE}, True),
    ("not (order.priority * 1.5 > 1)", {"priority": HUGE}, True),
]


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(("condition", "fields", "matches"), OVERFLOWING)
def test_arithmetic_that_overflows_gives_a_missing_value_on_both_runners(
    runner: str, condition: str, fields: dict[str, Any], matches: bool
) -> None:
    assert held(rule(condition), {"order": order(**fields)}, runner) == (["m"] if matches else [])


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(
    ("message", "fields"),
    [
        ("{order.priority * 1.5}", {"priority": HUGE}),
        ("{order.line_count * 1 day}", {"line_count": 10**12}),
        ("{order.total}", {"total": HUGE}),
        ("{order.weight}", {"weight": HUGE}),
    ],
)
def test_a_message_showing_an_overflowing_value_shows_it_missing(
    runner: str, message: str, fields: dict[str, Any]
) -> None:
    assert held(rule("true", message), {"order": order(**fields)}, runner) == ["(missing)"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_ruleset_counting_over_windows_overflows_to_missing_and_counts_each_event_once(
    runner: str,
) -> None:
    # A windowed ruleset cannot be evaluated twice (the second run would count again), so
    # its compiled code must give the missing value itself.
    source = (
        "alert ruleset probe on order.received\n"
        'rule "big" when order.priority * 1.5 > 1\n'
        '  then alert severity high message "big" to "ops@example.com"\n'
        'rule "again" when order.priority * 1.5 != 1 and (count within 1 hour) >= 2\n'
        '  then alert severity high message "again" to "ops@example.com"\n'
    )
    ruleset = dsl.compile(source, SCHEMA, runner)
    store = dsl.InMemoryWindowStore()
    facts = {
        "event": {
            "type": "t",
            "at": NOW,
            "carrier": None,
            "location": None,
            "order_id": None,
            "amount": None,
        },
        "order": order(priority=HUGE),
    }
    decided = [
        [m.rule for m in ruleset.evaluate(facts, now=NOW, windows=store).matches] for _ in range(2)
    ]
    assert decided == [[], ["again"]]


# -------------------------------------------------------------------- missing values
MISSING_DATE = [
    ("order.requested_date != 2025-03-01", True),
    ("order.requested_date not in [2025-03-01]", True),
    ("order.requested_date == 2025-03-01", False),
    ("order.requested_date in [2025-03-01]", False),
    ("order.requested_date < 2025-03-01", False),
    ("order.requested_date <= 2025-03-01", False),
    ("order.requested_date > 2025-03-01", False),
    ("order.requested_date >= 2025-03-01", False),
    ("not_march_first(order.requested_date) == 1", True),
    ("before_march(order.requested_date) == 1", False),
]
TABLES = (
    "table not_march_first(d)\n  row != 2025-03-01 -> 1\n  otherwise 2\n"
    "table before_march(d)\n  row < 2025-03-01 -> 1\n  otherwise 2\n"
)


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(("condition", "matches"), MISSING_DATE)
def test_a_missing_value_equals_nothing_so_only_not_equal_and_not_in_hold_for_it(
    runner: str, condition: str, matches: bool
) -> None:
    source = HEADER + TABLES + f'rule "r" when {condition} then hold code "C" message "m"\n'
    assert held(source, {"order": order(requested_date=None)}, runner) == (["m"] if matches else [])


def test_the_reference_states_the_missing_value_rule_as_the_runners_apply_it() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "no comparison with a missing value is true" not in text
    assert (
        "A missing value equals nothing: `!=` and `not in` with a missing value are true, "
        "and every other comparison with one"
    ) in text


# -------------------------------------------------------------------- line breaks
def test_fmt_keeps_a_line_separator_inside_text_and_does_not_copy_what_follows_out() -> None:
    source = f'{HEADER}rule "a\u2028# x" when true then hold code "C" message "m"\n'
    formatted = format_source(source)
    assert formatted == (
        f'{HEADER}\nrule "a\u2028# x"\n  when true\n  then hold code "C" message "m"\n'
    )
    assert format_source(formatted) == formatted


@pytest.mark.parametrize("odd", ["\x0c", "\x85", "\u2028", "\x0b", "\x1e"])
def test_a_caret_points_at_the_line_the_lexer_counts_after_an_odd_line_break(odd: str) -> None:
    source = (
        f"# a comment with an odd break{odd}in it\n{HEADER}"
        'rule "b" when order.totl > 1 then hold code "C" message "m"\n'
    )
    [diagnostic] = dsl.check(source, SCHEMA)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("E202", 3, 21)
    assert diagnostic.source_line.startswith('rule "b" when order.totl')


@pytest.mark.parametrize("ending", ["\x0c\n", "\r\n", "\n\x0c\n\n"])
def test_a_ruleset_cut_short_is_reported_on_its_last_line_not_past_the_end(ending: str) -> None:
    source = f'{HEADER.rstrip()}{ending}rule "a" when true then hold code "C" message{ending}'
    [diagnostic] = dsl.check(source, SCHEMA)
    assert (diagnostic.code, diagnostic.line) == (
        "E102",
        source.count("\n", 0, source.index('rule "a"')) + 1,
    )
    assert diagnostic.source_line.rstrip("\x0c") == 'rule "a" when true then hold code "C" message'


# -------------------------------------------------------------------- invisible characters
@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\x00", "U+0000 (NUL)"),
        ("\x85", "U+0085 (NEL)"),
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ],
)
def test_an_invisible_unexpected_character_is_named_by_its_code_point(
    char: str, named: str
) -> None:
    source = f'{HEADER}rule "a" when true {char}then hold code "C" message "m"\n'
    [diagnostic] = dsl.check(source, SCHEMA)
    assert (diagnostic.code, diagnostic.message) == ("E101", f"unexpected character {named}")


# -------------------------------------------------------------------- durations, codes
@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("1 day", "1 day"),
        ("36 hours", "36 hours"),
        ("90 minutes", "90 minutes"),
        ("2 weeks", "14 days"),
        ("1 day - 12 hours", "12 hours"),
        ("1 day + 1 second", "1.00001 days"),
        ("0 minutes", "0 seconds"),
        ("0 days - 1 hour", "-1 hour"),
    ],
)
def test_a_message_shows_a_duration_as_a_rule_writes_it(
    runner: str, shown: str, expected: str
) -> None:
    assert held(rule("true", f"{{{shown}}}"), {"order": order()}, runner) == [expected]


def test_every_diagnostic_code_the_language_gives_is_in_the_reference_table() -> None:
    emitted = set()
    for path in (Path(dsl.__file__).parent).glob("*.py"):
        emitted |= set(re.findall(r'"([EW]\d{3})"', path.read_text(encoding="utf-8")))
    documented = set()
    for cell in re.findall(r"^\| ([EW]\d{3}[^|]*) \|", DOC.read_text(encoding="utf-8"), re.M):
        for part in cell.split(", "):
            first, _, last = part.partition("-")
            documented |= {
                f"{first[0]}{n}" for n in range(int(first[1:]), int((last or first)[1:]) + 1)
            }
    assert emitted - documented == set()


# -------------------------------------------------------------------- one mistake, once
@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("order.created_at + 99999999999999999999 days > now", "E103"),
        ("now > 2025-03-01T25:00", "E106"),
        ("order.created_at - 2025-02-30 > 1 day", "E106"),
        ("order.created_at + 9999999999999999999999999 > now", "E103"),
    ],
)
def test_a_literal_that_is_not_valid_is_reported_once_not_again_as_a_type_error(
    condition: str, code: str
) -> None:
    assert [d.code for d in dsl.check(rule(condition), SCHEMA)] == [code]


@pytest.mark.parametrize(
    "table",
    [
        'table zone = {"CA": 1, nevada: 2} default 8',
        "table fee(w)\n  row <= 1 kg -> USD\n  otherwise 15 USD",
    ],
)
def test_an_unknown_name_in_a_table_is_reported_not_a_crash(table: str) -> None:
    # The table's entries are typed, then computed; the second look found the unknown name
    # again, said nothing new, and the checker went on to compute it (a KeyError).
    diagnostics = dsl.check(f"{HEADER}{table}\n{rule('true')[len(HEADER) :]}", SCHEMA)
    assert [d.code for d in diagnostics] == ["E201"]


def test_a_declaration_cut_short_before_the_next_one_names_the_next_one_not_the_end() -> None:
    cut = 'rule "a" when order.total > 5 USD then hold code "C"\n'
    following = 'rule "b" when order.total > 5 USD then hold code "C" message "m"\n'
    header = "validation ruleset x on order.received\n"
    [middle] = dsl.check(header + cut + following, SCHEMA)
    [last] = dsl.check(header + cut, SCHEMA)
    assert middle.message == (
        "expected `message` and a text in quotes, found the next declaration "
        '(`rule "b" when order.total > 5 ...`)'
    )
    assert last.message.endswith("found the end of the file")
    assert (middle.line, middle.column) == (last.line, last.column) == (2, 53)
