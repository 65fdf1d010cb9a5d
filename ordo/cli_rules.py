"""`ordo rules check|fmt|test`: the rule language's tooling on files, from the command line."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ordo.cli_support import (
    NoPackagingOption,
    PackagingOption,
    check_packaging_flags,
    load,
    packaging_file,
    read_packaging,
    report,
)
from ordo.failures import CommandError

if TYPE_CHECKING:
    from engine.domain.packaging import BoxCatalog

rules_app = typer.Typer(help="Check, format and test rulesets.", no_args_is_help=True)


RulesetFiles = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Ruleset files, or folders of them (default: the shipped rulesets/*.ordo).",
        show_default=False,
    ),
]
ScenarioFiles = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Scenario files (YAML), or folders of *.scenarios.yaml "
        "(default: the shipped rulesets' scenarios).",
        show_default=False,
    ),
]


@rules_app.command("check")
def rules_check(files: RulesetFiles = None) -> None:
    """Report every error and warning in ruleset files, with line, column and a caret."""
    from dsl.tooling import check_files
    from engine.rules.schema import domain_schema

    report(*check_files(_expand(files, "*.ordo"), domain_schema()))


@rules_app.command("fmt")
def rules_fmt(
    files: RulesetFiles = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only list files that would change (exit 1 if any).")
    ] = False,
) -> None:
    """Rewrite ruleset files in the canonical layout."""
    from dsl.tooling import format_files

    report(*format_files(_expand(files, "*.ordo"), check=check))


@rules_app.command("test")
def rules_test(
    ctx: typer.Context,
    files: ScenarioFiles = None,
    packaging: PackagingOption = None,
    no_packaging: NoPackagingOption = False,
) -> None:
    """Run ruleset scenarios: rules on their own, or orders through the whole pipeline.

    Pipeline scenarios pack shipments as production does: with ORDO_PACKAGING_FILE's boxes,
    the catalogue a file names (`packaging:`), another catalogue (--packaging), or none
    (--no-packaging); a flag wins over the file, the file over the setting."""
    from ordo.scenarios import UNREADABLE, run_scenario_files

    check_packaging_flags(packaging, no_packaging)
    paths = _expand(files, "*.scenarios.yaml")

    @functools.cache
    def boxes() -> BoxCatalog | None:
        # Read when the first pipeline file runs, once: rule-level scenarios decide nothing,
        # so they run whatever the settings say.
        path, named = packaging_file(packaging, no_packaging, lambda: load(ctx))
        return None if path is None else read_packaging(path, named)

    # A ruleset given where its scenarios were meant: `ordo.scenarios` points at them, which
    # is no help when they do not exist.
    unpaired = [path for path in paths if path.suffix == ".ordo" and not _scenarios_of(path)]
    flagged = packaging is not None or no_packaging  # a flag wins over a file's `packaging:`
    text, code = run_scenario_files(
        [path for path in paths if path not in unpaired], boxes, flagged=flagged
    )
    if unpaired:
        text = "\n".join([*(_no_scenarios(path) for path in unpaired), text])
        code = max(code, UNREADABLE)
    report(text, code)


def _scenarios_of(ruleset: Path) -> bool:
    return ruleset.with_name(f"{ruleset.stem}.scenarios.yaml").is_file()


def _no_scenarios(ruleset: Path) -> str:
    return (
        f"{ruleset}: a ruleset, and it has no scenarios file ({ruleset.stem}.scenarios.yaml "
        f"does not exist next to it): write one, with `ruleset: {ruleset.name}` and "
        "`scenarios:` to test its rules alone, or with `locations`, `stock` and `scenarios` to "
        "send orders through the whole pipeline (both formats: docs/api.md); or check it with "
        "`ordo rules check`"
    )


def _expand(paths: list[Path] | None, pattern: str) -> list[Path]:
    """The files to work on: each folder given stands for its files matching `pattern`, in
    name order; no paths at all, for the shipped rulesets folder. A file stays as given
    (the tooling says why one cannot be read)."""
    from engine.rules.registry import shipped_dir

    files: list[Path] = []
    for path in paths or [shipped_dir()]:
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(path.glob(pattern))
        if not found:
            raise CommandError(f"{path}: no {pattern} files in this folder")
        files.extend(found)
    return files
