"""`ordo simulate` refuses, in one line and without a traceback, a variant name that would
overwrite another run's results and a data set changed since its import; earlier results
stay as they were, and a failed run leaves nothing that looks finished."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.integration.simulation.test_cli import ROOT, ordo, squeeze

DRAFT = "docs/examples/simulation/routing_draft.ordo"


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    """The docs' example imported as data set 'acme' under ./data, in a fresh directory."""
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    mapping = "docs/examples/simulation/mapping.yaml"
    done = ordo(["import", "acme", "--mapping", mapping, "--keep-going"], tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path


def results(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_variant_named_like_the_drafts_comparison_is_refused_and_overwrites_nothing(
    imported: Path,
) -> None:
    first = ordo(["simulate", "acme", "--draft", DRAFT, "--limit", "20"], imported)
    assert first.returncode == 0, first.stderr
    out = imported / "data" / "simulations" / "acme"
    before = results(out)
    refused = ordo(
        ["simulate", "acme", "--draft", DRAFT, "--variant", f"diff-draft={DRAFT}"], imported
    )
    assert refused.returncode == 1
    said = squeeze(refused.stderr)
    assert f"error: --variant 'diff-draft={DRAFT}': the name 'diff-draft' starts with" in said
    assert "Traceback" not in refused.stderr
    index = ordo(["simulate", "acme", "--variant", f"index.json={DRAFT}"], imported)
    assert index.returncode == 1 and "the name 'index.json' is taken" in squeeze(index.stderr)
    assert results(out) == before


def test_a_data_set_edited_after_its_import_is_refused_naming_the_file(imported: Path) -> None:
    orders = imported / "data" / "datasets" / "acme" / "orders.jsonl"
    orders.write_text(orders.read_text().replace('"channel":"web"', '"channel":"pos"', 1))
    done = ordo(["simulate", "acme"], imported)
    assert done.returncode == 1
    said = squeeze(done.stderr)
    orders_file = "data/datasets/acme/orders.jsonl"
    assert f"error: {orders_file} has changed since the data set was imported" in said
    assert "re-import the data set" in done.stderr and "Traceback" not in done.stderr
    assert not (imported / "data" / "simulations" / "acme").exists()


def test_a_record_without_a_field_fails_the_run_in_its_process_naming_the_line(
    imported: Path,
) -> None:
    dataset = imported / "data" / "datasets" / "acme"
    lines = (dataset / "orders.jsonl").read_text().splitlines(keepends=True)
    record = json.loads(lines[4])
    del record["channel"]
    lines[4] = json.dumps(record) + "\n"
    (dataset / "orders.jsonl").write_text("".join(lines))
    # A manifest rewritten to match (by hand, or by an older Ordo): only the record is wrong.
    manifest = json.loads((dataset / "manifest.json").read_text())
    manifest["sha256"]["orders.jsonl"] = hashlib.sha256(
        (dataset / "orders.jsonl").read_bytes()
    ).hexdigest()
    (dataset / "manifest.json").write_text(json.dumps(manifest))
    done = ordo(["simulate", "acme", "--draft", DRAFT, "--workers", "2"], imported)
    assert done.returncode == 1
    said = squeeze(done.stderr)
    assert "error: data/datasets/acme/orders.jsonl line 5: the record has no 'channel'" in said
    assert "Traceback" not in done.stderr
    out = imported / "data" / "simulations" / "acme"
    assert [p for p in out.rglob("*") if p.name in ("summary.json", "index.json")] == []
