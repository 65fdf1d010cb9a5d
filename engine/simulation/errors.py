"""One base class for every simulation error a person can fix (a file, a mapping, a flag).

Entry points catch `SimulationError` and print its message, which always names the file (and
row, or key) and the reason; anything else escaping the simulation is a bug.
"""

from __future__ import annotations

from pathlib import Path


class SimulationError(ValueError):
    """Bad input to an import, a run or a comparison; the message is for a person."""


def make_directory(path: Path, what: str, hint: str = "") -> None:
    """`path` and its parents, or a SimulationError naming the path, what it was for and why
    it cannot be made (`hint`: what the person should check)."""
    if path.exists() and not path.is_dir():  # mkdir would say only "File exists"
        raise SimulationError(
            f"{path}: is a file; the {what} must be a directory{'; ' + hint if hint else ''}"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise SimulationError(
            f"{path}: cannot create the {what} ({reason}){'; ' + hint if hint else ''}"
        ) from None
