"""Model-based check: the in-memory fake and a real database agree on any sequence of moves.

Hypothesis generates a stock row and a series of transactions of reserve, release, consume
and adjust moves, each transaction committed or rolled back, and replays them on both. Every
move must have the same outcome (granted, refused, or the same error) and the rows must end
equal. This is what lets unit tests elsewhere trust the fake.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from engine.adapters.database import make_engine
from engine.adapters.memory import InMemoryUnitOfWork
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.errors import DomainError
from engine.domain.inventory import Stock
from engine.service_layer.unit_of_work import UnitOfWork

CHANNELS = [None, "web", "marketplace"]
LOCATION = "DAL-01"

moves = st.tuples(
    st.sampled_from(["reserve", "release", "consume", "adjust"]),
    st.integers(-4, 12),
    st.sampled_from(CHANNELS),
)
transactions = st.lists(
    st.tuples(st.lists(moves, min_size=1, max_size=5), st.booleans()), min_size=1, max_size=6
)


@st.composite
def stocks(draw: st.DrawFn) -> Stock:
    on_hand = draw(st.integers(0, 30))
    return Stock(
        sku="placeholder",
        location_code=LOCATION,
        on_hand=on_hand,
        reserved=draw(st.integers(0, on_hand)),
        safety_stock=draw(st.integers(0, 5)),
        channel_allocations=draw(
            st.dictionaries(st.sampled_from(["web", "marketplace"]), st.integers(0, 8))
        ),
    )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _apply(uow: UnitOfWork, sku: str, move: tuple[str, int, str | None]) -> Any:
    kind, quantity, channel = move
    try:
        if kind == "reserve":
            return uow.stock.try_reserve(sku, LOCATION, quantity, channel)
        if kind == "release":
            return uow.stock.release(sku, LOCATION, quantity)
        if kind == "consume":
            return uow.stock.consume(sku, LOCATION, quantity)
        return uow.stock.adjust(sku, LOCATION, quantity).on_hand
    except DomainError as refused:
        return type(refused).__name__


def _replay(
    uow: UnitOfWork, sku: str, initial: Stock, plan: list[tuple[list[Any], bool]]
) -> tuple[list[Any], tuple[int, int, dict[str, int]]]:
    with uow:
        uow.stock.add(Stock(**{**_fields(initial), "sku": sku}))
        uow.commit()
    outcomes = []
    for batch, commit in plan:
        with uow:
            outcomes.extend(_apply(uow, sku, move) for move in batch)
            if commit:
                uow.commit()
    with uow:
        final = uow.stock.get((sku, LOCATION))
        assert final is not None
        return outcomes, (final.on_hand, final.reserved, final.channel_allocations)


def _fields(stock: Stock) -> dict[str, Any]:
    return {
        "sku": stock.sku,
        "location_code": stock.location_code,
        "on_hand": stock.on_hand,
        "reserved": stock.reserved,
        "safety_stock": stock.safety_stock,
        "channel_allocations": dict(stock.channel_allocations),
    }


@settings(
    max_examples=40,
    deadline=None,
    # One database serves every example; each example uses a SKU of its own.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(initial=stocks(), plan=transactions)
def test_the_fake_and_the_database_agree_on_every_sequence_of_stock_moves(
    engine: Engine, initial: Stock, plan: list[tuple[list[Any], bool]]
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:12]}"
    database = SqlAlchemyUnitOfWork(make_session_factory(engine))

    expected = _replay(InMemoryUnitOfWork(), sku, initial, plan)
    actual = _replay(database, sku, initial, plan)

    assert actual == expected
