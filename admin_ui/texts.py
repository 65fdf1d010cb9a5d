"""Pure text helpers the pages share: diagnostics in analyst words, a listing annotated at
each diagnostic's line and column, a failure's findings as a list, a side-by-side diff, and
readable times and money.

No Streamlit here, so each helper can be checked on its own.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from admin_ui.models import Diagnostic


def when(value: str | None) -> str:
    """An API timestamp as '2026-11-22 08:21 UTC' (dates pass through); '' for none. A time
    with another offset is turned into UTC first; one without an offset is UTC already."""
    if not value:
        return ""
    if len(value) <= 10:
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def sentence(text: str) -> str:
    """Capitalised, ending in a full stop: diagnostics read as sentences, not log lines."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def describe(diagnostic: Diagnostic) -> str:
    """'Line 4, column 14: `order` has no field `totl`. Did you mean `total`?'"""
    where = f"Line {diagnostic['line']}, column {diagnostic['column']}"
    text = f"{where}: {sentence(diagnostic['message'])}"
    if diagnostic.get("suggestion"):
        text += " " + sentence(diagnostic["suggestion"])
    return text


def finding(diagnostic: Mapping[str, Any]) -> str:
    """A diagnostic as an API answer carries it, in the words of `describe`, for any shape:
    the line and column when it has them, its severity when it is not an error."""
    text = sentence(str(diagnostic.get("message") or diagnostic.get("rendered") or ""))
    if diagnostic.get("suggestion"):
        text += " " + sentence(str(diagnostic["suggestion"]))
    line, column = diagnostic.get("line"), diagnostic.get("column")
    if not isinstance(line, int) or line < 1:
        return text
    where = f"Line {line}" + (f", column {column}" if isinstance(column, int) and column else "")
    severity = diagnostic.get("severity")
    if severity and severity != "error":
        where += f" ({severity})"
    return f"{where}: {text}"


def bulleted(lead: str, items: Sequence[str]) -> str:
    """Markdown: `lead` as a sentence, then one item per line, so several findings read as a
    list and not as one run-on paragraph."""
    # A line break inside an item would end the list item it belongs to.
    rows = "\n".join("- " + " ".join(item.split()) for item in items)
    lead = lead.strip()
    lead = lead[:1].upper() + lead[1:] if lead.endswith(":") else sentence(lead)
    return f"{lead}\n\n{rows}" if rows else lead


def annotate(source: str, diagnostics: Sequence[Diagnostic]) -> str:
    """The source with line numbers, and under each line with a finding a caret at its
    column followed by the finding, so the analyst sees exactly where it is."""
    lines = source.splitlines() or [""]
    width = len(str(len(lines)))
    by_line: dict[int, list[Diagnostic]] = {}
    for found in diagnostics:
        by_line.setdefault(found["line"], []).append(found)
    out: list[str] = []
    for number, text in enumerate(lines, start=1):
        out.append(f"{number:>{width}} | {text}")
        for found in sorted(by_line.pop(number, []), key=lambda d: d["column"]):
            pad = " " * (width + 3 + max(found["column"] - 1, 0))
            label = "error" if found["severity"] == "error" else found["severity"]
            out.append(f"{pad}^ {label}: {found['message']}")
    # Findings past the end (e.g. 'unexpected end of text') still belong on the page.
    for number in sorted(by_line):
        for found in by_line[number]:
            out.append(f"{'':>{width}} | line {number}: {found['message']}")
    return "\n".join(out)


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff; a number is None where that side has no line."""

    old_number: int | None
    old_text: str
    change: str  # "", "changed", "removed", "added"
    new_number: int | None
    new_text: str


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """Pair the two texts line by line, marking what was changed, removed or added."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                DiffRow(i + 1, a[i], "", j + 1, b[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            i, j = i1 + k, j1 + k
            left = i < i2
            right = j < j2
            change = "changed" if left and right else "removed" if left else "added"
            rows.append(
                DiffRow(
                    i + 1 if left else None,
                    a[i] if left else "",
                    change,
                    j + 1 if right else None,
                    b[j] if right else "",
                )
            )
    return rows


def money(value: str | float | None, currency: str = "USD") -> str:
    if value is None or value == "":
        return ""
    try:
        return f"{float(value):,.2f} {currency}"
    except ValueError:
        return f"{value} {currency}"
