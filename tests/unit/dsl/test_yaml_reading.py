"""Reading hand-written YAML (`dsl.tooling`): aliases that would multiply a document ("billion
laughs") are refused before anything is built, while anchors used as meant keep working."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dsl.tooling import YamlProblem, load_yaml_text, parse_yaml, read_yaml


class Refused(Exception):
    """The caller's own error kind, as `read_yaml` and `load_yaml_text` take one."""


def billion_laughs() -> str:
    """Nine anchors, each a list of nine aliases of the one before: 381 bytes, 9**9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\nscenarios:\n  - name: *i\n    steps: []\n"


ALIASES = "expands to more than 100,000 values through YAML aliases (&anchor/*alias)"


def test_a_billion_laughs_document_is_refused_at_once_with_what_is_wrong() -> None:
    started = time.monotonic()
    with pytest.raises(Refused) as refused:
        load_yaml_text(billion_laughs(), Refused, "laughs.yaml")
    assert str(refused.value) == f"laughs.yaml: {ALIASES}"
    assert time.monotonic() - started < 2


def test_a_billion_laughs_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "laughs.scenarios.yaml"
    path.write_text(billion_laughs())
    with pytest.raises(Refused, match=rf"^{path}: expands to more than 100,000 values"):
        read_yaml(path, Refused)


def test_an_alias_inside_its_own_anchor_is_refused_as_endless() -> None:
    with pytest.raises(YamlProblem) as refused:
        parse_yaml("a: &a {name: x, again: [1, *a]}\n")
    assert refused.value.kind == "aliases"


def test_anchors_used_as_meant_still_read() -> None:
    text = (
        "base: &base {channel: web, ship_to: '10001'}\n"
        "order: &order {<<: *base, lines: [{sku: MUG-1, qty: 2}]}\n"
        "scenarios:\n"
        "  - {name: one, order: *order}\n"
        "  - {name: two, order: *order}\n"
    )
    data = load_yaml_text(text, Refused, "ok.yaml")
    assert data["order"] == {
        "channel": "web",
        "ship_to": "10001",
        "lines": [{"sku": "MUG-1", "qty": 2}],
    }
    assert data["scenarios"][1]["order"] == data["order"]


def test_the_limit_counts_what_aliases_add_not_what_is_written() -> None:
    written = "values: [" + ", ".join(str(n) for n in range(50)) + "]\n"
    assert len(parse_yaml(written, max_aliased=10)["values"]) == 50
    aliased = "a: &a [1, 2, 3, 4, 5]\nb: [*a, *a]\n"  # the aliases add 2 x (list + 5 values)
    assert parse_yaml(aliased, max_aliased=12)["b"] == [[1, 2, 3, 4, 5]] * 2
    with pytest.raises(YamlProblem, match="more than 11 values"):
        parse_yaml(aliased, max_aliased=11)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1,\n", "doc.yaml:2:1: not valid YAML (expected the node content, but found"),
        ("a: " + "[" * 2000 + "]" * 2000, "doc.yaml: nested too deeply to be read"),
        ("a: 1\n---\nb: 2\n", "doc.yaml:2:1: not valid YAML (but found another document)"),
    ],
)
def test_text_that_is_not_yaml_still_says_where_and_why(text: str, message: str) -> None:
    with pytest.raises(Refused) as refused:
        load_yaml_text(text, Refused, "doc.yaml")
    assert str(refused.value).startswith(message)


def test_an_empty_document_reads_as_nothing() -> None:
    assert load_yaml_text("# only a comment\n", Refused, "empty.yaml") is None


def test_a_key_written_twice_in_one_mapping_is_refused_where_it_is_written_again() -> None:
    text = "orders:\n  - id: A\nstock: []\norders:\n  - id: B\n"
    with pytest.raises(Refused) as refused:
        load_yaml_text(text, Refused, "doc.yaml")
    assert str(refused.value) == "doc.yaml:4:1: duplicate key 'orders' (first at line 1)"


def test_a_duplicate_key_in_a_nested_flow_mapping_names_its_column() -> None:
    with pytest.raises(YamlProblem) as refused:
        parse_yaml("order:\n  lines: [{sku: MUG-1, qty: 1, qty: 2}]\n")
    problem = refused.value
    assert (problem.kind, problem.line, problem.column) == ("duplicate", 2, 32)
    assert problem.reason == "duplicate key 'qty' (first at line 2)"


def test_a_key_a_merge_brings_in_may_still_be_overridden() -> None:
    # `inner` is merged into `e` (and flattened, in place) before it is built itself: its
    # own keys and those merged into it are not two keys written in one mapping.
    text = (
        "base: &base {channel: web, qty: 1}\n"
        "outer:\n"
        "  inner: &inner {<<: *base, qty: 2}\n"
        "e: {<<: *inner, channel: pos}\n"
    )
    data = parse_yaml(text)
    assert data["outer"]["inner"] == {"channel": "web", "qty": 2}
    assert data["e"] == {"channel": "pos", "qty": 2}
