"""A simulation refuses what would lose results or mislead: variant names that collide with
its own files, data set files changed or cut short since the import, and orders whose dates
overflow; each with a message naming what is wrong and where, and no half-written results."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.simulation import parallel
from engine.simulation.commands import ruleset_variants
from engine.simulation.dataset import DatasetError
from engine.simulation.diff import DiffError, compare_runs
from engine.simulation.errors import SimulationError
from engine.simulation.jobs import SimulationJobs, SimulationRequest
from engine.simulation.parallel import WhatIf, run_what_if
from engine.simulation.replay import RunResult, RunSpec, replay
from tests.unit.simulation.doubles import NearestStockDecider
from tests.unit.simulation.test_replay import order, tiny_dataset

ORDERS = [
    order(1, "2025-07-01T09:00:00Z", "S1", 1),
    order(2, "2025-07-01T10:00:00Z", "S1", 1),
    order(3, "2025-07-02T10:00:00Z", "S1", 1),
]


@pytest.fixture
def with_the_double(monkeypatch: pytest.MonkeyPatch) -> None:
    """What-ifs replay with the test Decider rather than compiling rulesets."""

    def run(spec: RunSpec, progress: Callable[[int, int], None]) -> RunResult:
        return replay(spec, NearestStockDecider(), progress)

    monkeypatch.setattr(parallel, "run_simulation", run)


def finished_files(out: Path) -> dict[str, str]:
    """Every file under a results directory, with its text, hidden scratch included."""
    return {
        str(path.relative_to(out)): path.read_text(encoding="utf-8")
        for path in sorted(out.rglob("*"))
        if path.is_file() and path.suffix in (".json", ".jsonl")
    }


# --- variant names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("diff-draft", "starts with 'diff-'"),
        ("Diff-other", "starts with 'diff-'"),
        ("index.json", "(index.json)"),
        ("INDEX.JSON", "(index.json)"),
        ("../elsewhere", "it names the variant's results directory"),
        (".hidden", "it names the variant's results directory"),
        ("", "it names the variant's results directory"),
    ],
)
def test_a_variant_named_like_the_what_ifs_own_files_is_refused_before_anything_runs(
    tmp_path: Path, with_the_double: None, name: str, why: str
) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    out = tmp_path / "out"
    run_what_if(WhatIf(data, out, {"baseline": {}, "draft": {}}), workers=0)
    before = finished_files(out)
    with pytest.raises(SimulationError) as refused:
        run_what_if(WhatIf(data, out, {"baseline": {}, "draft": {}, name: {}}), workers=0)
    assert f"variant name {name!r}" in str(refused.value)
    assert why in str(refused.value)
    assert finished_files(out) == before  # the earlier what-if's results are all still there


def test_results_asked_into_a_file_are_refused_naming_it(
    tmp_path: Path, with_the_double: None
) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    out = tmp_path / "results.txt"
    out.write_text("not a directory")
    with pytest.raises(SimulationError) as refused:
        run_what_if(WhatIf(data, out, {"baseline": {}}), workers=0)
    assert str(refused.value) == (f"{out}: is a file; the results directory must be a directory")
    assert out.read_text() == "not a directory"


def test_variant_names_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="'Draft' and 'draft' differ only in case"):
        WhatIf(tmp_path, tmp_path / "out", {"baseline": {}, "Draft": {}, "draft": {}})


def test_a_simulation_job_with_a_colliding_variant_name_is_refused_when_submitted(
    tmp_path: Path,
) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    jobs = SimulationJobs(tmp_path / "jobs")
    with pytest.raises(SimulationError, match=r"variant name 'index\.json'"):
        jobs.submit(SimulationRequest(data, {"baseline": {}, "index.json": {}}))
    assert jobs.list() == []


@pytest.mark.parametrize(
    ("variant", "said"),
    [
        ("diff-draft=missing.ordo", "the name 'diff-draft' starts with 'diff-'"),
        ("index.json=missing.ordo", "the name 'index.json' is taken"),
        ("Baseline=missing.ordo", "the name 'Baseline' differs from 'baseline' only in case"),
        ("draft=missing.ordo", "the name 'draft' is already used"),
    ],
)
def test_the_command_line_refuses_a_colliding_variant_name_before_reading_its_files(
    tmp_path: Path, variant: str, said: str
) -> None:
    draft = tmp_path / "routing.ordo"  # never read: the name is refused first
    with pytest.raises(SimulationError) as refused:
        ruleset_variants([], [draft], [variant])
    assert str(refused.value).startswith(f"--variant {variant!r}: {said}")


# --- data set files -------------------------------------------------------------------------


def edit_line(path: Path, number: int, change: dict[str, object], drop: str = "") -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[number - 1])
    record.update(change)
    record.pop(drop, None)
    lines[number - 1] = json.dumps(record) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def assert_no_results(out: Path) -> None:
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    assert not out.exists() and leftovers == []


def test_a_record_missing_a_field_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    edit_line(data / "orders.jsonl", 2, {}, drop="channel")
    out = tmp_path / "run"
    with pytest.raises(DatasetError) as failed:
        replay(RunSpec(data, out, {}), NearestStockDecider())
    assert f"{data / 'orders.jsonl'} line 2: the record has no 'channel'" in str(failed.value)
    assert "re-import the data set" in str(failed.value)
    assert_no_results(out)


def test_an_orders_file_cut_mid_line_is_an_error_naming_the_line(tmp_path: Path) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    text = (data / "orders.jsonl").read_bytes()
    (data / "orders.jsonl").write_bytes(text[: len(text) - 40])
    out = tmp_path / "run"
    with pytest.raises(DatasetError, match=r"orders\.jsonl line 3: not a JSON record"):
        replay(RunSpec(data, out, {}), NearestStockDecider())
    assert_no_results(out)


def test_an_orders_file_cut_at_a_line_end_is_caught_by_the_manifest_count(
    tmp_path: Path,
) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    lines = (data / "orders.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "orders.jsonl").write_text("".join(lines[:2]), encoding="utf-8")
    out = tmp_path / "run"
    with pytest.raises(DatasetError, match=r"holds 2 records but manifest\.json counts 3"):
        replay(RunSpec(data, out, {}), NearestStockDecider())
    assert_no_results(out)


def test_a_data_set_file_changed_since_the_import_stops_the_what_if_before_it_replaces_results(
    tmp_path: Path, with_the_double: None
) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    out = tmp_path / "out"
    run_what_if(WhatIf(data, out, {"baseline": {}}), workers=0)
    before = finished_files(out)
    edit_line(data / "orders.jsonl", 1, {"channel": "marketplace"})  # still a readable record
    with pytest.raises(DatasetError) as failed:
        run_what_if(WhatIf(data, out, {"baseline": {}}), workers=0)
    assert f"{data / 'orders.jsonl'} has changed since the data set was imported" in str(
        failed.value
    )
    assert finished_files(out) == before


def test_a_what_if_that_fails_after_replacing_a_run_leaves_no_index_claiming_a_complete_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    out = tmp_path / "out"

    def run(spec: RunSpec, progress: Callable[[int, int], None]) -> RunResult:
        if spec.name == "draft" and failing:
            raise SimulationError("draft.ordo: does not compile")
        return replay(spec, NearestStockDecider(), progress)

    monkeypatch.setattr(parallel, "run_simulation", run)
    failing = False
    run_what_if(WhatIf(data, out, {"baseline": {}, "draft": {}}), workers=0)
    assert (out / "index.json").is_file()
    failing = True
    with pytest.raises(SimulationError, match="does not compile"):
        run_what_if(WhatIf(data, out, {"baseline": {}, "draft": {}}), workers=0)
    assert not (out / "index.json").exists()
    assert (out / "baseline" / "summary.json").is_file()  # that run did finish
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_a_comparison_that_fails_midway_leaves_no_scratch_directory_behind(
    tmp_path: Path,
) -> None:
    data = tiny_dataset(tmp_path / "ds", ORDERS)
    a = replay(RunSpec(data, tmp_path / "a", {}, name="a"), NearestStockDecider()).out
    b = replay(RunSpec(data, tmp_path / "b", {}, name="b"), NearestStockDecider()).out
    lines = (b / "orders.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (b / "orders.jsonl").write_text("".join(lines[:2]), encoding="utf-8")
    with pytest.raises(DiffError, match="different numbers of orders"):
        compare_runs(a, b, tmp_path / "diff")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a", "b", "ds"]


# --- dates past the calendar ----------------------------------------------------------------


def test_an_order_whose_dates_run_past_the_year_9999_is_an_error_naming_the_order(
    tmp_path: Path,
) -> None:
    data = tiny_dataset(tmp_path / "ds", [ORDERS[0], order(9, "9999-12-31T20:00:00Z", "S1", 1)])
    out = tmp_path / "run"
    # The double promises three days out, which from 31 December 9999 does not exist.
    with pytest.raises(SimulationError) as failed:
        replay(RunSpec(data, out, {}), NearestStockDecider())
    assert str(failed.value).startswith("order 'O9' (created 9999-12-31): a date computed")
    assert_no_results(out)
