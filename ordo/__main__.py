"""`python -m ordo ...`: the same command line as the `ordo` script."""

from __future__ import annotations

from ordo.entry import main

main()
