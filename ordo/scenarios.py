"""`ordo rules test`: run scenario files of either kind and report them in one list.

Two formats exist. A rule-level file names one ruleset (`ruleset: routing.ordo`) and expects
matched rules and actions; the rule language runs those itself (`dsl.tooling`). A pipeline file
describes a world (locations, stock, rulesets) and sends orders through the whole engine
(`engine.pipeline.scenarios`). The file's top-level `ruleset` key tells them apart.

Pipeline files decide as production does: with the box catalogue `boxes` gives (the
deployment's, or the one a flag names), asked for only when a pipeline file runs that names
none of its own (`packaging:`), so a rule-level file is tested whatever the packaging
settings say. A flag wins over the file's own (`flagged`), and the file's over the setting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from dsl.scenarios import ScenarioError
from dsl.tooling import read_yaml
from engine.domain.errors import DomainError

if TYPE_CHECKING:
    from engine.domain.packaging import BoxCatalog

OK, PROBLEMS, UNREADABLE = 0, 1, 2


def _unpacked() -> BoxCatalog | None:
    return None


def run_scenario_files(
    paths: Sequence[Path],
    boxes: Callable[[], BoxCatalog | None] = _unpacked,
    *,
    flagged: bool = False,
) -> tuple[str, int]:
    """The report (one line per scenario, failures explained) and the exit code. `boxes`:
    the box catalogue pipeline scenarios pack with (None: one parcel per shipment) when the
    file names none (`packaging:`), or always when `flagged` (a command's flag gave it); a
    problem with it is the caller's to raise."""
    lines: list[str] = []
    code = OK
    passed = failed = 0
    for path in paths:
        try:
            kind = _kind(path)
        except ScenarioError as error:
            lines.append(str(error))
            code = UNREADABLE
            continue
        if kind == "rules":
            text, file_code = _run_rules(path)
        else:
            text, file_code = _run_pipeline(path, boxes, flagged)
        body = [line for line in text.splitlines() if not line.endswith(" failed")]
        lines.extend(body)
        passed += sum(line.startswith("PASS") for line in body)
        failed += sum(line.startswith("FAIL") for line in body)
        code = max(code, file_code)
    lines.append(f"{passed} scenario(s) passed, {failed} failed")
    return "\n".join(lines), code


def _kind(path: Path) -> str:
    """The file's format, "rules" or "pipeline"; ScenarioError saying what is wrong with a
    file that is neither (unreadable, not YAML, or YAML but not a mapping)."""
    if path.suffix == ".ordo":  # the ruleset itself, given where its scenarios were meant
        scenarios = path.with_name(f"{path.stem}.scenarios.yaml")
        raise ScenarioError(
            f"{path}: a ruleset, not a scenario file: test it through its scenarios "
            f"({scenarios.name}), or check it with `ordo rules check`"
        )
    data = read_yaml(path)
    if not isinstance(data, dict):
        found = "it is empty" if data is None else f"its top level is a {type(data).__name__}"
        raise ScenarioError(
            f"{path}: not a scenario file: {found}, not a mapping with 'scenarios' (and "
            "'ruleset' for a rule-level file)"
        )
    return "rules" if "ruleset" in data else "pipeline"


def _run_rules(path: Path) -> tuple[str, int]:
    from dsl.tooling import run_scenario_files as run_rule_scenarios
    from engine.rules.schema import domain_schema

    return run_rule_scenarios([path], domain_schema())


def _run_pipeline(
    path: Path, boxes: Callable[[], BoxCatalog | None], flagged: bool
) -> tuple[str, int]:
    from engine.pipeline.scenarios import load_scenario_file, own_packaging, run_scenarios

    try:
        spec = load_scenario_file(path)
        own = own_packaging(spec)
        results = run_scenarios(
            spec, path, own.catalog if own is not None and not flagged else boxes()
        )
    except DomainError as error:
        # Said once: a message about the file itself starts with its path already.
        return f"FAIL {path}: {error.message.removeprefix(f'{path}: ')}", PROBLEMS
    except (
        OSError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        ArithmeticError,
        yaml.YAMLError,
    ) as error:
        return f"FAIL {path}: not a valid scenario file ({type(error).__name__}: {error})", PROBLEMS
    text = "\n".join(str(result) for result in results)
    return text, OK if all(result.passed for result in results) else PROBLEMS
