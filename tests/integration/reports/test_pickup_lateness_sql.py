"""The SQL report queries count a pickup as late only until its store has packed it, as the
in-memory ones do, on SQLite and PostgreSQL: the hand-worked figures of
`tests/unit/reports/test_pickup_lateness` hold on the database too."""

from __future__ import annotations

from engine.service_layer.reports import Ratio
from tests.support.engines import an_engine, uow_factory_on
from tests.unit.reports.test_pickup_lateness import build, figures


def test_a_pickup_packed_or_collected_is_not_late_on_the_database_either(
    database_url: str,
) -> None:
    with an_engine(database_url) as engine:
        uow = uow_factory_on(engine)()
        build(uow)

        assert figures(uow) == (Ratio(2, 4), 2, 2)
