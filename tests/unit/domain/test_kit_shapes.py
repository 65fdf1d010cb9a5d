"""A kit's line and the parts Ordo files it as, both ways: a shop's line lowered to n kits
leaves each part n kits' worth, however support lowered one part before; parts' cancelled
units are whole kits only once every part gave its share, and units returned of them only
when every part of the kit (none removed) came back in the same number of kits.
The parts keep the kit's shape, so 2 kits of A+B are never read as 1 kit of 2A+2B (as a guess
from the quantities' greatest common divisor read them), and a component taken twice per kit
counts its units twice."""

from __future__ import annotations

from decimal import Decimal

from engine.domain.kits import (
    as_kit_lines,
    kit_parts,
    kits_cancelled,
    kits_ordered,
    live_kits,
    units_above,
    whole_kits_in,
)
from engine.domain.orders import KitShape, OrderLine


def part(line_id: str, sku: str, units: int, kits: int, kit: str = "GIFTSET") -> OrderLine:
    return OrderLine(line_id, sku, units * kits, Decimal("5.00"), kit=KitShape(kit, units, kits))


def two_kits_of_a_and_b() -> list[OrderLine]:
    return [part("7.1", "A", 1, 2, kit="AB"), part("7.2", "B", 1, 2, kit="AB")]


def gift_sets(kits: int) -> list[OrderLine]:
    """`kits` GIFTSETs: a MUG and two TEAs each."""
    return [part("7.1", "MUG", 1, kits), part("7.2", "TEA", 2, kits)]


def test_one_of_two_kits_of_a_and_b_is_one_unit_of_each_part_not_two() -> None:
    parts = two_kits_of_a_and_b()

    assert units_above(parts, 1) == {"7.1": 1, "7.2": 1}
    assert live_kits(parts) == 2


def test_a_component_taken_twice_per_kit_gives_two_units_per_kit() -> None:
    parts = gift_sets(3)

    assert units_above(parts, 1) == {"7.1": 2, "7.2": 4}
    assert live_kits(parts) == 3


def test_a_kit_line_lowered_leaves_each_part_at_the_kits_left_after_support_lowered_one() -> None:
    parts = gift_sets(3)
    parts[1].quantity = 5  # support took one TEA off: the third kit is short of it

    # Down to 2 kits: 2 MUG and 4 TEA, never 2 MUG and 3 TEA (a MUG without its TEAs).
    assert units_above(parts, 2) == {"7.1": 1, "7.2": 1}
    parts[1].quantity_cancelled = 2  # 3 TEAs left: below 2 kits' worth, so they stay
    assert units_above(parts, 2) == {"7.1": 1}


def test_live_kits_count_a_kit_while_any_part_has_a_unit_of_it() -> None:
    parts = gift_sets(3)
    parts[1].quantity_cancelled = 3  # 3 of 6 TEAs gone: one and a half kits

    assert live_kits(parts) == 3  # the MUGs of all three are still coming


def test_units_cancelled_of_one_part_alone_cancel_no_kit() -> None:
    parts = two_kits_of_a_and_b()
    parts[0].quantity = 1  # support lowered A alone

    assert kits_cancelled(parts, ordered=2) == 0


def test_a_kit_is_cancelled_once_every_part_gave_its_share() -> None:
    parts = gift_sets(3)
    parts[0].quantity = 2  # one MUG lowered away
    parts[1].quantity_cancelled = 2  # two TEAs of the remainder cancelled

    assert kits_cancelled(parts, ordered=3) == 1


def test_a_kit_whose_parts_are_all_removed_is_cancelled_by_the_kits_its_line_ordered() -> None:
    assert kits_ordered([], {"7": 3}, "7") == 3
    assert kits_cancelled([], ordered=3) == 3


def test_parts_are_found_by_their_kits_line_and_shapeless_lines_are_none() -> None:
    shapeless = OrderLine("8.1", "A", 2, Decimal("5.00"))
    plain = OrderLine("9", "C", 1, Decimal("5.00"))
    parts = gift_sets(1)

    assert kit_parts([*parts, shapeless, plain]) == {"7": parts}
    assert [line.kit_line for line in (*parts, shapeless, plain)] == ["7", "7", None, None]


def test_units_returned_of_every_part_in_its_units_per_kit_are_that_many_whole_kits() -> None:
    parts = gift_sets(3)

    assert whole_kits_in(parts, {"7.1": 1, "7.2": 2}) == 1
    assert whole_kits_in(parts, {"7.1": 2, "7.2": 4}) == 2


def test_units_returned_of_part_of_a_kit_are_no_whole_kit() -> None:
    parts = gift_sets(3)

    assert whole_kits_in(parts, {"7.2": 2}) == 0  # the TEAs without their MUG
    assert whole_kits_in(parts, {"7.1": 1, "7.2": 1}) == 0  # a TEA short of a kit
    assert whole_kits_in(parts, {"7.1": 2, "7.2": 2}) == 0  # two MUGs, the TEAs of one kit
    assert whole_kits_in(parts, {"7.1": 1, "7.2": 3}) == 0  # one kit and a half of TEA


def test_returned_units_are_named_by_the_kit_lines_they_make_whole_kits_of() -> None:
    others = [part("8.1", "A", 1, 2, kit="AB"), part("8.2", "B", 1, 2, kit="AB")]
    plain = OrderLine("9", "C", 1, Decimal("5.00"))
    lines = [*gift_sets(3), *others, plain]

    returned = {"7.1": 2, "7.2": 4, "8.1": 1, "9": 1}  # two GIFTSETs; an A without its B
    assert as_kit_lines(lines, returned, {"GIFTSET": 2, "AB": 2}) == {"7": 2}


def test_a_kit_one_of_whose_parts_was_removed_is_never_returned_whole() -> None:
    mugs, teas = gift_sets(3)

    # The MUGs removed: the TEAs alone are no kit (a gap in the parts' numbers).
    assert whole_kits_in([teas], {"7.2": 2}) == 0
    # The TEAs removed: the MUGs alone look whole, but the kit has two parts.
    assert whole_kits_in([mugs], {"7.1": 1}, components=2) == 0
    assert as_kit_lines([mugs], {"7.1": 1}, {"GIFTSET": 2}) == {}
    assert as_kit_lines([mugs, teas], {"7.1": 1, "7.2": 2}, {"GIFTSET": 2}) == {"7": 1}
