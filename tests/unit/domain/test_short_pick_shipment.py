"""A location reports units it cannot find: which lines lose them, when the shipment is
cancelled, and what is refused (changing nothing)."""

from __future__ import annotations

import pytest

from engine.domain import events
from engine.domain.errors import Conflict, IllegalTransition
from engine.domain.fulfilment import (
    FulfillmentOrder,
    ShipmentLine,
    ShipmentStatus,
    Shortfall,
    ShortLine,
)
from engine.domain.orders import InvalidLine
from tests.support import builders as b

S = ShipmentStatus


def picking(status: ShipmentStatus = S.RELEASED, *lines: ShipmentLine) -> FulfillmentOrder:
    shipment = b.a_shipment(
        status=status,
        lines=list(lines) or [ShipmentLine("L1", "SKU-1", 3), ShipmentLine("L2", "SKU-2", 1)],
        tracking_number="",
        label_format="",
        shipped_at=None,
        tracking=[],
    )
    shipment.events.clear()
    return shipment


def quantities(shipment: FulfillmentOrder) -> list[tuple[str, str, int]]:
    return [(line.order_line_id, line.sku, line.quantity) for line in shipment.lines]


def test_a_line_named_by_its_id_loses_the_missing_units_and_the_event_names_them() -> None:
    shipment = picking()

    lost = shipment.short_pick([ShortLine(2, order_line_id="L1")], "not in its bin", b.at(10))

    assert lost == [Shortfall("L1", "SKU-1", 2)]
    assert quantities(shipment) == [("L1", "SKU-1", 1), ("L2", "SKU-2", 1)]
    assert shipment.status is S.RELEASED
    assert shipment.events == [
        events.ShipmentShortPicked(
            "F-1",
            "O-1",
            "DAL-01",
            [{"sku": "SKU-1", "order_line_id": "L1", "missing": 2}],
            "not in its bin",
        )
    ]


def test_a_line_named_by_its_sku_goes_when_all_its_units_are_missing() -> None:
    shipment = picking(S.PICKED)

    lost = shipment.short_pick([ShortLine(1, sku="SKU-2")], "damaged", b.at(10))

    assert lost == [Shortfall("L2", "SKU-2", 1)]
    assert quantities(shipment) == [("L1", "SKU-1", 3)]
    assert shipment.status is S.PICKED


def test_a_shipment_left_with_no_units_is_cancelled_after_the_short_pick_event() -> None:
    shipment = picking(S.PICKED)

    shipment.short_pick(
        [ShortLine(3, order_line_id="L1"), ShortLine(1, sku="SKU-2")], "bin empty", b.at(10)
    )

    assert shipment.lines == []
    assert shipment.status is S.CANCELLED
    short, cancelled = shipment.events
    assert isinstance(short, events.ShipmentShortPicked)
    assert [line["missing"] for line in short.lines] == [3, 1]
    assert cancelled == events.ShipmentStatusChanged(
        "F-1", "O-1", "DAL-01", S.PICKED, S.CANCELLED, "ups", ""
    )


@pytest.mark.parametrize("status", [S.RELEASED, S.PICKED])
def test_a_status_report_still_cannot_cancel_a_shipment_its_location_is_working(
    status: ShipmentStatus,
) -> None:
    with pytest.raises(IllegalTransition):
        picking(status).move(S.CANCELLED, b.at(10))


@pytest.mark.parametrize(
    ("asked", "path", "words"),
    [
        ([ShortLine(4, order_line_id="L1")], ("lines", 0, "missing"),
         "line 'L1' (SKU-1) of shipment F-1 carries 3 unit(s), so 4 cannot be missing from it: "
         "report at most 3, the whole line"),
        ([ShortLine(0, order_line_id="L1")], ("lines", 0, "missing"),
         "missing units of line 'L1' (SKU-1) must be at least 1, got 0"),
        ([ShortLine(1, order_line_id="L1"), ShortLine(-1, sku="SKU-2")], ("lines", 1, "missing"),
         "must be at least 1, got -1"),
        ([ShortLine(1, order_line_id="L9")], ("lines", 0, "order_line_id"),
         "shipment F-1 carries no line 'L9'; it carries 'L1' (SKU-1 x 3), 'L2' (SKU-2 x 1)"),
        ([ShortLine(1, sku="SKU-9")], ("lines", 0, "sku"), "shipment F-1 carries no SKU-9"),
        ([ShortLine(1, order_line_id="L1", sku="SKU-2")], ("lines", 0, "sku"),
         "line 'L1' of shipment F-1 is SKU-1, not SKU-2"),
        ([ShortLine(1, order_line_id="L1"), ShortLine(1, sku="SKU-1")], ("lines", 1),
         "line 'L1' is already named by lines[0]: give its missing units once"),
        ([ShortLine(1)], ("lines", 0), "names no line: give its order_line_id or its sku"),
        ([], ("lines",), "names no line"),
    ],
)  # fmt: skip
def test_bad_figures_are_refused_at_their_line_and_change_nothing(
    asked: list[ShortLine], path: tuple[str | int, ...], words: str
) -> None:
    shipment = picking()

    with pytest.raises(InvalidLine) as refused:
        shipment.short_pick(asked, "why", b.at(10))

    assert refused.value.loc == path
    assert words in refused.value.reason
    assert quantities(shipment) == [("L1", "SKU-1", 3), ("L2", "SKU-2", 1)]
    assert (shipment.status, shipment.events) == (S.RELEASED, [])


def test_a_sku_the_shipment_carries_on_two_lines_must_be_named_by_line() -> None:
    shipment = picking(S.RELEASED, ShipmentLine("1", "SKU-1", 2), ShipmentLine("2", "SKU-1", 1))

    with pytest.raises(InvalidLine, match="carries SKU-1 on lines '1', '2': name the line by"):
        shipment.short_pick([ShortLine(1, sku="SKU-1")], "why", b.at(10))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (S.PENDING, "its order O-1 is not released yet, so nothing was asked of DAL-01"),
        (S.PACKED, "once packed its units were found"),
        (S.SHIPPED, "once packed its units were found"),
        (S.DELIVERED, "once packed its units were found"),
        (S.CANCELLED, "it is cancelled: nothing is to be picked"),
    ],
)
def test_a_shipment_not_released_or_picked_cannot_come_up_short(
    status: ShipmentStatus, words: str
) -> None:
    shipment = picking(status)

    with pytest.raises(Conflict) as refused:
        shipment.short_pick([ShortLine(1, order_line_id="L1")], "why", b.at(10))

    assert f"shipment F-1 is '{status}': only a released or picked shipment" in str(refused.value)
    assert words in str(refused.value)
    assert quantities(shipment) == [("L1", "SKU-1", 3), ("L2", "SKU-2", 1)]
    assert (shipment.status, shipment.events) == (status, [])
