"""Diagnostics: the one error type of the rule language.

Every problem the language finds (a parse error, an unknown field, a unit mismatch, a rule that can
never match, a fact missing at run time) becomes a `Diagnostic` with a code, a message in analyst
words, the line and column (both 1-based, columns counted in characters), the source line, and a
suggestion where one exists. `RuleError` is the exception that carries them: editors and the API
call `dsl.check` and receive every diagnostic of a file at once; the runtime raises at the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a ruleset, positioned in its source."""

    code: str
    message: str
    line: int
    column: int
    severity: str = ERROR
    source_line: str = ""
    suggestion: str = ""
    length: int = 1

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def render(self, filename: str = "<rules>") -> str:
        """Format as `file:line:col: error CODE: message`, the source line, a caret, a hint."""
        head = f"{filename}:{self.line}:{self.column}: {self.severity} {self.code}: {self.message}"
        parts = [head]
        if self.source_line:
            text = self.source_line.rstrip("\n")
            # Tabs are kept in the caret's indentation so the caret lines up in any terminal.
            pad = "".join(ch if ch == "\t" else " " for ch in text[: max(self.column - 1, 0)])
            width = max(1, min(self.length, max(len(text) - self.column + 1, 1)))
            parts.append(f"  {text}")
            parts.append(f"  {pad}{'^' * width}")
        if self.suggestion:
            parts.append(f"  hint: {self.suggestion}")
        return "\n".join(parts)

    def to_dict(self) -> dict[str, object]:
        """JSON-safe form for the API and the editor."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "length": self.length,
            "source_line": self.source_line,
            "suggestion": self.suggestion,
        }

    def __str__(self) -> str:
        return self.render()


class RuleError(Exception):
    """Raised when a ruleset cannot be compiled or a rule cannot be evaluated.

    `diagnostics` holds every error found (compile time) or the one that stopped evaluation
    (run time). Lark's own exceptions never escape the package; they are turned into this.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        summary = first.render() if first else "invalid ruleset"
        more = len(self.diagnostics) - 1
        if more > 0:
            summary += f"\n(and {more} more)"
        super().__init__(summary)


class EvaluationError(RuleError):
    """A rule failed at run time, e.g. a fact the schema promises is missing from the facts."""


def suggest(name: str, candidates: Iterable[str]) -> str:
    """Return "did you mean `x`?" for the closest candidate, or "" when nothing is close."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not close:
        # Analysts often get the case wrong; difflib's ratio punishes that too much.
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    return f"did you mean `{close[0]}`?" if close else ""


def source_lines(source: str) -> list[str]:
    """The lines of a ruleset as the lexer numbers them, for display.

    The lexer counts a line at every "\n" and nowhere else; `str.splitlines` also breaks at
    "\r", form feeds, U+0085, U+2028 and more, and would put every caret after one of those on
    the wrong line. A "\r" before the "\n" (a Windows line end) is not shown."""
    return [line[:-1] if line.endswith("\r") else line for line in source.split("\n")]


@dataclass
class Reporter:
    """Collects diagnostics against one source text; knows how to fetch the culprit line."""

    source: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = source_lines(self.source)
        # A declaration re-read after a syntax error can find the same mistake again (an
        # unknown unit): one place, one message, said once.
        self._said: dict[tuple[str, int, int, str], Diagnostic] = {}
        # Errors found, each time one is found, though said once: whoever checks the same
        # expression twice (a table's keys are typed, then computed) learns it failed again.
        self.found = 0

    def line_text(self, line: int) -> str:
        return self._lines[line - 1] if 0 < line <= len(self._lines) else ""

    def add(
        self,
        code: str,
        message: str,
        line: int,
        column: int,
        *,
        severity: str = ERROR,
        suggestion: str = "",
        length: int = 1,
    ) -> Diagnostic:
        if severity == ERROR:
            self.found += 1
        key = (code, max(line, 1), max(column, 1), message)
        if key in self._said:
            return self._said[key]
        diag = Diagnostic(
            code=code,
            message=message,
            line=max(line, 1),
            column=max(column, 1),
            severity=severity,
            source_line=self.line_text(line),
            suggestion=suggestion,
            length=max(length, 1),
        )
        self.diagnostics.append(diag)
        self._said[key] = diag
        return diag

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.diagnostics, key=lambda d: (d.line, d.column, d.code))
