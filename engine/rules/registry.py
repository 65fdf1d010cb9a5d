"""The compiled, published rulesets the pipeline decides with, swapped atomically.

A `RulesetSnapshot` is immutable: every kind's compiled rulesets with their names and version
numbers. The registry holds one reference to the current snapshot; publishing builds a new
snapshot (compiling outside any lock) and replaces the reference in a single assignment. A
decision reads `registry.snapshot` once at its start, so it finishes with the rulesets it
began with, and its trace records exactly those versions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engine.domain.errors import DomainError

if TYPE_CHECKING:
    import dsl
    from engine.domain.operations import RulesetVersion
    from engine.service_layer.unit_of_work import UnitOfWork

KINDS = ("validation", "sourcing", "reservation", "carrier", "alert")


class RulesetCompileError(DomainError):
    """A published ruleset does not compile against the current schema. `diagnostics` are
    the rule language's own (line, column, caret), for a caller that shows them per file."""

    code = "invalid_ruleset"

    def __init__(self, message: str, diagnostics: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


@dataclass(frozen=True, slots=True)
class CompiledRuleset:
    name: str
    kind: str
    version: int
    program: dsl.Ruleset
    # The fact roots its rules read (`order`, `line`, ...), so the pipeline can evaluate a
    # ruleset once for facts that differ only in a root it never reads; None when unknown.
    roots: frozenset[str] | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        refs = getattr(getattr(self.program, "program", None), "refs", None)
        if refs is not None:
            roots = frozenset(ref.name for ref in refs.values() if ref.kind == "root")
            object.__setattr__(self, "roots", roots)

    def reads(self, root: str) -> bool:
        return self.roots is None or root in self.roots


@dataclass(frozen=True)
class RulesetSnapshot:
    """Every kind's compiled rulesets (sorted by name, so evaluation order is stable)."""

    by_kind: Mapping[str, tuple[CompiledRuleset, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def of(self, kind: str) -> tuple[CompiledRuleset, ...]:
        return self.by_kind.get(kind, ())

    @property
    def versions(self) -> dict[str, int]:
        """name -> version of every ruleset in the snapshot, for traces."""
        return {rs.name: rs.version for group in self.by_kind.values() for rs in group}


def compile_source(source: str, name: str = "", version: int = 0) -> CompiledRuleset:
    """Compile one ruleset's source against the domain schema, or raise naming every error."""
    import dsl
    from engine.rules.schema import domain_schema

    try:
        program = dsl.compile(source, domain_schema())
    except dsl.RuleError as exc:
        found = getattr(exc, "diagnostics", [])
        details = "; ".join(str(d) for d in found) or str(exc)
        raise RulesetCompileError(
            f"ruleset {name or '?'} v{version} does not compile: {details}", found
        ) from exc
    if program.kind not in KINDS:
        raise RulesetCompileError(f"ruleset {program.name}: unknown kind '{program.kind}'")
    return CompiledRuleset(name or str(program.name), str(program.kind), version, program)


def snapshot_of(rulesets: Iterable[CompiledRuleset]) -> RulesetSnapshot:
    grouped: dict[str, list[CompiledRuleset]] = {}
    for rs in rulesets:
        grouped.setdefault(rs.kind, []).append(rs)
    return RulesetSnapshot(
        MappingProxyType(
            {kind: tuple(sorted(group, key=lambda r: r.name)) for kind, group in grouped.items()}
        )
    )


class RulesetRegistry:
    """Holds the current snapshot; `load` compiles, `swap` installs, `publish` does both.

    With a `loader` (say, "the published versions in the database"), the first read of
    `snapshot` loads and compiles them, so building the registry does no I/O.
    """

    def __init__(
        self,
        snapshot: RulesetSnapshot | None = None,
        loader: Callable[[], Iterable[RulesetVersion]] | None = None,
    ) -> None:
        self._snapshot = snapshot or RulesetSnapshot()
        self._loader = None if snapshot is not None else loader
        self._lock = threading.Lock()

    @property
    def snapshot(self) -> RulesetSnapshot:
        self.ensure_loaded()
        return self._snapshot

    def ensure_loaded(self) -> None:
        """Run the pending lazy load now; a no-op once loaded. Call it before opening a
        transaction: the loader reads through a unit of work of its own, which on SQLite
        would wait for that transaction's write lock until "database is locked"."""
        if self._loader is not None:
            self._load_once()

    def _load_once(self) -> None:
        with self._lock:
            loader = self._loader
            if loader is None:
                return  # loaded by another thread while this one waited, or swapped
            snapshot = self.load(loader())
            # Forget the loader only now: a first load that failed (database not migrated
            # yet, a transient error) must be tried again, not leave the registry empty.
            # A swap during the load cleared the loader and wins over this older read.
            if self._loader is loader:
                self._snapshot, self._loader = snapshot, None

    @staticmethod
    def load(versions: Iterable[RulesetVersion]) -> RulesetSnapshot:
        """Compile published ruleset versions into a snapshot (does not install it)."""
        return snapshot_of(compile_source(v.source, v.name, v.version) for v in versions)

    def swap(self, snapshot: RulesetSnapshot) -> RulesetSnapshot:
        """Install a snapshot; returns the previous one. A single reference assignment is
        atomic in CPython, so readers see either the old snapshot or the new, never a mix."""
        self._loader = None  # an explicit publish supersedes any pending lazy load
        previous, self._snapshot = self._snapshot, snapshot
        return previous

    def publish(self, versions: Iterable[RulesetVersion]) -> RulesetSnapshot:
        return self.swap(self.load(versions))

    def swap_if(self, expected: RulesetSnapshot, snapshot: RulesetSnapshot) -> bool:
        """Install `snapshot` only if `expected` is still the live one; False otherwise. A
        reload that read the database before a publish in this process finished must not
        put the older versions back over the newer."""
        with self._lock:
            if self._snapshot is not expected or self._loader is not None:
                return False
            self._snapshot = snapshot
            return True

    def replace_one(self, version: RulesetVersion) -> RulesetSnapshot:
        """Publish one ruleset version in place of the same-named one (other rulesets kept)."""
        compiled = compile_source(version.source, version.name, version.version)
        kept = [
            rs
            for group in self.snapshot.by_kind.values()
            for rs in group
            if rs.name != version.name
        ]
        return self.swap(snapshot_of([*kept, compiled]))

    @classmethod
    def from_sources(cls, sources: Mapping[str, str] | Iterable[str]) -> RulesetRegistry:
        """A registry from ruleset texts (tests, benchmarks, the demo): all version 1."""
        texts = list(sources.values()) if isinstance(sources, Mapping) else list(sources)
        return cls(snapshot_of(compile_source(text, "", 1) for text in texts))

    def describe(self) -> dict[str, Any]:
        return {
            kind: [(rs.name, rs.version) for rs in group]
            for kind, group in self.snapshot.by_kind.items()
        }


def shipped_dir() -> Path:
    """`rulesets/` of this checkout: the rulesets Ordo ships with (and the demo runs)."""
    return Path(__file__).resolve().parents[2] / "rulesets"


def shipped_versions(directory: Path | None = None) -> list[RulesetVersion]:
    """The shipped `.ordo` files as version-0 published rulesets (read when called)."""
    from engine.domain.operations import RulesetStatus, RulesetVersion

    versions = []
    for path in sorted((directory or shipped_dir()).glob("*.ordo")):
        source = path.read_text(encoding="utf-8")
        header = next(
            (ln.split() for ln in source.splitlines() if ln.strip() and not ln.startswith("#")),
            ["", "", path.stem],
        )
        versions.append(
            RulesetVersion(
                id=f"shipped:{path.stem}",
                name=header[2].strip('"') if len(header) > 2 else path.stem,
                kind=header[0],
                version=0,
                source=source,
                author="ordo",
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                status=RulesetStatus.PUBLISHED,
            )
        )
    return versions


def published_loader(
    uow_factory: Callable[[], UnitOfWork], shipped_when_empty: bool = False
) -> Callable[[], list[RulesetVersion]]:
    """A loader for `RulesetRegistry`: the versions published in the database. With
    `shipped_when_empty`, the shipped rulesets stand in while nothing is published yet."""

    def load() -> list[RulesetVersion]:
        with uow_factory() as uow:
            published = list(uow.rulesets.published())
        if not published and shipped_when_empty:
            return shipped_versions()
        return published

    return load
