"""A run's results on disk: JSON and CSV for machines, written atomically.

A results directory holds::

    summary.json   KPIs, rule hits, data set and ruleset fingerprints, the box catalogue
                   when there is one (deterministic: the same inputs give byte-identical
                   text, so it can be diffed and checked in)
    orders.jsonl   one compact outcome per order (see `outcome.py`), in replay order
    orders.csv     the same, flattened for spreadsheets (with a box catalogue, two columns
                   more: `PACKAGING_COLUMNS`)
    run.json       how long it took (not deterministic, so kept apart from summary.json)
    traces.jsonl   full decision traces of the orders asked for (`RunSpec.trace_orders`)
    report.html    charts for people (`html.py`)

Like a data set, a results directory is built in a hidden sibling and renamed into place, so
a crashed or cancelled run never leaves results that look complete.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from engine.simulation.dataset import dumps, plain
from engine.simulation.html import run_report

CSV_COLUMNS = (
    "order", "at", "outcome", "code", "lines", "lines_backordered", "units", "allocated",
    "backordered", "shipments", "locations", "carriers", "shipping_cost", "distance_km",
    "promised", "requested",
)  # fmt: skip
# After those, with a box catalogue only: the order's parcels and what its boxes cost.
PACKAGING_COLUMNS = ("parcels", "box_cost")


class RunWriter:
    """Stream per-order outcomes to a temporary directory; `finish` publishes it.
    `packaging`: the outcomes' shipments carry parcels (`packaging.add_parcels`)."""

    def __init__(self, out: Path, *, packaging: bool = False) -> None:
        self.out = Path(out)
        self.packaging = packaging
        self.tmp = self.out.parent / f".{self.out.name}.running-{uuid.uuid4().hex[:8]}"
        self._jsonl: IO[str] | None = None
        self._csv_handle: IO[str] | None = None
        self._csv: Any = None

    def __enter__(self) -> RunWriter:
        self.tmp.mkdir(parents=True)
        self._jsonl = (self.tmp / "orders.jsonl").open("w", encoding="utf-8")
        self._csv_handle = (self.tmp / "orders.csv").open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_handle, lineterminator="\n")
        self._csv.writerow(CSV_COLUMNS + PACKAGING_COLUMNS if self.packaging else CSV_COLUMNS)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def add(self, outcome: dict[str, Any]) -> None:
        assert self._jsonl is not None
        self._jsonl.write(dumps(outcome))
        self._jsonl.write("\n")
        row = csv_row(outcome)
        if self.packaging:
            row.extend(packaging_cells(outcome))
        self._csv.writerow(row)

    def trace(self, order_id: str, trace: Any) -> None:
        with (self.tmp / "traces.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(
                json.dumps({"order": order_id, "trace": trace}, sort_keys=True, default=_loose)
            )
            handle.write("\n")

    def finish(self, summary: dict[str, Any], timing: dict[str, Any]) -> Path:
        self._close()
        write_json(self.tmp / "summary.json", summary)
        write_json(self.tmp / "run.json", timing)
        (self.tmp / "report.html").write_text(run_report(summary), encoding="utf-8")
        publish_dir(self.tmp, self.out)
        return self.out

    def _close(self) -> None:
        for handle in (self._jsonl, self._csv_handle):
            if handle is not None:
                handle.close()
        self._jsonl = self._csv_handle = None


def csv_row(outcome: dict[str, Any]) -> list[Any]:
    shipments = outcome["shipments"]
    return [
        outcome["order"],
        outcome["at"],
        outcome["outcome"],
        outcome["code"],
        outcome["lines"],
        outcome["lines_backordered"],
        outcome["units"],
        outcome["allocated"],
        outcome["backordered"],
        len(shipments),
        "|".join(s["location"] for s in shipments),
        "|".join(f"{s['carrier']}/{s['service']}" for s in shipments),
        f"{outcome['shipping_cost']:.2f}",
        _total_km(shipments),
        outcome["promised"] or "",
        outcome["requested"] or "",
    ]


def packaging_cells(outcome: dict[str, Any]) -> list[Any]:
    """The order's parcels and box cost, over its shipments (see `PACKAGING_COLUMNS`)."""
    shipments = outcome["shipments"]
    cost = sum(s["box_cost"] for s in shipments)
    return [sum(s["parcels"] for s in shipments), f"{cost:.2f}"]


def _total_km(shipments: list[dict[str, Any]]) -> str:
    """The order's distance, or blank when a shipment's is unknown (no coordinates)."""
    total = 0.0
    for shipment in shipments:
        km = shipment["distance_km"]
        if km is None:
            return ""
        total += km
    return f"{total:.1f}"


def _loose(value: Any) -> Any:
    """Traces are the pipeline's to shape: anything JSON cannot write is written as text."""
    try:
        return plain(value)
    except TypeError:
        return str(value)


def write_json(path: Path, value: Any) -> None:
    """Write `path` whole or not at all (a what-if's `index.json` is written in place)."""
    tmp = path.parent / f".{path.name}.writing-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(dumps(value, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def publish_dir(tmp: Path, out: Path) -> None:
    """Rename a finished directory into place, replacing an older one of the same name."""
    if out.exists():
        trash = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out, trash)
        os.replace(tmp, out)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(tmp, out)
