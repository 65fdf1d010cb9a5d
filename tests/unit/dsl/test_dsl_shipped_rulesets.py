"""The shipped rulesets (rulesets/*.ordo) check cleanly against Ordo's schema, are formatted, and
pass their scenarios, through the same functions `ordo rules check|fmt|test` call."""

from __future__ import annotations

from pathlib import Path

import pytest

import dsl
from dsl import tooling
from engine.rules.schema import SCHEMA_SPEC

SCHEMA = dsl.Schema.from_dict(SCHEMA_SPEC)
RULESETS = Path(__file__).resolve().parents[3] / "rulesets"
FILES = sorted(RULESETS.glob("*.ordo"))
SCENARIOS = sorted(RULESETS.glob("*.scenarios.yaml"))


def test_there_is_a_shipped_ruleset_for_every_rule_kind() -> None:
    kinds = {path.read_text(encoding="utf-8").split("ruleset")[0].split()[-1] for path in FILES}
    assert kinds == {"validation", "sourcing", "reservation", "carrier", "alert"}


def test_the_shipped_rulesets_have_no_errors_or_warnings() -> None:
    report, code = tooling.check_files(FILES, SCHEMA)
    assert code == 0, report
    assert report.endswith(f"{len(FILES)} file(s) checked: 0 error(s), 0 warning(s)")


def test_the_shipped_rulesets_are_in_canonical_form() -> None:
    report, code = tooling.format_files(FILES, check=True)
    assert code == 0, report


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_each_shipped_scenario_file_passes(path: Path) -> None:
    report, code = tooling.run_scenario_files([path], SCHEMA)
    assert code == 0, report
    assert " 0 failed" in report
