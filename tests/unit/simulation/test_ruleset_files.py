"""Ruleset files for a simulation, read as `ordo rules check` reads them."""

from __future__ import annotations

from pathlib import Path

from engine.simulation.rulesets import fingerprints, read_rulesets, shipped_rulesets_dir


def test_a_draft_saved_with_a_byte_order_mark_is_the_same_ruleset(tmp_path: Path) -> None:
    shipped = shipped_rulesets_dir() / "routing.ordo"
    draft = tmp_path / "routing.ordo"
    draft.write_bytes(b"\xef\xbb\xbf" + shipped.read_bytes())
    assert fingerprints(read_rulesets([draft])) == fingerprints(read_rulesets([shipped]))
