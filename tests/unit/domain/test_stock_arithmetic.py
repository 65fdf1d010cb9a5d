"""Stock arithmetic: what may be promised, and the counters every move must keep sane.

available = on hand - reserved - safety stock, never negative; a channel may promise the free
pool plus its own allocation but not units fenced for other channels; reserve never exceeds
that; release, consume and adjust keep 0 <= reserved <= on hand.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from engine.domain.errors import InsufficientStock, InvalidQuantity
from engine.domain.inventory import Stock

CHANNELS = ["web", "marketplace", "pos"]

counts = st.integers(min_value=0, max_value=500)
channel = st.sampled_from([None, *CHANNELS])
allocations = st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 200), max_size=3)


@st.composite
def stocks(draw: st.DrawFn) -> Stock:
    on_hand = draw(counts)
    return Stock(
        sku="SKU-1",
        location_code="DAL-01",
        on_hand=on_hand,
        reserved=draw(st.integers(0, on_hand)),
        safety_stock=draw(counts),
        channel_allocations=draw(allocations),
    )


def _sane(stock: Stock) -> bool:
    return 0 <= stock.reserved <= stock.on_hand


@given(stocks())
def test_available_is_on_hand_minus_reserved_minus_safety_stock_never_negative(
    stock: Stock,
) -> None:
    assert stock.available == max(0, stock.on_hand - stock.reserved - stock.safety_stock)
    assert stock.available >= 0


@given(stocks(), channel)
def test_a_channel_may_promise_the_free_pool_less_what_is_fenced_for_others(
    stock: Stock, who: str | None
) -> None:
    fenced = sum(units for name, units in stock.channel_allocations.items() if name != who)

    assert stock.available_for(who) == max(0, stock.available - fenced)
    assert 0 <= stock.available_for(who) <= stock.available


@given(stocks(), channel, st.integers(1, 600))
def test_reserve_grants_exactly_up_to_what_the_channel_may_promise(
    stock: Stock, who: str | None, quantity: int
) -> None:
    can = stock.available_for(who)
    reserved_before = stock.reserved

    if quantity <= can:
        stock.reserve(quantity, who)
        assert stock.reserved == reserved_before + quantity
    else:
        with pytest.raises(InsufficientStock) as refused:
            stock.reserve(quantity, who)
        assert (refused.value.requested, refused.value.available) == (quantity, can)
        assert stock.reserved == reserved_before
    assert _sane(stock)
    assert stock.available >= 0


@given(stocks(), st.sampled_from(CHANNELS), st.integers(1, 600))
def test_reserving_consumes_the_channels_own_allocation_first_and_never_below_zero(
    stock: Stock, who: str, quantity: int
) -> None:
    own = stock.channel_allocations.get(who, 0)
    assume(quantity <= stock.available_for(who))
    stock.reserve(quantity, who)

    assert stock.channel_allocations.get(who, 0) == max(0, own - quantity)


@given(stocks(), st.lists(st.tuples(st.sampled_from("rlca"), st.integers(-50, 50)), max_size=40))
def test_no_sequence_of_moves_breaks_the_counters(
    stock: Stock, moves: list[tuple[str, int]]
) -> None:
    for kind, amount in moves:
        before = (stock.on_hand, stock.reserved)
        try:
            if kind == "r":
                stock.reserve(amount)
            elif kind == "l":
                stock.release(amount)
            elif kind == "c":
                stock.consume(amount)
            else:
                stock.adjust(amount)
        except (InsufficientStock, InvalidQuantity):
            assert (stock.on_hand, stock.reserved) == before
        assert _sane(stock)
        assert stock.available >= 0


@given(stocks(), st.integers(1, 600))
def test_release_and_consume_refuse_more_than_is_reserved(stock: Stock, quantity: int) -> None:
    if quantity <= stock.reserved:
        on_hand, reserved = stock.on_hand, stock.reserved
        stock.consume(quantity)
        assert (stock.on_hand, stock.reserved) == (on_hand - quantity, reserved - quantity)
    else:
        with pytest.raises(InvalidQuantity, match=f"only {stock.reserved} reserved"):
            stock.release(quantity)
        with pytest.raises(InvalidQuantity, match=f"only {stock.reserved} reserved"):
            stock.consume(quantity)


@given(stocks(), st.integers(-600, 600))
def test_adjust_never_leaves_fewer_on_hand_than_reserved(stock: Stock, delta: int) -> None:
    on_hand = stock.on_hand

    if on_hand + delta >= stock.reserved:
        stock.adjust(delta)
        assert stock.on_hand == on_hand + delta
    else:
        with pytest.raises(InvalidQuantity, match="would leave"):
            stock.adjust(delta)
        assert stock.on_hand == on_hand


@pytest.mark.parametrize("quantity", [0, -1])
@pytest.mark.parametrize("move", ["reserve", "release", "consume"])
def test_moves_of_nothing_or_less_are_invalid(move: str, quantity: int) -> None:
    stock = Stock("SKU-1", "DAL-01", on_hand=10, reserved=5)

    with pytest.raises(InvalidQuantity, match="positive"):
        getattr(stock, move)(quantity)
    assert (stock.on_hand, stock.reserved) == (10, 5)


def test_stock_at_or_below_the_reorder_point_asks_for_more() -> None:
    stock = Stock("SKU-1", "DAL-01", on_hand=20, reserved=5, safety_stock=5, reorder_point=10)

    assert stock.below_reorder_point
    stock.adjust(1)
    assert not stock.below_reorder_point
