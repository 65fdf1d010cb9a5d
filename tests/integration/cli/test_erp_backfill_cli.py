"""`ordo erp backfill` over a real SQLite database and a fake ERP on the wire: an ERP switched on
later gets every order, customer, return and stock row as the worker sends them (an erased
customer as an erasure), `--since` and `--entities` narrow it, a dry run sends nothing, a
refusal for good is reported and the run goes on, an ERP out of reach stops it printing the
command that resumes it after the last entity done, and an operator's mistakes are one line."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from engine.adapters import orm
from engine.adapters.database import make_engine
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain.operations import AuditEntry
from ordo.cli import app
from tests.support import builders as b
from tests.support.cli import ordo, refused
from tests.support.local_http import serving

SECRET = "an-erp-secret-of-some-length"
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LATELY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@dataclass
class Erp:
    """The ERP: what it took (method, path, body), signed; `refusing` answers a path so."""

    url: str = ""
    took: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    refusing: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if headers.get("X-Ordo-Signature") != expected or not headers.get("webhook-id"):
            return 401, {"message": "bad signature"}
        if path in self.refusing:
            return self.refusing[path]
        self.took.append((method, path, json.loads(body)))
        return 204, None

    def paths(self) -> list[str]:
        return [f"{method} {path}" for method, path, _ in self.took]


@pytest.fixture
def erp() -> Iterator[Erp]:
    found = Erp()
    with serving(lambda *request: found.answer(*request)) as url:
        found.url = url
        yield found


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Two orders (O-1 last saved long ago), a customer and one erased, a return, stock; on
    each database."""
    monkeypatch.setenv("ORDO_DATABASE_URL", database_url)
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        uow.locations.add(b.a_location(code="DAL-01"))
        for n in (1, 2):
            uow.orders.add(b.an_order(id=f"O-{n}", channel_order_id=f"W-{n}", customer_id=f"C-{n}"))
        uow.shipments.add(b.a_shipment(id="F-1", order_id="O-1"))
        uow.customers.add(b.a_customer(id="C-1"))
        erased = b.a_customer(id="C-2", email="grace@example.com", name="Grace Hopper")
        erased.erase_personal_data()
        uow.customers.add(erased)
        uow.audit.append(AuditEntry("AU-1", LONG_AGO, "admin", "customer.erase", "customer", "C-2"))
        uow.returns.add(b.a_return(id="RT-1", order_id="O-1"))
        uow.stock.add(b.a_stock(sku="MUG", location_code="DAL-01", on_hand=7, reserved=2))
        uow.commit()
    with engine.begin() as connection:  # when each order, the return and the stock last changed
        for order_id, saved in (("O-1", LONG_AGO), ("O-2", LATELY)):
            connection.execute(
                update(orm.orders).where(orm.orders.c.id == order_id).values(updated_at=saved)
            )
        connection.execute(update(orm.returns).values(updated_at=LONG_AGO))
        connection.execute(update(orm.stock).values(updated_at=LONG_AGO))
    engine.dispose()
    yield database_url


def configure(monkeypatch: pytest.MonkeyPatch, url: str, entities: str | None = None) -> None:
    monkeypatch.setenv("ORDO_ERP_SYNC_URL", url)
    monkeypatch.setenv("ORDO_ERP_SYNC_SECRET", SECRET)
    if entities is not None:
        monkeypatch.setenv("ORDO_ERP_SYNC_ENTITIES", entities)


@pytest.mark.usefixtures("database")
def test_an_erp_switched_on_later_is_sent_everything_ordo_holds(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"{erp.url}/erp")
    before = datetime.now(UTC)
    output = ordo("erp", "backfill")

    assert erp.paths() == [
        "PUT /erp/orders/O-1",
        "PUT /erp/orders/O-2",
        "PUT /erp/customers/C-1",
        "DELETE /erp/customers/C-2",
        "PUT /erp/returns/RT-1",
        "PUT /erp/stock/MUG/DAL-01",
    ]
    _, _, order = erp.took[0]
    assert (order["contract"], order["op"], order["entity"]) == ("ordo.sync.v1", "upsert", "order")
    assert order["data"]["shipments"][0]["id"] == "F-1"
    # Read now, so versioned now: a live update read later outranks it at the receiver.
    assert order["version"] >= int(before.timestamp() * 1_000_000)
    _, _, erasure = erp.took[3]
    assert (erasure["op"], erasure["key"]) == ("erase", {"id": "C-2"}) and "data" not in erasure
    assert (erp.took[5][2]["data"]["on_hand"], erp.took[5][2]["data"]["reserved"]) == (7, 2)
    assert "orders: 2 of 2 done" in output
    assert "orders: 2 sent, 0 refused, 0 gone since listed" in output
    assert "customers: 2 sent (1 as erased), 0 refused, 0 gone since listed" in output
    assert "stock: 1 sent, 0 refused, 0 gone since listed" in output


@pytest.mark.usefixtures("database")
def test_the_kinds_default_to_those_synced_and_since_narrows_to_what_changed_then(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"{erp.url}/erp", entities="orders,customers")
    ordo("erp", "backfill", "--since", "2026-03-10")

    # O-1 was last saved in January, C-2 erased then; C-2's order O-2 was saved on the day.
    assert erp.paths() == ["PUT /erp/orders/O-2", "DELETE /erp/customers/C-2"]


def test_since_a_day_sends_the_returns_and_stock_changed_then_and_those_of_unknown_time(
    database: str, erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"{erp.url}/erp", entities="returns,stock")
    ordo("erp", "backfill", "--since", "2026-03-10")
    assert erp.paths() == []  # the return and MUG last changed in January

    engine = make_engine(database)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        uow.stock.add(b.a_stock(sku="CUP", location_code="DAL-01", on_hand=3, reserved=0))
        uow.stock.add(b.a_stock(sku="PLATE", location_code="DAL-01", on_hand=3, reserved=0))
        uow.returns.add(b.a_return(id="RT-2", order_id="O-2"))
        uow.commit()
    with engine.begin() as connection:  # made before Ordo kept the time: unknown
        s = orm.stock.c
        connection.execute(update(orm.stock).where(s.sku == "PLATE").values(updated_at=None))
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        uow.stock.adjust("MUG", "DAL-01", 1)  # a change today
        received = uow.returns.get("RT-1")
        assert received is not None
        received.location_code = "RNO-02"  # a change today of a return made long ago
        uow.commit()
    engine.dispose()
    output = ordo("erp", "backfill", "--since", "2026-03-10", "--batch-size", "2")

    assert erp.paths() == [
        "PUT /erp/returns/RT-1",
        "PUT /erp/returns/RT-2",
        "PUT /erp/stock/CUP/DAL-01",
        "PUT /erp/stock/MUG/DAL-01",
        "PUT /erp/stock/PLATE/DAL-01",
    ]
    assert "stock: 2 of 3 done" in output and "stock: 3 of 3 done" in output


@pytest.mark.usefixtures("database")
def test_a_dry_run_counts_what_would_be_sent_and_sends_nothing(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"{erp.url}/erp")
    output = ordo("erp", "backfill", "--dry-run")

    assert output.splitlines() == [
        "dry run: 2 orders, 2 customers, 1 returns, 1 stock to send to the ERP; nothing sent"
    ]
    assert erp.took == []


@pytest.mark.usefixtures("database")
def test_a_refusal_for_good_is_reported_and_the_run_goes_on(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"{erp.url}/erp", entities="orders")
    erp.refusing["/erp/orders/O-1"] = (422, {"message": "no such channel"})
    output = ordo("erp", "backfill", "--batch-size", "1")

    assert erp.paths() == ["PUT /erp/orders/O-2"]
    assert (
        "order O-1 refused for good: ERP http://127.0.0.1:" in output
        and "refused PUT orders/O-1: 422" in output
    )
    assert "orders: 1 sent, 1 refused, 0 gone since listed" in output


@pytest.mark.usefixtures("database")
def test_an_erp_that_fails_stops_the_run_saying_how_to_resume(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"{erp.url}/erp")
    erp.refusing["/erp/orders/O-2"] = (503, {"message": "maintenance"})
    result = CliRunner().invoke(app, ["erp", "backfill", "--batch-size", "1"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert erp.paths() == ["PUT /erp/orders/O-1"]
    lines = result.output.splitlines()
    assert "orders: 1 sent, 0 refused, 0 gone since listed" in lines
    assert any(line.startswith("stopped at order O-2: ERP http://127.0.0.1:") for line in lines)
    assert "not started: customers, returns, stock" in lines
    resume = "ordo erp backfill --entities orders,customers,returns,stock --after orders:O-1"
    assert f"to resume: {resume}" in lines

    erp.refusing.clear()
    output = ordo(*resume.split()[1:])
    assert erp.paths()[1:3] == ["PUT /erp/orders/O-2", "PUT /erp/customers/C-1"]  # O-1 not again
    assert "orders: 1 sent, 0 refused, 0 gone since listed" in output


@pytest.mark.usefixtures("database")
def test_a_run_stopped_in_the_stock_resumes_after_the_last_row_done(
    erp: Erp, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    engine = make_engine(database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        for sku in ("CUP", "PLATE"):
            uow.stock.add(b.a_stock(sku=sku, location_code="DAL-01", on_hand=3, reserved=0))
        uow.commit()
    engine.dispose()
    configure(monkeypatch, f"{erp.url}/erp", entities="returns,stock")
    erp.refusing["/erp/stock/PLATE/DAL-01"] = (503, {"message": "maintenance"})
    said = refused("erp", "backfill", "--since", "2026-01-01", "--batch-size", "2")

    assert "stopped at stock PLATE at DAL-01: ERP http://127.0.0.1:" in said
    resume = "ordo erp backfill --entities stock --since 2026-01-01 --after stock:MUG@DAL-01"
    assert said.endswith(f"to resume: {resume}")  # the whole command, the last line

    erp.refusing.clear()
    output = ordo(*resume.split()[1:])
    assert erp.paths() == [
        "PUT /erp/returns/RT-1",
        "PUT /erp/stock/CUP/DAL-01",
        "PUT /erp/stock/MUG/DAL-01",
        "PUT /erp/stock/PLATE/DAL-01",  # resumed: the rows before it not again
    ]
    assert "stock: 1 of 1 done" in output


@pytest.mark.usefixtures("database")
def test_an_erp_out_of_reach_stops_the_run_with_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, "http://127.0.0.1:9/erp", entities="customers")  # nobody listens
    said = refused("erp", "backfill")

    assert (
        "stopped at customer C-1: ERP http://127.0.0.1:9 unreachable for PUT customers/C-1" in said
    )
    assert "to resume: ordo erp backfill --entities customers" in said


@pytest.mark.usefixtures("database")
def test_a_run_since_a_day_that_stops_resumes_since_the_same_day(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"{erp.url}/erp", entities="customers,stock")
    erp.refusing["/erp/customers/C-2"] = (503, {"message": "maintenance"})
    said = refused("erp", "backfill", "--since", "2026-01-01")

    assert "stopped at customer C-2: ERP http://127.0.0.1:" in said
    assert said.endswith(
        "to resume: ordo erp backfill --entities customers,stock --since 2026-01-01 "
        "--after customers:C-1"
    )


@pytest.mark.usefixtures("database")
def test_an_operators_mistakes_are_refused_in_one_line(
    erp: Erp, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert refused("erp", "backfill") == (
        "error: ORDO_ERP_SYNC_URL is not set: there is no ERP or CRM to send to"
    )
    configure(monkeypatch, f"{erp.url}/erp")
    assert refused("erp", "backfill", "--entities", "orders,refund") == (
        "error: --entities: got 'refund', which is not one of orders, customers, returns, "
        "stock (did you mean returns?)"
    )
    assert refused("erp", "backfill", "--since", "2026-02-30") == (
        "error: --since: '2026-02-30': not a day of the calendar (day is out of range for month)"
    )
    assert refused("erp", "backfill", "--since", "yesterday") == (
        "error: --since: 'yesterday': expected YYYY-MM-DD"
    )
    assert refused("erp", "backfill", "--batch-size", "0") == (
        "error: --batch-size: must be 1 or more, got 0"
    )
    assert refused("erp", "backfill", "--after", "O-1") == (
        "error: --after: 'O-1': expected KIND:KEY (e.g. orders:O-1 or stock:MUG@DAL-01)"
    )
    assert refused("erp", "backfill", "--entities", "orders", "--after", "stock:MUG@DAL-01") == (
        "error: --after: 'stock:MUG@DAL-01': 'stock' is not one of the kinds sent (orders)"
    )
    assert refused("erp", "backfill", "--after", "stock:MUG") == (
        "error: --after: 'stock:MUG': a stock row's key is SKU@LOCATION (e.g. stock:MUG@DAL-01)"
    )
    assert erp.took == []
