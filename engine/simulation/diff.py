"""Per-order diff of two runs over the same history: which orders were decided differently.

Both runs list their orders in the same replay order, so the diff walks the two `orders.jsonl`
files in lockstep with constant memory. An order counts as changed when its outcome, the set of
shipping locations, the carriers/services, the number of shipments, or the units allocated or
backordered differ; each changed order is written with what changed and by how much its
shipping cost and distance moved. Results (`diff.json`, `changed_orders.csv`,
`changed_orders.jsonl`, `report.html`) are written atomically like a run's.
"""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any

from engine.simulation.dataset import dumps
from engine.simulation.errors import SimulationError
from engine.simulation.html import diff_report
from engine.simulation.report import publish_dir, write_json

KINDS = ("outcome", "location", "carrier", "split", "units")
CHANGED_COLUMNS = (
    "order", "changes", "outcome_a", "outcome_b", "locations_a", "locations_b", "carriers_a",
    "carriers_b", "shipments_a", "shipments_b", "cost_a", "cost_b", "cost_delta",
    "distance_km_a", "distance_km_b", "distance_km_delta",
)  # fmt: skip
_COST_BUCKET = 0.5


class DiffError(SimulationError):
    """The two runs cannot be compared (different histories, missing files); says why."""


def what_changed(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The kinds of change between two outcomes of one order (empty when decided alike)."""
    kinds = []
    if a["outcome"] != b["outcome"]:
        kinds.append("outcome")
    if _locations(a) != _locations(b):
        kinds.append("location")
    if _carriers(a) != _carriers(b):
        kinds.append("carrier")
    if len(a["shipments"]) != len(b["shipments"]):
        kinds.append("split")
    if _units(a) != _units(b):
        kinds.append("units")
    return kinds


def compare_runs(a_dir: Path, b_dir: Path, out: Path) -> dict[str, Any]:
    """Compare run B against run A; writes the diff to `out` and returns its summary."""
    summary_a, summary_b = _summary(a_dir), _summary(b_dir)
    if summary_a["dataset"]["fingerprint"] != summary_b["dataset"]["fingerprint"]:
        raise DiffError(
            f"{a_dir} and {b_dir} replayed different histories; compare runs of one data set"
        )
    if summary_a.get("limit") != summary_b.get("limit"):
        raise DiffError(f"{a_dir} and {b_dir} replayed different numbers of orders (--limit)")
    for key in ("date_from", "date_to"):
        if summary_a.get(key) != summary_b.get(key):
            raise DiffError(f"{a_dir} and {b_dir} replayed different date ranges ({key})")
    tmp = out.parent / f".{out.name}.diffing-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        diff = _write_diff(tmp, a_dir, b_dir, summary_a, summary_b)
        publish_dir(tmp, out)
    finally:
        # Gone once published; otherwise what was written before the failure, which is not
        # a comparison anyone should find.
        shutil.rmtree(tmp, ignore_errors=True)
    return diff


def _write_diff(
    tmp: Path, a_dir: Path, b_dir: Path, summary_a: dict[str, Any], summary_b: dict[str, Any]
) -> dict[str, Any]:
    changes: Counter[str] = Counter()
    cost_buckets: Counter[int] = Counter()
    orders = changed = 0
    cost_delta = distance_delta = 0.0
    with (
        (tmp / "changed_orders.jsonl").open("w", encoding="utf-8") as jsonl,
        (tmp / "changed_orders.csv").open("w", newline="", encoding="utf-8") as handle,
    ):
        table = csv.writer(handle, lineterminator="\n")
        table.writerow(CHANGED_COLUMNS)
        for a, b in _pairs(a_dir, b_dir):
            orders += 1
            cost_delta += b["shipping_cost"] - a["shipping_cost"]
            distance_delta += _distance(b) - _distance(a)
            kinds = what_changed(a, b)
            if not kinds:
                continue
            changed += 1
            changes.update(kinds)
            row = _changed_row(a, b, kinds)
            cost_buckets[int(row["cost_delta"] // _COST_BUCKET)] += 1
            jsonl.write(dumps(row) + "\n")
            table.writerow([_cell(row[column]) for column in CHANGED_COLUMNS])
    diff = {
        "a": summary_a["run"],
        "b": summary_b["run"],
        "orders": orders,
        "changed": changed,
        "changes": {kind: changes[kind] for kind in KINDS},
        "cost_delta": round(cost_delta, 2),
        "distance_delta_km": round(distance_delta, 1),
        "cost_delta_histogram": {
            f"{bucket * _COST_BUCKET:g}": cost_buckets[bucket] for bucket in sorted(cost_buckets)
        },
        "kpis": {"a": summary_a["kpis"], "b": summary_b["kpis"]},
        "rulesets": {"a": summary_a["rulesets"], "b": summary_b["rulesets"]},
    }
    if "packaging" in summary_a or "packaging" in summary_b:
        # Each run's box catalogue (null: none): runs with other boxes price shipments
        # otherwise. Absent when neither packed, as before there was packaging.
        diff["packaging"] = {"a": summary_a.get("packaging"), "b": summary_b.get("packaging")}
    write_json(tmp / "diff.json", diff)
    (tmp / "report.html").write_text(diff_report(diff), encoding="utf-8")
    return diff


def changed_order_ids(diff_dir: Path) -> list[str]:
    """The ids of the orders a diff found changed, in replay order."""
    with (diff_dir / "changed_orders.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(text)["order"] for text in handle]


def _pairs(a_dir: Path, b_dir: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    with (
        (a_dir / "orders.jsonl").open(encoding="utf-8") as left,
        (b_dir / "orders.jsonl").open(encoding="utf-8") as right,
    ):
        for number, (text_a, text_b) in enumerate(zip_longest(left, right), start=1):
            if text_a is None or text_b is None:
                raise DiffError(f"the runs have different numbers of orders (from order {number})")
            a, b = json.loads(text_a), json.loads(text_b)
            if a["order"] != b["order"]:
                raise DiffError(
                    f"order {number} is {a['order']!r} in one run and {b['order']!r} in the other"
                )
            yield a, b


def _summary(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "summary.json"
    try:
        summary: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiffError(f"{run_dir}: not a finished simulation run (no summary.json)") from None
    except (OSError, json.JSONDecodeError) as error:
        raise DiffError(f"{path}: unreadable ({error})") from None
    return summary


def _changed_row(a: dict[str, Any], b: dict[str, Any], kinds: list[str]) -> dict[str, Any]:
    return {
        "order": a["order"],
        "changes": kinds,
        "outcome_a": a["outcome"],
        "outcome_b": b["outcome"],
        "locations_a": sorted(_locations(a)),
        "locations_b": sorted(_locations(b)),
        "carriers_a": sorted(_carriers(a)),
        "carriers_b": sorted(_carriers(b)),
        "shipments_a": len(a["shipments"]),
        "shipments_b": len(b["shipments"]),
        "cost_a": a["shipping_cost"],
        "cost_b": b["shipping_cost"],
        "cost_delta": round(b["shipping_cost"] - a["shipping_cost"], 2),
        "distance_km_a": round(_distance(a), 1),
        "distance_km_b": round(_distance(b), 1),
        "distance_km_delta": round(_distance(b) - _distance(a), 1),
    }


def _locations(outcome: dict[str, Any]) -> set[str]:
    return {s["location"] for s in outcome["shipments"]}


def _carriers(outcome: dict[str, Any]) -> set[str]:
    return {f"{s['carrier']}/{s['service']}" for s in outcome["shipments"]}


def _units(outcome: dict[str, Any]) -> tuple[int, int, tuple[tuple[str, int], ...]]:
    per_location = tuple(sorted((s["location"], s["units"]) for s in outcome["shipments"]))
    return outcome["allocated"], outcome["backordered"], per_location


def _distance(outcome: dict[str, Any]) -> float:
    """The known part of an order's distance: a shipment of unknown distance adds nothing."""
    return float(sum(s["distance_km"] or 0.0 for s in outcome["shipments"]))


def _cell(value: Any) -> Any:
    return "|".join(value) if isinstance(value, list) else value
