"""Reserve, release, consume and adjust obey the domain's arithmetic on every backend."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from engine.domain.errors import InvalidQuantity, NotFound
from engine.domain.inventory import Stock
from tests.integration.persistence.conftest import UowFactory
from tests.support import builders as b

KEY = ("SKU-1", "DAL-01")


def _stock(factory: UowFactory, **fields: object) -> UowFactory:
    _rows(factory, fields)
    return factory


def _rows(factory: UowFactory, *rows: dict[str, object]) -> None:
    """Stock rows with nothing reserved, held back or fenced unless `rows` say so."""
    values: dict[str, object] = {"reserved": 0, "safety_stock": 0, "channel_allocations": {}}
    with factory() as uow:
        for fields in rows:
            uow.stock.add(b.a_stock(**{**values, **fields}))
        uow.commit()


def _load(factory: UowFactory) -> Stock:
    with factory() as uow:
        stock = uow.stock.get(KEY)
        assert stock is not None
        return stock


def test_a_reservation_within_what_is_available_is_granted_and_counted(
    uow_factory: UowFactory,
) -> None:
    factory = _stock(uow_factory, on_hand=10, safety_stock=2)
    with factory() as uow:
        assert uow.stock.try_reserve(*KEY, 8, None)
        uow.commit()

    stock = _load(factory)
    assert (stock.reserved, stock.available) == (8, 0)


def test_safety_stock_is_never_promised(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, safety_stock=2)
    with factory() as uow:
        assert not uow.stock.try_reserve(*KEY, 9, None)
        uow.commit()

    assert _load(factory).reserved == 0


def test_units_fenced_for_another_channel_are_not_promised(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, channel_allocations={"marketplace": 6})
    with factory() as uow:
        assert not uow.stock.try_reserve(*KEY, 5, "web")
        assert not uow.stock.try_reserve(*KEY, 5, None)
        assert uow.stock.try_reserve(*KEY, 4, "web")
        uow.commit()

    assert _load(factory).reserved == 4


def test_a_channel_may_use_its_own_allocation_and_consumes_it(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, channel_allocations={"marketplace": 6, "pos": 1})
    with factory() as uow:
        assert uow.stock.try_reserve(*KEY, 9, "marketplace")
        uow.commit()

    stock = _load(factory)
    assert stock.reserved == 9
    assert stock.channel_allocations == {"marketplace": 0, "pos": 1}
    assert stock.available_for("pos") == 1


def test_a_reservation_of_unknown_stock_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert not uow.stock.try_reserve("NOPE", "DAL-01", 1, None)


@pytest.mark.parametrize("quantity", [0, -3])
def test_reserving_nothing_or_less_is_invalid(uow_factory: UowFactory, quantity: int) -> None:
    factory = _stock(uow_factory, on_hand=10)
    with factory() as uow, pytest.raises(InvalidQuantity, match="positive"):
        uow.stock.try_reserve(*KEY, quantity, None)


def test_release_returns_reserved_units_to_the_pool(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, reserved=6)
    with factory() as uow:
        uow.stock.release(*KEY, 4)
        uow.commit()

    assert (_load(factory).reserved, _load(factory).on_hand) == (2, 10)


def test_releasing_more_than_is_reserved_is_refused_and_changes_nothing(
    uow_factory: UowFactory,
) -> None:
    factory = _stock(uow_factory, on_hand=10, reserved=3)
    with factory() as uow:
        with pytest.raises(InvalidQuantity, match="only 3 reserved"):
            uow.stock.release(*KEY, 4)
        uow.commit()

    assert _load(factory).reserved == 3


def test_consume_takes_shipped_units_off_the_shelf(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, reserved=6)
    with factory() as uow:
        uow.stock.consume(*KEY, 5)
        uow.commit()

    stock = _load(factory)
    assert (stock.on_hand, stock.reserved) == (5, 1)


def test_consuming_more_than_is_reserved_is_refused(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, reserved=2)
    with factory() as uow, pytest.raises(InvalidQuantity, match="only 2 reserved"):
        uow.stock.consume(*KEY, 3)


def test_moves_on_stock_that_does_not_exist_name_it(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        with pytest.raises(NotFound, match="NOPE@DAL-01"):
            uow.stock.release("NOPE", "DAL-01", 1)
        with pytest.raises(NotFound, match="NOPE@DAL-01"):
            uow.stock.consume("NOPE", "DAL-01", 1)


def test_adjust_corrects_on_hand_and_returns_the_row(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, reserved=4)
    with factory() as uow:
        assert uow.stock.adjust(*KEY, -6).on_hand == 4
        uow.commit()

    assert _load(factory).on_hand == 4


def test_adjust_never_leaves_fewer_on_hand_than_reserved(uow_factory: UowFactory) -> None:
    factory = _stock(uow_factory, on_hand=10, reserved=4)
    with factory() as uow, pytest.raises(InvalidQuantity, match="would leave 3 on hand"):
        uow.stock.adjust(*KEY, -7)

    assert _load(factory).on_hand == 10


def test_a_receipt_at_a_new_location_creates_the_stock_row(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        created = uow.stock.adjust("SKU-1", "NEW-01", 12)
        uow.commit()

    assert (created.on_hand, created.reserved) == (12, 0)
    with uow_factory() as uow:
        assert [s.location_code for s in uow.stock.for_sku("SKU-1")] == ["NEW-01"]


def test_losing_the_race_to_create_a_stock_row_adds_to_the_winners_row(
    sql_uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another transaction creates the row between this one's UPDATE (no row) and its INSERT:
    # played here by an UPDATE that reports no row once. The failed INSERT must roll back only
    # its savepoint (PostgreSQL aborts the whole transaction otherwise) and add to the row.
    _stock(sql_uow_factory, on_hand=5)
    with sql_uow_factory() as uow:
        stock = uow.stock
        assert not stock.for_sku("SKU-OTHER")  # the transaction has already run statements
        real_move, calls = stock._move, []

        def no_row_the_first_time(*args: object, **kwargs: object) -> bool:
            calls.append(args)
            return False if len(calls) == 1 else real_move(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(stock, "_move", no_row_the_first_time)
        monkeypatch.setattr(stock, "_current", lambda key: None)
        adjusted = stock.adjust(*KEY, 3)
        uow.commit()

    assert adjusted.on_hand == 8
    assert _load(sql_uow_factory).on_hand == 8


def test_a_negative_adjustment_of_unknown_stock_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(InvalidQuantity, match="on hand"):
        uow.stock.adjust("SKU-1", "NEW-01", -1)


def test_an_entity_already_loaded_reflects_moves_made_through_the_repository(
    uow_factory: UowFactory,
) -> None:
    factory = _stock(uow_factory, on_hand=10)
    with factory() as uow:
        stock = uow.stock.get(KEY)
        assert stock is not None
        uow.stock.try_reserve(*KEY, 3, None)
        uow.stock.adjust(*KEY, 5)
        assert (stock.on_hand, stock.reserved) == (15, 3)
        stock.reorder_point = 7
        uow.commit()

    stock = _load(factory)
    assert (stock.on_hand, stock.reserved, stock.reorder_point) == (15, 3, 7)


def test_stock_is_found_by_sku_skus_and_location(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        for sku, location in [("A", "X"), ("A", "Y"), ("B", "X"), ("C", "Z")]:
            uow.stock.add(Stock(sku, location, on_hand=1))
        uow.commit()

    with uow_factory() as uow:
        assert [(s.sku, s.location_code) for s in uow.stock.for_sku("A")] == [
            ("A", "X"),
            ("A", "Y"),
        ]
        assert {(s.sku, s.location_code) for s in uow.stock.for_skus(["B", "C", "B"])} == {
            ("B", "X"),
            ("C", "Z"),
        }
        assert {s.sku for s in uow.stock.for_location("X")} == {"A", "B"}


def _reserved(factory: UowFactory, moves: list[tuple[str, str, int]]) -> list[int]:
    with factory() as uow:
        rows = [uow.stock.get((sku, code)) for sku, code, _ in moves]
    return [row.reserved if row is not None else -1 for row in rows]


def test_an_orders_reservations_taken_together_are_each_granted_and_counted(
    uow_factory: UowFactory,
) -> None:
    _rows(
        uow_factory,
        {"sku": "SKU-1", "location_code": "DAL-01", "on_hand": 10},
        {"sku": "SKU-2", "location_code": "DAL-01", "on_hand": 10},
        {
            "sku": "SKU-2",
            "location_code": "RNO-02",
            "on_hand": 10,
            "channel_allocations": {"web": 3},
        },
    )
    moves = [("SKU-1", "DAL-01", 4), ("SKU-2", "DAL-01", 10), ("SKU-2", "RNO-02", 5)]
    with uow_factory() as uow:
        loaded = uow.stock.get(("SKU-2", "RNO-02"))
        assert uow.stock.try_reserve_all(moves, "web")
        # An entity the transaction holds follows the moves, allocation used up included.
        assert loaded is not None
        assert (loaded.reserved, loaded.channel_allocations.get("web", 0)) == (5, 0)
        uow.commit()

    assert _reserved(uow_factory, moves) == [4, 10, 5]


def test_reservations_taken_together_report_a_refusal_anywhere_among_them(
    uow_factory: UowFactory,
) -> None:
    _rows(
        uow_factory,
        {"sku": "SKU-1", "location_code": "DAL-01", "on_hand": 10},
        {"sku": "SKU-2", "location_code": "DAL-01", "on_hand": 1},
        {"sku": "SKU-3", "location_code": "DAL-01", "on_hand": 10},
    )
    moves = [("SKU-1", "DAL-01", 4), ("SKU-2", "DAL-01", 2), ("SKU-3", "DAL-01", 5)]
    with uow_factory() as uow:
        assert not uow.stock.try_reserve_all(moves, None)
        uow.rollback()

    assert _reserved(uow_factory, moves) == [0, 0, 0]


def test_moves_of_the_same_row_taken_together_are_granted_only_if_their_total_is_free(
    uow_factory: UowFactory,
) -> None:
    _rows(uow_factory, {"sku": "SKU-1", "location_code": "DAL-01", "on_hand": 6})
    with uow_factory() as uow:
        assert not uow.stock.try_reserve_all([("SKU-1", "DAL-01", 4), ("SKU-1", "DAL-01", 3)], None)
        uow.rollback()
    with uow_factory() as uow:
        assert uow.stock.try_reserve_all([("SKU-1", "DAL-01", 4), ("SKU-1", "DAL-01", 2)], None)
        uow.commit()

    assert _reserved(uow_factory, [("SKU-1", "DAL-01", 0)]) == [6]


def test_the_pipelines_read_of_an_orders_stock_shows_the_rows_as_this_transaction_has_them(
    uow_factory: UowFactory,
) -> None:
    _rows(
        uow_factory,
        {"sku": "SKU-1", "location_code": "DAL-01", "on_hand": 10},
        {
            "sku": "SKU-1",
            "location_code": "RNO-02",
            "on_hand": 7,
            "channel_allocations": {"web": 2},
        },
        {"sku": "SKU-2", "location_code": "DAL-01", "on_hand": 3},
        {"sku": "SKU-9", "location_code": "DAL-01", "on_hand": 1},
    )
    with uow_factory() as uow:
        held = uow.stock.get(("SKU-2", "DAL-01"))
        assert held is not None
        held.safety_stock = 2  # not yet written
        assert uow.stock.try_reserve("SKU-1", "DAL-01", 4, None)

        read = uow.stock.read_for_skus(["SKU-1", "SKU-2"])
        tracked = uow.stock.for_skus(["SKU-1", "SKU-2"])

        def seen(rows: Sequence[Stock]) -> list[tuple[object, ...]]:
            return sorted(
                (
                    s.sku,
                    s.location_code,
                    s.on_hand,
                    s.reserved,
                    s.safety_stock,
                    dict(s.channel_allocations),
                )
                for s in rows
            )

        assert (
            seen(read)
            == seen(tracked)
            == [
                ("SKU-1", "DAL-01", 10, 4, 0, {}),
                ("SKU-1", "RNO-02", 7, 0, 0, {"web": 2}),
                ("SKU-2", "DAL-01", 3, 0, 2, {}),
            ]
        )
