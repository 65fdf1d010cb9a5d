"""`ordo channels check NAME FILE`: a saved webhook payload shown as the order it becomes, or
every field that keeps it from becoming one, by its path in the payload; nothing is sent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ordo.cli import app

CONNECTORS = json.dumps(
    {"shopify-us": {"connector": "shopify", "channel": "shopify-us", "secret": "hush"}}
)
FIXTURE = Path(__file__).parent / "shopify_order.json"


@pytest.fixture(autouse=True)
def _clean_ordo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("ORDO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ORDO_CHANNEL_CONNECTORS", CONNECTORS)


def check(name: str, file: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["channels", "check", name, str(file)])
    return result.exit_code, result.output


def test_a_saved_payload_is_printed_as_the_order_post_v1_orders_would_take(tmp_path: Path) -> None:
    code, output = check("shopify-us", FIXTURE)
    assert code == 0, output
    order = json.loads(output)
    assert (order["channel"], order["channel_order_id"]) == ("shopify-us", "820982911946154508")
    assert [line["sku"] for line in order["lines"]] == ["SHOE-42", "SOCK-M"]
    assert order["ship_to"]["postal_code"] == "10001"


def test_lines_left_out_of_the_order_are_shown_with_where_they_were_and_why(
    tmp_path: Path,
) -> None:
    payload = json.loads(FIXTURE.read_text())
    payload["line_items"].append(
        {"id": 5, "sku": "GIFT-25", "quantity": 1, "price": "25.00", "requires_shipping": False}
    )
    file = tmp_path / "order.json"
    file.write_text(json.dumps(payload))
    code, output = check("shopify-us", file)
    assert code == 0, output
    order = json.loads(output)
    assert [line["sku"] for line in order["lines"]] == ["SHOE-42", "SOCK-M"]
    assert order["left_out"] == [
        {"path": "$.line_items[2]", "sku": "GIFT-25",
         "reason": "requires_shipping is false (a gift card or a digital good): nothing to ship"},
    ]  # fmt: skip
    assert "left_out" not in json.loads(check("shopify-us", FIXTURE)[1])


def test_every_field_at_fault_is_listed_by_its_path_in_the_payload(tmp_path: Path) -> None:
    payload = json.loads(FIXTURE.read_text())
    payload["line_items"][0]["sku"] = None
    payload["line_items"][1]["quantity"] = 0
    payload["currency"] = "usd"
    file = tmp_path / "order.json"
    file.write_text(json.dumps(payload))
    code, output = check("shopify-us", file)
    assert code == 1
    assert [line.split(": ")[0] for line in output.splitlines()] == [
        "$.line_items[0].sku",
        "$.line_items[1].quantity",
        "$.currency",
    ]


def test_a_field_the_mapping_refused_is_not_named_again_by_the_order_model(
    tmp_path: Path,
) -> None:
    payload = json.loads(FIXTURE.read_text())
    for line in payload["line_items"]:
        line["sku"] = None  # no line maps, yet the order has lines: no "$.line_items" error
    del payload["id"]  # named once, at $.id, not again as $.channel_order_id
    file = tmp_path / "order.json"
    file.write_text(json.dumps(payload))
    code, output = check("shopify-us", file)
    assert code == 1
    assert [line.split(": ")[0] for line in output.splitlines()] == [
        "$.id",
        "$.line_items[0].sku",
        "$.line_items[1].sku",
    ]


def test_an_unknown_connector_or_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    code, output = check("shopify-eu", FIXTURE)
    assert code == 1
    assert output == (
        "error: no channel connector 'shopify-eu' in ORDO_CHANNEL_CONNECTORS (shopify-us)\n"
    )
    (tmp_path / "order.json").write_text("<html>")
    code, output = check("shopify-us", tmp_path / "order.json")
    assert (
        code,
        output.splitlines()[0].endswith("is not JSON (save the webhook's body as it came)"),
    ) == (1, True)
    code, output = check("shopify-us", tmp_path / "missing.json")
    assert code == 1 and "cannot read this file" in output
