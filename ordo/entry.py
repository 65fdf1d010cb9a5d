"""The `ordo` script's entry point: what must happen before the command line is imported.

Importing `ordo.cli` (Typer, Rich, FastAPI, SQLAlchemy through the composition root) takes a
second or more. A worker must not be killable in silence during that second (see
`engine.stop_signals`), so for `ordo worker` the stops are noted first, with the standard
library alone, and the command picks the same noting up when it runs. Every other command
keeps Python's own handling: Ctrl-C must interrupt `ordo rules check` at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from engine.stop_signals import stop_on_signals


def runs_worker(argv: Sequence[str]) -> bool:
    """Whether these arguments (the program name left out) run `ordo worker`: the first word
    that is not the global `--settings FILE` option is the command."""
    words = iter(argv)
    for word in words:
        if word == "--settings":
            next(words, None)
        elif not word.startswith("--settings="):
            return word == "worker"
    return False


def main() -> None:
    """Console-script entry point (`ordo = "ordo.entry:main"`, and `python -m ordo`)."""
    if runs_worker(sys.argv[1:]):
        stop_on_signals()
    from ordo.cli import main as run_command_line

    run_command_line()
