"""Units of a kit's parts cancelled in Ordo, told to the shop as whole kits of its line, on the
bus with fakes: Ordo filed the shop's line `7` as parts `7.1`, `7.2`, and the shop hears of a
kit once every part gave up its units of it (lowered, removed, a remainder cancelled), never
of a part of one; kits it heard of before, or cancelled itself, are not told again; a worker
behind by two changes tells each kit once, and so does one that crashed after the shop
answered a kit's telling, whichever change comes next."""

from __future__ import annotations

from dataclasses import replace

from connectors.channels.base import CANCELLED_IN_SHOP, CancelledUnits
from engine.adapters.bus import Message
from engine.domain import commands as c
from engine.domain import events
from engine.service_layer.channel_unit_cancellations import (
    ChannelUnitCancellation,
    cancel_units_for_channel,
)
from engine.service_layer.shop_unit_cancellations import ShopUnitCanceller
from tests.unit.events.test_shop_unit_canceller import FakeShop, by_support, the_event
from tests.unit.pipeline.test_channel_kit_unit_cancellations import GIFT_SET, a_kit_order
from tests.unit.pipeline.world import Engine

SUPPORT = "support:sam"


def lowered(
    engine: Engine, order_id: str, quantities: dict[str, int], event_id: str = "4711"
) -> Message:
    """Support's lowering of parts, as the worker gets its event (`event_id`)."""
    command = c.ModifyOrder(order_id, quantities=quantities, actor=SUPPORT)
    return replace(by_support(engine, command, events.OrderModified), event_id=event_id)


def told(shop: FakeShop) -> list[dict[str, int]]:
    return [dict(cancelled.units) for _, cancelled in shop.asked]


def test_one_of_two_kits_of_a_and_b_lowered_is_told_as_one_kit() -> None:
    engine, order_id = a_kit_order({"A": 1, "B": 1}, kits=2, channel="shopify-us")
    message = lowered(engine, order_id, {"7.1": 1, "7.2": 1})
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    assert told(shop) == [{"7": 1}]
    [sent] = engine.uow.committed_events
    assert isinstance(sent, events.OrderUnitsCancelSentToChannel) and sent.lines == {"7": 1}


def test_a_part_of_a_kit_is_never_told_until_the_kit_is_whole() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3, channel="shopify-us")
    one_tea = lowered(engine, order_id, {"7.2": 5})
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})

    canceller(one_tea, engine.uow)
    assert told(shop) == []

    the_rest = lowered(engine, order_id, {"7.1": 2, "7.2": 4}, event_id="4712")
    canceller(the_rest, engine.uow)
    assert told(shop) == [{"7": 1}]


def test_every_part_removed_tells_every_kit_its_line_ordered() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=2, channel="shopify-us")
    engine.bus.handle(c.ModifyOrder(order_id, add_lines=(c.LineInput("C", 1, line_id="8"),)))
    engine.uow.committed_events.clear()
    message = by_support(engine, c.ModifyOrder(order_id, remove_lines=("7.1", "7.2"),
                                               actor=SUPPORT), events.OrderModified)  # fmt: skip
    assert message.payload["changes"]["removed_kits"] == {"7": 2}
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    assert told(shop) == [{"7": 2}]


def test_units_of_the_parts_remainder_cancelled_are_told_as_whole_kits() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3, stock=2, channel="shopify-us")
    engine.bus.handle(c.ReleaseOrder(order_id, SUPPORT))  # 2 MUGs and 2 TEAs placed
    engine.uow.committed_events.clear()
    engine.bus.handle(c.CancelBackordered(order_id, "would not wait", None, SUPPORT))
    message = the_event(engine, events.OrderRemainderCancelled)
    assert message.payload["lines"] == {"7.1": 1, "7.2": 4}
    shop = FakeShop()

    ShopUnitCanceller({"shopify-us": shop})(message, engine.uow)

    # The third kit lost its MUG and both TEAs, the second its TEAs alone: one whole kit.
    assert told(shop) == [{"7": 1}]


def test_kits_the_shop_cancelled_itself_are_not_told_again() -> None:
    engine, order_id = a_kit_order(GIFT_SET, kits=3, channel="shopify-us")
    asked = ChannelUnitCancellation("shopify-us", "W-1", "cancelled in Shopify",
                                    "channel:shopify-us", cancelled={"7": 1},
                                    change="shopify refund 929361464")  # fmt: skip
    cancel_units_for_channel(
        lambda: engine.uow,
        lambda command, audited: engine.bus.handle(command, before_commit=audited),
        asked,
    )
    shops = the_event(engine, events.OrderModified, event_id="4710")
    supports = lowered(engine, order_id, {"7.1": 1, "7.2": 2})
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})

    canceller(shops, engine.uow)
    canceller(supports, engine.uow)

    assert told(shop) == [{"7": 1}]


def test_a_worker_behind_by_two_changes_tells_each_kit_once() -> None:
    engine, order_id = a_kit_order({"A": 1, "B": 1}, kits=2, channel="shopify-us")
    first = lowered(engine, order_id, {"7.1": 1})
    second = lowered(engine, order_id, {"7.2": 1}, event_id="4712")
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})

    canceller(first, engine.uow)
    canceller(second, engine.uow)

    assert told(shop) == [{"7": 1}]


def told_before_a_crash(shop: FakeShop, message: Message, units: dict[str, int]) -> None:
    """The worker asked the shop to cancel `units` for `message`'s change, and the shop did,
    but the worker crashed before it committed: the timeline shows nothing of it."""
    cancelled = CancelledUnits(str(message.payload["order_id"]), message.event_id, "USD", units)
    assert shop.cancel_units_in_shop("W-1", cancelled) == CANCELLED_IN_SHOP


def sent_lines(engine: Engine) -> list[tuple[str, dict[str, int], str]]:
    return [(e.change, e.lines, e.outcome) for e in engine.uow.committed_events
            if isinstance(e, events.OrderUnitsCancelSentToChannel)]  # fmt: skip


def test_a_kit_told_before_a_crash_is_recorded_as_the_shop_holds_it_when_its_event_is_first(
) -> None:  # fmt: skip
    engine, order_id = a_kit_order({"A": 1, "B": 1}, kits=3, channel="shopify-us")
    first = lowered(engine, order_id, {"7.1": 2, "7.2": 2})
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})
    told_before_a_crash(shop, first, {"7": 1})
    second = lowered(engine, order_id, {"7.1": 1, "7.2": 1}, event_id="4712")

    canceller(first, engine.uow)  # redelivered first: two kits are whole by now
    canceller(second, engine.uow)

    # The shop holds one kit for 4711, so 4711 is recorded with one and 4712 tells the other.
    assert told(shop) == [{"7": 1}, {"7": 1}]
    assert sent_lines(engine) == [("4711", {"7": 1}, "already_cancelled"),
                                  ("4712", {"7": 1}, "cancelled")]  # fmt: skip


def test_the_next_change_handled_before_a_crashed_kit_telling_does_not_tell_that_kit_again(
) -> None:  # fmt: skip
    engine, order_id = a_kit_order({"A": 1, "B": 1}, kits=3, channel="shopify-us")
    first = lowered(engine, order_id, {"7.1": 2, "7.2": 2})
    shop = FakeShop()
    canceller = ShopUnitCanceller({"shopify-us": shop})
    told_before_a_crash(shop, first, {"7": 1})
    second = lowered(engine, order_id, {"7.1": 1, "7.2": 1}, event_id="4712")

    canceller(second, engine.uow)  # read first, as a Redis bus reclaims a crashed entry late
    canceller(first, engine.uow)

    assert told(shop) == [{"7": 1}, {"7": 1}]  # two kits refunded, each once
    assert sent_lines(engine) == [("4712", {"7": 1}, "cancelled"),
                                  ("4711", {"7": 1}, "already_cancelled")]  # fmt: skip
