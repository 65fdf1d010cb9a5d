"""A stock move's driver errors reach callers as SQLAlchemy errors, and leave no harm behind.

The moves run on the transaction's own DBAPI cursor (engine.adapters.stock_repository,
`_prepared`), bypassing SQLAlchemy's execution; these pin that what callers and
`ordo.failures` catch is what SQLAlchemy would have raised, that the move still runs inside
the unit of work's transaction, and that the connection is usable afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.inventory import Stock
from tests.integration.persistence.conftest import UowFactory

KEY = ("SKU-1", "DAL-01")


def test_a_move_waiting_too_long_for_a_row_lock_raises_sqlalchemys_operational_error(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(factory) as uow:
        uow.stock.add(Stock(*KEY, on_hand=10))
        uow.commit()

    with SqlAlchemyUnitOfWork(factory) as holder:
        assert holder.stock.try_reserve(*KEY, 1, None)  # holds the row lock, uncommitted
        with SqlAlchemyUnitOfWork(factory) as waiter:
            assert waiter.session is not None
            waiter.session.execute(text("SET LOCAL lock_timeout = '50ms'"))
            with pytest.raises(OperationalError) as raised:
                waiter.stock.try_reserve(*KEY, 1, None)
            # 55P03 lock_not_available: not a lock cycle, so not turned into a Conflict.
            assert getattr(raised.value.orig, "sqlstate", None) == "55P03"
        holder.commit()

    with SqlAlchemyUnitOfWork(factory) as uow:
        assert uow.stock.try_reserve(*KEY, 2, None)
        uow.commit()
    with SqlAlchemyUnitOfWork(factory) as uow:
        stock = uow.stock.get(KEY)
        assert stock is not None
        assert stock.reserved == 3
    engine.dispose()


def test_a_move_is_part_of_the_unit_of_works_transaction_and_rolls_back_with_it(
    sql_uow_factory: UowFactory,
) -> None:
    with sql_uow_factory() as uow:
        uow.stock.add(Stock(*KEY, on_hand=10))
        uow.commit()
    with sql_uow_factory() as uow:
        before = uow.stock.get(KEY)
        assert before is not None

    with sql_uow_factory() as uow:
        assert uow.stock.try_reserve(*KEY, 4, "web")
        held = uow.stock.get(KEY)
        assert held is not None
        assert held.reserved == 4  # the entity this transaction holds follows the move
        # leaving without commit rolls back

    with sql_uow_factory() as uow:
        stock = uow.stock.get(KEY)
        assert stock is not None
        assert (stock.reserved, stock.version) == (0, before.version)
