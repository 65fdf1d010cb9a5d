"""`ordo rules check|fmt|test`: the rule language's tooling on files, from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ordo.cli_support import report

rules_app = typer.Typer(help="Check, format and test rulesets.", no_args_is_help=True)


RulesetFiles = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Ruleset files (default: the shipped rulesets/*.ordo).", show_default=False
    ),
]


@rules_app.command("check")
def rules_check(files: RulesetFiles = None) -> None:
    """Report every error and warning in ruleset files, with line, column and a caret."""
    from dsl.tooling import check_files
    from engine.rules.schema import domain_schema

    report(*check_files(files or _shipped_rulesets(), domain_schema()))


@rules_app.command("fmt")
def rules_fmt(
    files: RulesetFiles = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only list files that would change (exit 1 if any).")
    ] = False,
) -> None:
    """Rewrite ruleset files in the canonical layout."""
    from dsl.tooling import format_files

    report(*format_files(files or _shipped_rulesets(), check=check))


@rules_app.command("test")
def rules_test(
    files: Annotated[list[Path], typer.Argument(help="Scenario files (YAML).")],
) -> None:
    """Run ruleset scenarios: rules on their own, or orders through the whole pipeline."""
    from ordo.scenarios import run_scenario_files

    report(*run_scenario_files(files))


def _shipped_rulesets() -> list[Path]:
    from engine.rules.registry import shipped_dir

    return sorted(shipped_dir().glob("*.ordo"))
