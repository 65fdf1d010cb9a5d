"""One base class for every simulation error a person can fix (a file, a mapping, a flag).

Entry points catch `SimulationError` and print its message, which always names the file (and
row, or key) and the reason; anything else escaping the simulation is a bug.
"""

from __future__ import annotations


class SimulationError(ValueError):
    """Bad input to an import, a run or a comparison; the message is for a person."""
