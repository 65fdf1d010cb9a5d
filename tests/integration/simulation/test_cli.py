"""`ordo import` and `ordo simulate` on real files: the docs' worked example runs as written,
and bad input is one line naming the file, row or flag, with nothing half-written left."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ORDO = Path(sys.executable).with_name("ordo")
DOC = ROOT / "docs" / "simulation.md"


def ordo(
    args: list[str], cwd: Path, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDO_")}
    env["COLUMNS"] = "200"  # Rich wraps at the terminal width; keep each message on one line
    if data_dir is not None:
        env["ORDO_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [str(ORDO), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def squeeze(text: str) -> str:
    return " ".join(text.split())


def doc_blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A working directory laid out like the repository root, with the default ./data."""
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    return tmp_path


def test_the_worked_example_in_docs_runs_as_written_and_produces_the_reports(example: Path) -> None:
    commands = [line for block in doc_blocks("sh") for line in block.splitlines() if line.strip()]
    assert [c.split()[:2] for c in commands] == [["ordo", "import"], ["ordo", "simulate"]]
    outputs = []
    for command in commands:
        done = ordo(command.split()[1:], cwd=example)
        assert done.returncode == 0, done.stderr
        outputs.append(squeeze(done.stdout))
    shown_import = doc_blocks("text")[1]
    for line in shown_import.splitlines():
        assert squeeze(line) in outputs[0]
    results = example / "data" / "simulations" / "acme-july"
    for report in ("baseline", "draft", "diff-draft"):
        assert (results / report / "report.html").stat().st_size > 1_000_000  # plotly inlined
    changed = (results / "diff-draft" / "changed_orders.csv").read_text().splitlines()
    assert f"draft vs baseline: {len(changed) - 1} of 149 orders decided differently" in outputs[1]


def test_the_failing_import_shown_in_the_docs_fails_that_way_and_writes_nothing(
    example: Path,
) -> None:
    shown = doc_blocks("text")[0].splitlines()
    command, expected = shown[0].removeprefix("$ ").split(), shown[1]
    done = ordo(command[1:], cwd=example)
    assert done.returncode == 1
    assert squeeze(done.stderr) == expected
    assert sorted(p.name for p in (example / "data" / "datasets").iterdir()) == []


def test_a_mapping_typo_is_named_with_file_and_key(example: Path) -> None:
    mapping = example / "map.yaml"
    mapping.write_text("orders:\n  colums: {order_id: OrderNumber}\n", encoding="utf-8")
    done = ordo(
        ["import", "x", "--orders", "o.csv", "--locations", "l.csv", "--mapping", str(mapping)],
        example,
    )
    assert done.returncode == 1
    assert "map.yaml: orders: unknown key 'colums' (did you mean 'columns'?)" in squeeze(
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_simulate_answers_each_bad_argument_with_what_is_wrong_not_a_traceback(
    example: Path,
) -> None:
    missing = ordo(["simulate", "nope"], example)
    assert missing.returncode == 1
    assert "no data set 'nope'" in missing.stderr and "ordo import" in missing.stderr
    ordo(
        ["import", "acme", "--mapping", "docs/examples/simulation/mapping.yaml", "--keep-going"],
        example,
    )
    bad = ordo(["simulate", "acme", "--variant", "oops"], example)
    assert bad.returncode == 1
    assert "--variant 'oops': expected NAME=FILE[,FILE...]" in squeeze(bad.stderr)
    draft = ordo(["simulate", "acme", "--draft", "missing.ordo"], example)
    assert "missing.ordo: cannot read this file: no such file" in squeeze(draft.stderr)
    (example / "broken.ordo").write_text('rule "x" when')
    broken = ordo(["simulate", "acme", "--draft", "broken.ordo"], example)
    assert broken.returncode == 1
    # Each error at the draft's own line and column, with its caret, as `ordo rules check`.
    assert "broken.ordo: does not compile" in broken.stderr
    assert "broken.ordo:1:14: error E102" in broken.stderr
    nowhere = ordo(["simulate", "acme", "--out", "/proc/ordo-results"], example)
    assert "/proc/ordo-results: cannot create the results directory" in squeeze(nowhere.stderr)
    method = ordo(["simulate", "acme", "--optimiser", "best"], example)
    # A bad value from a flag is reported as the flag the user typed, as `serve --port` is.
    refused = "--optimiser: must be one of greedy, exact, auto, got 'best'"
    assert refused in squeeze(method.stderr)
    backwards = ordo(["simulate", "acme", "--from", "2025-08-01", "--to", "2025-07-01"], example)
    assert "--from 2025-08-01 is after --to 2025-07-01" in squeeze(backwards.stderr)
    said = missing.stderr + bad.stderr + draft.stderr + broken.stderr + nowhere.stderr
    assert "Traceback" not in said + method.stderr + backwards.stderr
