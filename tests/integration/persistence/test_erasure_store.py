"""Erasure on SQLite and PostgreSQL: after it, no row of any table holds the customer's email,
name or street, while their orders' figures are what they were.

The customer's data goes in the ways it does in production (orders created, modified,
shipped, tracked and returned through the service layer, audit entries as the routes write
them, answers kept under idempotency keys, dead letters, an API key and its `key.issue`
entry, alerts raised by rules and their tickets, labels printed), and then every text, JSON
and binary column of every table Ordo defines is searched for it (labels decoded as
latin-1, JSON unescaped, JSON held in text read as JSON). A table added
later that copies personal data is caught here once it is written in these flows. Bob, who
is not erased, goes in the same ways: finding his details proves the search looks where
hers were.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.adapters import orm, orm_api
from engine.adapters.bus import processed_events
from engine.adapters.bus.base import DeadLetter
from engine.adapters.bus.dead_letters_sql import SqlDeadLetterStore
from engine.adapters.orm_api import SqlApiKeyStore, SqlIdempotencyStore
from engine.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork, make_session_factory
from engine.domain import commands as c
from engine.domain import events
from engine.domain.access import IdempotencyRecord, Role
from engine.domain.catalog import Customer, Location, LocationType, Product
from engine.domain.fulfilment import Label
from engine.domain.inventory import Stock
from engine.domain.operations import DecisionTrace, Ticket
from engine.domain.values import Address
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import Decider
from engine.rules.registry import RulesetRegistry
from engine.service_layer import audit
from engine.service_layer.alerts import raise_alert
from engine.service_layer.auth import create_api_key
from engine.service_layer.handlers import PipelineOptions
from engine.service_layer.messagebus import MessageBus, build_bus
from engine.service_layer.privacy import Erasure, export_personal_data

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
TABLES: tuple[MetaData, ...] = (orm.metadata, orm_api.metadata, processed_events.metadata)


@dataclasses.dataclass(frozen=True)
class Person:
    customer_id: str
    email: str
    name: str
    street: str
    home: str  # the street of the customer record's default address

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.email, self.name, self.street, self.home)


# Non-ASCII on purpose: the stores escape it in JSON, and a label prints it in latin-1.
ZOE = Person("C-1", "zoe@example.com", "Zoë Lovelace", "350 Fifth Avenue", "12 Byron Row")
BOB = Person("C-2", "bob@example.com", "Bob Stone", "9 Oak Avenue", "1 Mill Lane")


@pytest.fixture
def world(db_engine: Engine) -> Iterator[tuple[MessageBus, sessionmaker[Session]]]:
    sessions = make_session_factory(db_engine)

    def uow_factory() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    with uow_factory() as uow:
        uow.locations.add(Location("NJ-EWR", "Newark DC", LocationType.WAREHOUSE, Address("07114")))
        uow.products.add(Product("TSHIRT", "T-shirt", price=Decimal("10"), weight_kg=0.2))
        uow.stock.add(Stock("TSHIRT", "NJ-EWR", on_hand=50))
        uow.commit()
    decider = Decider(RulesetRegistry.from_sources([]), load_catalog())
    # Released by hand, so that an order can be modified first.
    options = PipelineOptions(auto_release=False)
    yield build_bus(uow_factory, decider, lambda: NOW, options), sessions


def place_everything(
    bus: MessageBus, sessions: sessionmaker[Session], engine: Engine, who: Person
) -> list[str]:
    """`who`'s record and two delivered orders, with every copy production makes of them."""
    uow = bus.uow_factory()
    with uow:
        home = Address("10001", line1=who.home, city="New York", name=who.name)
        customer = Customer(who.customer_id, who.email, who.name, "gold", "vip", home)
        uow.customers.add(customer)
        # As PUT /v1/customers writes it: the fields before (the address written out as text).
        fields = {f.name: getattr(customer, f.name) for f in dataclasses.fields(customer)}
        audit.record(uow, "admin:ann", "customer.put", "customer", who.customer_id, fields, {})
        uow.commit()
    ship_to = c.AddressInput("10001", line1=who.street, city="New York", state="NY", name=who.name)
    order_ids = []
    for number in (1, 2):
        with audit.acting_as("channel:web"):
            order_id = bus.handle(
                c.CreateOrder(
                    "web",
                    f"{who.customer_id}-W{number}",
                    who.customer_id,
                    dataclasses.replace(ship_to, line1="PO Box 1") if number == 2 else ship_to,
                    (c.LineInput("TSHIRT", 2),),
                    email=who.email.upper() if number == 2 else who.email,
                )
            )
        order_ids.append(str(order_id))
    first, second = order_ids
    # Modified before release, audited as the route does (the address before and after).
    bus.handle(
        c.ModifyOrder(second, ship_to=ship_to, actor="support:sam"),
        before_commit=lambda uow: audit.record(
            uow,
            "support:sam",
            "order.modify",
            "order",
            second,
            {"ship_to": {"line1": "PO Box 1", "name": who.name}},
            {"ship_to": dataclasses.asdict(ship_to), "request": {"ship_to": {"name": who.name}}},
        ),
    )
    for order_id in order_ids:
        with bus.uow_factory() as uow:
            decided = uow.orders.get(order_id)
            assert decided is not None
        if decided.status == "received":
            bus.handle(c.ProcessOrder(order_id))
        bus.handle(c.ReleaseOrder(order_id))
    with bus.uow_factory() as uow:
        shipments = [
            s
            for order_id in order_ids
            for s in uow.shipments.for_order(order_id)
            if s.status == "released"  # not the one the modification cancelled
        ]
        for shipment in shipments:
            # A label prints the recipient's name and street.
            printed = f"^XA^FD{who.name}^FS^FD{who.street}^FS^XZ".encode("latin-1")
            uow.labels.put("shipment", shipment.id, Label("zpl", printed))
            shipment.label_format, shipment.tracking_number = "zpl", "1Z" + shipment.id
        # What a rule or a person may write about the order.
        uow.traces.add(
            DecisionTrace(
                "trc-" + first,
                first,
                "validation",
                "checks",
                1,
                NOW,
                "pass",
                {"order": {"email": who.email, "ship_to": {"name": who.name}}},
            )
        )
        uow.record(events.OrderHeld(first, "review", f"{who.name} at {who.street}: check ID"))
        # What support may write in a helpdesk ticket's subject about the order, and the
        # customer's own reply the helpdesk reported back.
        uow.tickets.add(
            Ticket(
                "tkt-" + first, "zendesk", "35436", "order", first,
                f"{who.name} says the parcel came damaged", NOW, "support:desk",
                comment_author=who.name, comment_excerpt=f"It is {who.name} again: {who.email}",
            )
        )  # fmt: skip
        uow.commit()
    for shipment in shipments:
        for status in ("shipped", "delivered"):
            bus.handle(c.UpdateShipment(shipment.id, status))
        bus.handle(c.TrackShipment(shipment.id, NOW, "delivered", f"Signed: {who.name}", "NYC"))
    return_id = bus.handle(
        c.RequestReturn(first, (c.ReturnLineInput("1", 1, reason=f"gift for {who.name}"),))
    )
    with bus.uow_factory() as uow:
        found = uow.returns.get(return_id)
        assert found is not None
        printed = f"FROM {who.name}, {who.street}".encode("latin-1")
        uow.labels.put("return", found.id, Label("pdf", printed))
        found.label_format = "pdf"
        uow.commit()
    answer = {"id": first, "customer_id": who.customer_id, "email": who.email}
    answers = SqlIdempotencyStore(sessions)
    for key, body in (
        ("create-" + first, {**answer, "ship_to": {"name": who.name, "line1": who.street}}),
        ("modify-" + second, {"headers": [], "text": json.dumps({**answer, "id": second})}),
    ):
        answers.insert(IdempotencyRecord(key, "k-web", "0" * 64, NOW))
        answers.complete("k-web", key, 201, body, NOW)
    SqlDeadLetterStore(engine).add(
        DeadLetter(
            "", "1", "order.status_changed", {"order_id": first, "note": who.email}, first,
            f"SMTP 550 <{who.email}> unknown", 5, NOW,
        )
    )  # fmt: skip
    key_id, _ = create_api_key(
        SqlApiKeyStore(sessions),
        f"{who.name}'s phone",
        Role.CUSTOMER,
        server_secret="s" * 40,
        customer_id=who.customer_id,
    )
    # As `key.issue` audits the key: its name and role.
    after = {"name": f"{who.name}'s phone", "role": "customer"}
    audit.append(bus.uow_factory, "admin:ann", "key.issue", "api_key", key_id, {}, after)
    with bus.uow_factory() as uow:
        # A rule's alert about her order, and one keyed by a carrier that names her; the
        # helpdesk ticket of the first (titled with its message). Each raises `alert.raised`.
        held = raise_alert(
            uow, rule="order_alerts/held", key=first, severity="high",
            message=f"Order {first} of {who.name} is held", now=NOW,
        )  # fmt: skip
        raise_alert(
            uow, rule="shipment_alerts/lost", key=f"ups-{who.customer_id}", severity="low",
            message=f"ups lost the parcel of {who.email.upper()}", now=NOW,
        )  # fmt: skip
        uow.tickets.add(
            Ticket(
                "tkt-" + held.id, "zendesk", "35437", "alert", held.id,
                f"[Ordo high] {held.message}", NOW, "system",
            )
        )  # fmt: skip
        uow.commit()
    SqlDeadLetterStore(engine).add(
        DeadLetter(
            "", "2", "alert.raised", {"alert_id": held.id, "message": held.message},
            "alert", "webhook refused", 5, NOW,
        )
    )  # fmt: skip
    return order_ids


def _texts(value: Any) -> Iterator[str]:
    """Every text `value` holds, JSON unescaped, JSON held in text read as JSON."""
    if isinstance(value, bytes | memoryview):
        yield bytes(value).decode("latin-1")
    elif isinstance(value, str):
        yield value
        try:
            parsed = json.loads(value)
        except ValueError:
            return
        if not isinstance(parsed, str):
            yield from _texts(parsed)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def found_in(engine: Engine, who: Person) -> set[str]:
    """`table.column` of every place one of `who`'s texts is stored, in any case."""
    places = set()
    needles = [text.lower() for text in who.texts]
    with engine.connect() as connection:
        for metadata in TABLES:
            for table in metadata.sorted_tables:
                for row in connection.execute(select(table)).mappings():
                    for column, value in row.items():
                        for text in _texts(value):
                            if any(needle in text.lower() for needle in needles):
                                places.add(f"{table.name}.{column}")
    return places


def figures(bus: MessageBus, order_ids: list[str]) -> list[Any]:
    with bus.uow_factory() as uow:
        orders = [uow.orders.get(order_id) for order_id in order_ids]
        return [
            (o.total, o.status, o.ship_to.postal_code, o.ship_to.country, o.ship_to.lat,
             o.ship_to.lon, o.created_at, [(x.sku, x.quantity, x.price, x.status) for x in o.lines])
            for o in orders
            if o is not None
        ]  # fmt: skip


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for metadata in TABLES
            for table in metadata.sorted_tables
        }


def test_after_erasure_no_table_holds_the_customer_s_email_name_or_street(
    world: tuple[MessageBus, sessionmaker[Session]], db_engine: Engine
) -> None:
    bus, sessions = world
    hers = place_everything(bus, sessions, db_engine, ZOE)
    place_everything(bus, sessions, db_engine, BOB)
    stored = found_in(db_engine, ZOE)
    # The search sees every kind of copy erasure must reach: proof it looks in the right places.
    assert {
        "customers.email", "customers.default_address", "orders.email", "orders.ship_to",
        "orders.email_lower", "shipment_labels.content", "shipment_tracking.description",
        "returns.lines", "return_labels.content", "audit_log.before", "audit_log.after",
        "decision_traces.detail", "outbox.payload", "dead_letters.payload", "dead_letters.error",
        "idempotency_keys.response", "api_keys.name", "tickets.subject", "tickets.comment_author",
        "tickets.comment_excerpt", "alerts.message",
    } <= stored  # fmt: skip
    before, counted = figures(bus, hers), row_counts(db_engine)

    done: Erasure = bus.handle(c.EraseCustomer(ZOE.customer_id, "request 114", "admin:dpo"))

    assert found_in(db_engine, ZOE) == set()
    assert found_in(db_engine, BOB) == stored  # Bob is untouched, wherever he is
    assert figures(bus, hers) == before
    # Erasure changes rows; it deletes none but her labels (and adds one audit entry and one
    # event). Which labels go: test_erasure_deletes_her_labels_and_keeps_everyone_else_s.
    changing = ("audit_log", "outbox", "shipment_labels", "return_labels")
    assert {k: v for k, v in row_counts(db_engine).items() if k not in changing} == {
        k: v for k, v in counted.items() if k not in changing
    }
    assert done.erased["orders"] == 2
    assert done.erased["idempotency_records"] == 2
    assert done.erased["api_keys"] == 1
    assert done.erased["tickets"] == 2
    assert done.erased["alerts"] == 2


def test_the_export_lists_her_traces_alerts_and_stored_answers_and_none_of_bob_s(
    world: tuple[MessageBus, sessionmaker[Session]], db_engine: Engine
) -> None:
    bus, sessions = world
    first, second = place_everything(bus, sessions, db_engine, ZOE)
    place_everything(bus, sessions, db_engine, BOB)

    exported = export_personal_data(bus.uow_factory(), ZOE.customer_id, actor="support:ann")

    assert {t.order_id for t in exported.decision_traces} == {first, second}
    assert sorted(a.key for a in exported.alerts) == [first, "ups-C-1"]
    assert [a.key for a in exported.idempotency_answers] == ["create-" + first, "modify-" + second]
    held = [part for kept in exported.idempotency_answers for part in kept.holds]
    assert [(part["id"], part["email"]) for part in held] == [
        (first, ZOE.email),
        (second, ZOE.email),
    ]
    assert BOB.name not in repr(exported) and BOB.email not in repr(exported)


def test_a_failed_erasure_leaves_every_copy_as_it_was(
    world: tuple[MessageBus, sessionmaker[Session]], db_engine: Engine
) -> None:
    bus, sessions = world
    place_everything(bus, sessions, db_engine, ZOE)
    stored = found_in(db_engine, ZOE)

    def fail(uow: Any) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        bus.handle(c.EraseCustomer(ZOE.customer_id, "request 114", "admin:dpo"), before_commit=fail)

    assert found_in(db_engine, ZOE) == stored


def labelled(engine: Engine) -> set[tuple[str, str]]:
    """(what for, id) of every label stored."""
    with engine.connect() as connection:
        shipments = connection.execute(select(orm.shipment_labels.c.shipment_id)).scalars()
        returns = connection.execute(select(orm.return_labels.c.return_id)).scalars()
        return {("shipment", key) for key in shipments} | {("return", key) for key in returns}


def test_erasure_deletes_her_labels_and_keeps_everyone_else_s(
    world: tuple[MessageBus, sessionmaker[Session]], db_engine: Engine
) -> None:
    bus, sessions = world
    place_everything(bus, sessions, db_engine, ZOE)
    place_everything(bus, sessions, db_engine, BOB)
    with bus.uow_factory() as uow:
        hers = {
            *(("shipment", s.id) for s in uow.shipments.search(customer_id=ZOE.customer_id)),
            *(("return", r.id) for r in uow.returns.search(customer_id=ZOE.customer_id)),
        }
    stored = labelled(db_engine)
    assert {"shipment", "return"} == {of for of, _ in stored & hers}
    assert stored - hers  # Bob's

    bus.handle(c.EraseCustomer(ZOE.customer_id, "request 114", "admin:dpo"))

    assert labelled(db_engine) == stored - hers
    with bus.uow_factory() as uow:
        assert [key for of, key in hers if of == "shipment" and uow.labels.get(of, key)] == []
        assert [key for of, key in hers if of == "return" and uow.labels.get(of, key)] == []
