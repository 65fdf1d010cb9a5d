"""Which rulesets a simulation runs: the shipped set, with drafts put in place of their namesakes.

A ruleset set is held as texts (ruleset name -> source), not compiled objects, so it can be
sent to worker processes; each process compiles it once with the same `compile_source` the
registry uses at publish time. A draft replaces the ruleset of the same name (the name is
read from its source) and a draft with a new name is added.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from engine.rules.registry import RulesetCompileError, RulesetRegistry, compile_source
from engine.simulation.errors import SimulationError


class RulesetFileError(SimulationError):
    """A ruleset file is missing or does not compile; names the file."""


def shipped_rulesets_dir() -> Path:
    """`rulesets/` at the repository root, where the shipped rulesets live."""
    return Path(__file__).resolve().parents[2] / "rulesets"


def read_rulesets(paths: Iterable[Path]) -> dict[str, str]:
    """name -> source of every `.ordo` file given (directories contribute all theirs)."""
    found: dict[str, str] = {}
    for path in paths:
        files = sorted(path.glob("*.ordo")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise RulesetFileError(f"{path}: no .ordo ruleset files in this directory")
        for file in files:
            name, source = _read(file)
            found[name] = source
    return found


def with_drafts(base: Mapping[str, str], drafts: Iterable[Path]) -> dict[str, str]:
    merged = dict(base)
    for file in drafts:
        name, source = _read(file)
        merged[name] = source
    return merged


def registry_for(sources: Mapping[str, str]) -> RulesetRegistry:
    return RulesetRegistry.from_sources(dict(sorted(sources.items())))


def fingerprints(sources: Mapping[str, str]) -> dict[str, str]:
    """name -> short sha256 of the source, so results say exactly which texts produced them."""
    return {
        name: hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        for name, text in sorted(sources.items())
    }


def _read(file: Path) -> tuple[str, str]:
    from dsl.tooling import read_text  # as `ordo rules check` reads it, and says why it cannot

    source = read_text(file, RulesetFileError)
    try:
        compiled = compile_source(source)
    except RulesetCompileError as error:
        # Each error at the file's own line and column, with its caret, as `ordo rules check`
        # shows them (the registry's message joins them on one line, for a stored ruleset).
        if error.diagnostics:
            rendered = "\n".join(d.render(str(file)) for d in error.diagnostics)
            raise RulesetFileError(f"{file}: does not compile\n{rendered}") from None
        raise RulesetFileError(f"{file}: {error.message}") from None
    return compiled.name, source
