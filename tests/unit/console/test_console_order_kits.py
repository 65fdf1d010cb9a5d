"""The Orders page shows, for a line filed for one component of a kit, which kit it is a part
of and how many of it each kit takes ("GIFTSET (2 per kit, 3 kits)"); an order without a
kit's part, or read from an API from before lines kept their kit, has no such column. Driven
by AppTest against a fake API behind the console's real client (an httpx mock transport)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from admin_ui import session
from admin_ui.client import OrdoClient
from admin_ui.views.orders import kit_of
from tests.unit.console.test_console_remainder_cancel import FakeApi, an_order, line, opened


def a_gift_set_order() -> dict[str, Any]:
    """The T-shirt and jeans order, with its line 7 three GIFTSETs (a MUG and two TEAs each)
    filed as parts 7.1 and 7.2."""
    order = an_order(backordered=False)
    mug, tea = line("7.1", "MUG", 3, "allocated"), line("7.2", "TEA", 6, "allocated")
    mug["kit"] = {"sku": "GIFTSET", "units": 1, "kits": 3}
    tea["kit"] = {"sku": "GIFTSET", "units": 2, "kits": 3}
    for plain in order["lines"]:
        plain["kit"] = None
    order["lines"] += [mug, tea]
    return order


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, Any]], None]]:
    """`serve(order)`: the fake API answers for it for the rest of the test."""
    served: list[FakeApi] = []

    def open_client() -> OrdoClient:
        return OrdoClient("http://api.test", "k", transport=httpx.MockTransport(served[-1].handle))

    monkeypatch.setattr(session, "open_client", open_client)
    yield lambda order: served.append(FakeApi(order))


def lines_shown(serve: Callable[[dict[str, Any]], None], order: dict[str, Any]) -> list[Any]:
    """The rows of the order's Lines table."""
    serve(order)
    tables = [table.value for table in opened().dataframe]
    return list(next(t for t in tables if "line" in t.columns).to_dict("records"))


def test_a_kits_parts_show_their_kit_and_how_many_each_kit_takes(
    serve: Callable[[dict[str, Any]], None],
) -> None:
    rows = lines_shown(serve, a_gift_set_order())

    assert [(row["line"], row["sku"], row["kit"]) for row in rows] == [
        ("1", "TSHIRT", ""),
        ("2", "JEANS", ""),
        ("7.1", "MUG", "GIFTSET (1 per kit, 3 kits)"),
        ("7.2", "TEA", "GIFTSET (2 per kit, 3 kits)"),
    ]


def test_an_order_without_a_kits_part_has_no_kit_column(
    serve: Callable[[dict[str, Any]], None],
) -> None:
    rows = lines_shown(serve, an_order(backordered=False))  # an API from before: no `kit`

    assert [row["line"] for row in rows] == ["1", "2"]
    assert all("kit" not in row for row in rows)


def test_one_kit_is_said_in_the_singular() -> None:
    part = line("7.1", "MUG", 1, "allocated")
    part["kit"] = {"sku": "GIFTSET", "units": 1, "kits": 1}

    assert kit_of(part) == "GIFTSET (1 per kit, 1 kit)"  # type: ignore[arg-type]
