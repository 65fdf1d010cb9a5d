"""`ordo serve` readies each API process before its first order: the postal-code index is
built, what start-up loaded is frozen out of the garbage collector's reach, and young
collections run less often. Checked in a process of its own: the freeze is process-wide."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ordo.bootstrap import SERVER_GC_THRESHOLDS

PROBE = """
import gc, json, sys
from engine.adapters import geo
from ordo.bootstrap import build_app_container
from ordo.settings import load_settings

with build_app_container(load_settings(database_url=sys.argv[1])) as container:
    before = gc.get_freeze_count()
    container.warm_up()
    print(json.dumps({
        "frozen_before": before,
        "frozen_after": gc.get_freeze_count(),
        "thresholds": list(gc.get_threshold()),
        "postal_index_built": geo._us_postal_index.cache_info().currsize,
    }))
"""


def test_warm_up_builds_the_postal_index_and_freezes_what_start_up_loaded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ordo.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["frozen_before"] == 0
    assert probe["frozen_after"] > 100_000, "the postal table and the app's modules are frozen"
    assert probe["thresholds"] == list(SERVER_GC_THRESHOLDS)
    assert probe["postal_index_built"] == 1
