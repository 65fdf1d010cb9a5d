"""A shop's cancellation of units of a kit's line, on the bus with fakes: Ordo filed the shop's
line `7` as the kit's parts `7.1`, `7.2`, and k kits the shop cancels take k times each part's
units per kit off them (2 kits of A+B lose one A and one B per kit, a kit of a MUG and two
TEAs one MUG and two TEAs); a part support lowered before is brought down to its partners'
kits, never below them, so whole kits stay whole; never more kits than are left, the rest
said in the answer; the kits kept on the change's audit entry; parts filed before Ordo kept
the kit's shape left alone."""

from __future__ import annotations

from decimal import Decimal

from engine.domain import commands as c
from engine.domain.catalog import Product
from engine.domain.orders import OrderLine
from engine.pipeline.decide import DeciderSettings
from engine.service_layer.handlers import PipelineOptions
from tests.unit.pipeline.test_channel_unit_cancellations import REFUND, cancel_units, shop_entries
from tests.unit.pipeline.world import SKUS, Engine, build

GIFT_SET = {"MUG": 1, "TEA": 2}


def a_kit_order(
    components: dict[str, int],
    kits: int,
    stock: int = 20,
    channel: str = "shop",
    more: c.LineInput | None = None,
) -> tuple[Engine, str]:
    """Order W-1 of `channel`: `kits` kits (the shop's line 7) of `components`, and `more`,
    reserved."""
    engine = build(
        {(sku, "NJ"): (stock, 0) for sku in components},
        settings=DeciderSettings(optimiser="greedy"),
        options=PipelineOptions(auto_release=False),
    )
    with engine.uow as uow:
        for sku in set(components) - set(SKUS):
            uow.products.add(Product(sku, sku, Decimal("10.00"), weight_kg=1.0))
        uow.products.add(Product("KIT", "Kit", Decimal("30.00"), weight_kg=2.0,
                                 kit_components=components))  # fmt: skip
        uow.commit()
    lines = (c.LineInput("KIT", kits, line_id="7"), *([more] if more else []))
    command = c.CreateOrder(channel, "W-1", "c1", c.AddressInput("10001"), lines)
    order_id = str(engine.bus.handle(command))
    engine.uow.committed_events.clear()
    return engine, order_id


def parts_of(engine: Engine, order_id: str) -> dict[str, tuple[int, int]]:
    """Each part's quantity and units cancelled."""
    with engine.uow as uow:
        order = uow.orders.get(order_id)
        assert order is not None
        return {line.id: (line.quantity, line.quantity_cancelled) for line in order.lines}


def test_one_of_two_kits_of_a_and_b_takes_one_a_and_one_b_off() -> None:
    engine, order_id = a_kit_order({"A": 1, "B": 1}, kits=2)

    done = cancel_units(engine, cancelled={"7": 1})

    assert done is not None and (done.outcome, done.reason, done.cancelled) == (
        "cancelled", REFUND, {"7.1": 1, "7.2": 1},
    )  # fmt: skip
    assert parts_of(engine, order_id) == {"7.1": (1, 0), "7.2": (1, 0)}
    [(action, after)] = shop_entries(engine, order_id)
    assert (action, after["cancelled"], after["kits"]) == (
        "order.modify", {"7.1": 1, "7.2": 1}, {"7": 1},
    )  # fmt: skip


def test_a_component_taken_twice_per_kit_loses_two_units_per_kit() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)

    done = cancel_units(engine, cancelled={"7": 2})

    assert done is not None and done.cancelled == {"7.1": 2, "7.2": 4}
    assert parts_of(engine, order_id) == {"7.1": (1, 0), "7.2": (2, 0)}


def test_more_kits_than_the_parts_have_cancels_those_there_are_and_says_so() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3, more=c.LineInput("KIT", 1, line_id="8"))
    engine.bus.handle(c.ModifyOrder(order_id, quantities={"7.1": 1, "7.2": 1}))  # half a kit
    engine.uow.committed_events.clear()

    done = cancel_units(engine, cancelled={"7": 2})

    assert done is not None and (done.outcome, done.cancelled) == (
        "cancelled", {"7.1": 1, "7.2": 1},
    )  # fmt: skip
    assert done.reason == (
        f"{REFUND}; kit line 7 (KIT): 1 of the 2 kits cancelled, as its parts had no more "
        "kits left to cancel"
    )


def test_a_shops_kits_cancelled_after_support_lowered_a_part_leave_whole_kits() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)
    engine.bus.handle(c.ModifyOrder(order_id, quantities={"7.2": 3}))  # 1.5 kits of TEA left
    engine.uow.committed_events.clear()

    done = cancel_units(engine, cancelled={"7": 2})

    # One kit left in the shop: 1 MUG and its 2 TEAs, not 2 MUGs and 1 TEA.
    assert done is not None and (done.outcome, done.reason, done.cancelled) == (
        "cancelled", REFUND, {"7.1": 2, "7.2": 1},
    )  # fmt: skip
    assert parts_of(engine, order_id) == {"7.1": (1, 0), "7.2": (2, 0)}


def test_woocommerce_lowering_a_kit_line_support_took_a_part_of_leaves_its_kits_whole() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)
    engine.bus.handle(c.ModifyOrder(order_id, quantities={"7.2": 5}))  # a TEA of the third kit
    engine.uow.committed_events.clear()

    done = cancel_units(engine, kept={"7": 2}, change="woocommerce lines 7=2")

    # 2 kits: each part at exactly 2 kits' worth, the TEA support took counted, none more.
    assert done is not None and (done.outcome, done.cancelled) == (
        "cancelled", {"7.1": 1, "7.2": 1},
    )  # fmt: skip
    assert parts_of(engine, order_id) == {"7.1": (2, 0), "7.2": (4, 0)}


def test_a_woocommerce_order_lowering_its_kit_line_takes_whole_kits_off() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3)
    assert cancel_units(engine, kept={"7": 3}, change="woocommerce lines 7=3") is None

    done = cancel_units(engine, kept={"7": 1}, change="woocommerce lines 7=1")

    assert done is not None and (done.outcome, done.cancelled) == (
        "cancelled", {"7.1": 2, "7.2": 4},
    )  # fmt: skip
    assert parts_of(engine, order_id) == {"7.1": (1, 0), "7.2": (2, 0)}


def test_parts_filed_before_ordo_kept_the_kits_shape_are_left_alone_and_the_others_go() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3, more=c.LineInput("KIT", 2, line_id="8"))
    with engine.uow as uow:  # line 7's parts as rows written before migration 0036 read
        order = uow.orders.get(order_id)
        assert order is not None
        order.lines = [
            OrderLine(ln.id, ln.sku, ln.quantity, ln.price) if ln.id.startswith("7.") else ln
            for ln in order.lines
        ]
        uow.orders.add(order)
        uow.commit()

    done = cancel_units(engine, cancelled={"7": 1, "8": 1})

    assert done is not None and (done.outcome, done.cancelled) == (
        "cancelled", {"8.1": 1, "8.2": 2},
    )  # fmt: skip
    assert parts_of(engine, order_id) == {
        "7.1": (3, 0), "7.2": (6, 0), "8.1": (1, 0), "8.2": (2, 0),
    }  # fmt: skip
