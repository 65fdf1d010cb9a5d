"""Where the benchmarks write their figures: each script owns one `## ` section of
docs/benchmarks.md and `write_section` replaces that section, and nothing else, with a new
run's (or appends it when the page has none yet), so the prose other sessions added to other
sections is left as it was."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
# What a new page starts with, before the first benchmark writes its section.
PREAMBLE = (
    "# Benchmarks\n\nEach section is produced by a script under `bench/` and reports ratios "
    "against named baselines measured in the same process.\n"
)


def write_section(heading: str, body: str, doc: Path = DOC) -> None:
    """Make `heading` (a `## ` line) followed by `body` the page's section of that heading:
    from its heading line up to the next `## ` heading (or the end of the page). `body` may
    start with the heading itself (scripts that print their section whole)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else PREAMBLE
    body = body.strip("\n")
    if body.startswith(heading + "\n"):
        body = body[len(heading) :].lstrip("\n")
    section = f"{heading}\n\n{body}\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    match = pattern.search(text)
    if match is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        after = text[match.end() :]
        text = text[: match.start()] + section + ("\n" + after if after else "")
    doc.write_text(text, encoding="utf-8")
