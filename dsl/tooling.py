"""The logic behind `ordo rules check|fmt|test`, as plain functions the CLI calls.

Each function returns (report text, exit code) and never raises for bad input: an unreadable
file, a ruleset with errors or a malformed scenario file is reported, not thrown. Exit codes:
0 all good, 1 problems found (errors, files that would be reformatted, failing scenarios),
2 a file could not be read at all.

The language core imports only the standard library and Lark; reading YAML scenario files is the
one job that needs PyYAML (a dependency of Ordo), so it is imported here, when a scenario file is
actually loaded. `read_yaml` is also how the engine and the CLI read their other hand-edited YAML
(pipeline scenarios, rate cards, import mappings, settings files), so every such file reports
its mistakes the same way; `parse_yaml` is the same reader for text that is not a file (the
scenarios sent to the API). Both refuse a document whose aliases would multiply it (a "billion
laughs") before any Python object is built.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dsl import scenarios
from dsl.diagnostics import RuleError
from dsl.formatter import format_source
from dsl.ruleset import analyze, build
from dsl.scenarios import ScenarioError, ScenarioResult, ScenarioRunner
from dsl.schema import Schema

__all__ = [
    "YamlProblem",
    "check_files",
    "format_files",
    "format_source",
    "load_scenario_file",
    "load_yaml_text",
    "parse_yaml",
    "read_text",
    "read_yaml",
    "run_scenario_files",
]

OK, PROBLEMS, UNREADABLE = 0, 1, 2
# Values YAML aliases may add to a document (see `parse_yaml`): ample for hand-written anchors.
MAX_ALIASED_VALUES = 100_000
_CAP = 1 << 62


def _read(path: Path) -> tuple[str | None, str]:
    """The file's text, or None and why it cannot be read, in words a user can act on."""
    if path.exists() and not path.is_file() and not path.is_dir():
        # Read as a file, /dev/zero never ends and a named pipe waits for a writer.
        return None, "not a regular file (a device, a pipe or a socket)"
    try:
        # utf-8-sig: Windows editors start a file with a byte-order mark nobody can see, which
        # the rule language would otherwise report as an unexpected character at 1:1.
        return path.read_text(encoding="utf-8-sig"), ""
    except UnicodeDecodeError as error:
        byte = error.object[error.start]
        return None, f"not UTF-8 text (byte {byte:#04x} at offset {error.start})"
    except FileNotFoundError:
        return None, "no such file"
    except IsADirectoryError:
        return None, "a directory, not a file"
    except PermissionError:
        return None, "permission denied"
    except OSError as error:
        return None, error.strerror or str(error)


def read_text(
    path: str | Path, error: Callable[[str], Exception], *, label: str | None = None
) -> str:
    """A hand-edited file's text, or `error` saying in words why it cannot be read."""
    text, why = _read(Path(path))
    if text is None:
        raise error(f"{label or path}: cannot read this file: {why}")
    return text


def read_yaml(
    path: str | Path,
    error: Callable[[str], Exception] = ScenarioError,
    *,
    label: str | None = None,
) -> Any:
    """A YAML file's content, or `error` (the caller's own kind: a scenario, a rate card, a
    mapping, a settings file) naming the file and what is wrong with it: why it cannot be
    read, or the line and column where it stops being YAML. `label` names the file in the
    message where its path alone would not say what it is for (`ORDO_SETTINGS_FILE path`)."""
    name = label or str(path)
    return load_yaml_text(read_text(path, error, label=label), error, name)


def load_yaml_text(text: str, error: Callable[[str], Exception], name: str) -> Any:
    """`text` read as YAML, or `error` saying why not, prefixed with `name` (a file's path):
    `name:3:1: not valid YAML (...)`, `name: nested too deeply to be read`, or `name:
    expands to more than 100,000 values through YAML aliases (&anchor/*alias)`."""
    try:
        return parse_yaml(text)
    except YamlProblem as problem:
        where = f"{name}:{problem.line}:{problem.column}" if problem.line else name
        raise error(f"{where}: {problem.reason}") from None


class YamlProblem(ValueError):
    """Why a YAML text cannot be read: `kind` is "syntax" (then `reason` quotes the parser,
    and `line` and `column`, 1-based, say where when it knows), "value" (a scalar YAML reads
    as a date, a time or a number that cannot be one, like `2025-02-30`; `line` and `column`
    say where), "duplicate" (a mapping names a key twice; `line` and `column` are the second
    one's), "depth" or "aliases"."""

    def __init__(self, kind: str, reason: str, line: int = 0, column: int = 0) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.line, self.column = kind, reason, line, column


def parse_yaml(text: str, max_aliased: int = MAX_ALIASED_VALUES) -> Any:
    """`text` read as YAML (one document, safe types only), or YamlProblem.

    Aliases are checked before any Python object is built: PyYAML shares an aliased node, but
    whoever then prints, copies or serialises the value walks every repetition, so nine
    anchors of nine aliases each (381 bytes) become 387 million strings. A document whose
    aliases add more than `max_aliased` values to what is written is refused; anchors used as
    they are meant to be (`<<: *defaults`, one order shared by a few scenarios) add a few.
    """
    import yaml  # see the module docstring: only tooling reads YAML

    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is not None and _aliased_values(node, max_aliased) > max_aliased:
            raise YamlProblem(
                "aliases",
                f"expands to more than {max_aliased:,} values through YAML aliases "
                "(&anchor/*alias)",
            )
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        reason = f"not valid YAML ({getattr(problem, 'problem', problem)})"
        if mark is None:
            raise YamlProblem("syntax", reason) from None
        raise YamlProblem("syntax", reason, mark.line + 1, mark.column + 1) from None
    except RecursionError:  # the YAML parser recurses once per nested list or mapping
        raise YamlProblem("depth", "nested too deeply to be read") from None
    finally:
        loader.dispose()


# Longest piece of a bad scalar quoted back in a message.
_SHOWN = 40


@functools.cache
def _loader_class() -> Any:
    """PyYAML's SafeLoader, but a scalar it recognises and cannot build is a YamlProblem
    naming the scalar's line and column: `2025-02-30` resolves as a date and `datetime`
    refuses it, an integer of more than 4,300 digits resolves as an int that Python will not
    convert. PyYAML lets those errors out as bare ValueErrors, with no position, from deep
    inside its constructors; the node being built is the only place that still knows where
    the scalar was. Built on first use, as `yaml` itself is imported (module docstring)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self._checked: set[int] = set()

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except YamlProblem:
                raise  # already placed at the innermost node, which is the one at fault
            except (ValueError, ArithmeticError, LookupError, AttributeError, TypeError) as error:
                raise _value_problem(node, error) from None

        def flatten_mapping(self, node: Any) -> None:
            # PyYAML keeps the last of two equal keys, so a second `orders:` silently replaced
            # the first. Checked here rather than in construct_mapping: this is where a
            # mapping's own keys are seen before merge keys (`<<: *base`) add theirs, which may
            # be overridden; a mapping merged into another is flattened (in place) first.
            if id(node) not in self._checked:
                self._checked.add(id(node))
                _refuse_duplicate_keys(node)
            super().flatten_mapping(node)

    return Loader


def _refuse_duplicate_keys(node: Any) -> None:
    """A YamlProblem at the second of two equal keys written in one mapping."""
    first: dict[tuple[str, str], Any] = {}
    for key, _ in node.value:
        if key.id != "scalar" or key.tag == "tag:yaml.org,2002:merge":
            continue
        seen = first.setdefault((key.tag, key.value), key)
        if seen is not key:
            value = key.value if len(key.value) <= _SHOWN else key.value[: _SHOWN - 1] + "…"
            mark = key.start_mark
            raise YamlProblem(
                "duplicate",
                f"duplicate key {value!r} (first at line {seen.start_mark.line + 1})",
                mark.line + 1,
                mark.column + 1,
            )


def _value_problem(node: Any, error: Exception) -> YamlProblem:
    """The YamlProblem for a scalar PyYAML could not build, at the scalar's position."""
    value = node.value if isinstance(node.value, str) else ""
    shown = value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"
    if "integer string conversion" in str(error):
        # Python's own wording sends a YAML author to `sys.set_int_max_str_digits()`.
        why = "a number of more than 4,300 digits"
    elif isinstance(error, ValueError | ArithmeticError):
        why = str(error)
    else:  # an explicit tag on text that is no such thing, as `!!timestamp abc`
        why = f"not a valid {str(node.tag).rsplit(':', 1)[-1]}"
    mark = node.start_mark
    return YamlProblem("value", f'cannot read "{shown}" ({why})', mark.line + 1, mark.column + 1)


def _aliased_values(root: Any, limit: int) -> int:
    """How many values aliases add to the document under `root`: its size with every alias
    written out, less its size as written. Linear in the document: each node is sized once
    (memoised by identity; an alias is the same node object as its anchor). An alias inside
    its own anchor would repeat without end, and counts as over `limit`."""
    sizes: dict[int, int] = {}
    open_nodes: dict[int, list[Any]] = {}  # on the path from the root, with their children
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        key = id(node)
        if key in open_nodes:  # the second visit, after its children: size it
            children = open_nodes.pop(key)
            # Capped, so a document of many doublings adds small numbers, not huge ones.
            sizes[key] = min(1 + sum(sizes[id(child)] for child in children), _CAP)
        elif key in sizes:
            continue
        elif node.id == "scalar":
            sizes[key] = 1
        else:
            value = node.value
            children = [part for pair in value for part in pair] if node.id == "mapping" else value
            open_nodes[key] = children
            if any(id(child) in open_nodes for child in children):
                return limit + 1
            stack.append(node)
            stack.extend(children)
    return sizes[id(root)] - len(sizes)


def check_files(paths: Sequence[str | Path], schema: Schema) -> tuple[str, int]:
    """Every diagnostic of every file, rendered with line, column and caret."""
    lines: list[str] = []
    code = OK
    errors = warnings = unreadable = 0
    for raw in paths:
        path = Path(raw)
        source, why = _read(path)
        if source is None:
            lines.append(f"{path}: cannot read this file: {why}")
            unreadable += 1
            code = UNREADABLE
            continue
        diagnostics = analyze(source, schema)[1]
        for diagnostic in diagnostics:
            lines.append(diagnostic.render(str(path)))
        errors += sum(d.is_error for d in diagnostics)
        warnings += sum(not d.is_error for d in diagnostics)
    if errors and code == OK:
        code = PROBLEMS
    checked = len(paths) - unreadable
    # A file that could not be read was not checked: "0 error(s)" must not stand for it.
    summary = f"{checked} file(s) checked: {errors} error(s), {warnings} warning(s)"
    if unreadable:
        summary += f"; {unreadable} file(s) could not be read"
    lines.append(summary)
    return "\n".join(lines), code


def format_files(paths: Sequence[str | Path], check: bool = False) -> tuple[str, int]:
    """Rewrite files in canonical form, or with `check=True` only list those that would change."""
    lines: list[str] = []
    code = OK
    for raw in paths:
        path = Path(raw)
        source, why = _read(path)
        if source is None:
            lines.append(f"{path}: cannot read this file: {why}")
            code = UNREADABLE
            continue
        try:
            formatted = format_source(source)
        except RuleError as error:
            lines.extend(d.render(str(path)) for d in error.diagnostics)
            code = max(code, PROBLEMS)
            continue
        if formatted == source:
            continue
        if check:
            lines.append(f"{path}: would be reformatted")
            code = max(code, PROBLEMS)
        else:
            why = _replace_text(path, formatted)
            if why:
                lines.append(f"{path}: cannot write this file: {why}")
                code = UNREADABLE
            else:
                lines.append(f"{path}: reformatted")
    return "\n".join(lines) or "nothing to change", code


def _replace_text(path: Path, text: str) -> str:
    """Write `text` over the file at `path` whole or not at all, or say why not: written in
    place, a full disk would leave the ruleset cut off mid-rule. A symbolic link stays a link
    (its target is replaced), and the file keeps its permissions."""
    target = path.resolve()
    scratch = target.with_name(f".{target.name}.{os.getpid()}.fmt")
    try:
        mode = target.stat().st_mode
        with open(scratch, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(scratch, stat.S_IMODE(mode))
        os.replace(scratch, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            scratch.unlink()
        return (error.strerror or str(error)).lower()
    return ""


def load_scenario_file(path: str | Path) -> scenarios.ScenarioSet:
    """Read and validate one YAML scenario file; raise ScenarioError with a clear message."""
    return scenarios.load(read_yaml(path), str(path))


def run_scenario_files(
    paths: Sequence[str | Path], schema: Schema, runner: ScenarioRunner | None = None
) -> tuple[str, int]:
    """Run every scenario of every file against its ruleset.

    `runner` decides a scenario; the default (`scenarios.matches_runner`) evaluates the ruleset
    alone and compares matches and actions, which serves every kind but sourcing. The engine
    passes a runner that takes orders through its pipeline.
    """
    run = runner or scenarios.matches_runner(schema)
    lines: list[str] = []
    code = OK
    passed = failed = 0
    for raw in paths:
        path = Path(raw)
        try:
            scenario_set = load_scenario_file(path)
        except ScenarioError as error:
            lines.append(str(error))
            code = max(code, PROBLEMS)
            continue
        ruleset_path = path.parent / scenario_set.ruleset
        source, why = _read(ruleset_path)
        if source is None:
            lines.append(f"{path}: cannot read the ruleset {ruleset_path}: {why}")
            code = UNREADABLE
            continue
        try:
            ruleset = build(source, schema)
        except RuleError as error:
            lines.extend(d.render(str(ruleset_path)) for d in error.diagnostics)
            code = max(code, PROBLEMS)
            continue
        for scenario in scenario_set.scenarios:
            result = _run_one(run, ruleset, scenario)
            if result.passed:
                passed += 1
                lines.append(f"PASS {path}: {scenario.name}")
            else:
                failed += 1
                code = max(code, PROBLEMS)
                lines.append(f"FAIL {path}: {scenario.name}")
                lines.extend(f"     {problem}" for problem in result.problems)
    lines.append(f"{passed} scenario(s) passed, {failed} failed")
    return "\n".join(lines), code


def _run_one(run: ScenarioRunner, ruleset: Any, scenario: scenarios.Scenario) -> ScenarioResult:
    try:
        return run(ruleset, scenario)
    except (ScenarioError, RuleError) as error:
        return ScenarioResult(scenario.name, False, [str(error)])
