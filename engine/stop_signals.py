"""A stop asked for before a process is ready to stop: SIGTERM and SIGINT noted, not obeyed.

A worker process spends its first second or two importing and its next seconds building its
container and workers. Python's own handling of SIGTERM in that time kills the process with
nothing said (and SIGINT raises wherever the import happens to be), so `ordo up` stopped just
after it started lost its worker's last log line. `stop_on_signals` replaces both with a
handler that only notes the stop; `engine.worker.run_workers` takes the signals over once the
workers exist, and stops them at once if a stop was noted.

Stdlib only: the `ordo` script installs it before its own imports (`ordo.entry`).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


class _NoteStop:
    """The handler: sets `asked`. An object, not a closure, so a second call finds the event
    the first installed in the signal table itself rather than in a module global that would
    outlive handlers someone has since restored."""

    def __init__(self) -> None:
        self.asked = threading.Event()

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.asked.set()


def stop_on_signals() -> threading.Event:
    """From now until `run_workers` takes the signals over, SIGTERM and SIGINT only set the
    event returned. Called again while they are still noted (the `ordo` script, then `ordo
    worker`), it returns the same event, so a stop noted during the imports is not forgotten."""
    current = signal.getsignal(signal.SIGTERM)
    if isinstance(current, _NoteStop):
        return current.asked
    note = _NoteStop()
    signal.signal(signal.SIGTERM, note)
    signal.signal(signal.SIGINT, note)
    return note.asked
