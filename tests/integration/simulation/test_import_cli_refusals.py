"""`ordo import` on exports that are wrong as a whole: one line naming the file and the reason,
exit status 1, no traceback and no data set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.simulation.test_cli import ordo, squeeze

ORDERS = "order_id,created_at,postal_code,sku,quantity\nA1,2025-07-01T10:00:00Z,10001,S1,2\n"
LOCATIONS = "code,type,postal_code\nDC1,warehouse,10001\n"


@pytest.mark.parametrize(
    ("mapping", "orders", "said"),
    [
        (
            "orders:\n  encoding: utf-16\n",
            "orders.csv",
            "orders.csv: cannot be read as utf-16 text (UTF-16 stream does not start with BOM)",
        ),
        (
            "orders:\n  columns: {price: Preis}\n",
            "orders.csv",
            "map.yaml: orders.columns.price: orders.csv has no column 'Preis'",
        ),
        ("orders: {}\n", "exports", "exports: is a directory, not a file"),
    ],
    ids=["utf-16 without a byte-order mark", "a mapped column it lacks", "a directory"],
)
def test_an_export_refused_as_a_whole_is_one_line_naming_it_and_leaves_no_data_set(
    tmp_path: Path, mapping: str, orders: str, said: str
) -> None:
    (tmp_path / "orders.csv").write_text(ORDERS, encoding="utf-8")
    (tmp_path / "locations.csv").write_text(LOCATIONS, encoding="utf-8")
    (tmp_path / "exports").mkdir()
    (tmp_path / "map.yaml").write_text(mapping, encoding="utf-8")
    args = ["--orders", orders, "--locations", "locations.csv", "--mapping", "map.yaml"]
    done = ordo(["import", "h", *args, "--keep-going"], tmp_path, tmp_path / "data")
    assert done.returncode == 1
    assert said in squeeze(done.stderr)
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "data" / "datasets").iterdir()) == []
