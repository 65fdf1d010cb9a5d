"""A customer's personal data through the service layer on the in-memory store: the export
reads everything of theirs a page at a time; `EraseCustomer` erases the entities and every
copy the store keeps (audit entries, those of API keys too, traces, alerts, tickets,
committed events) in one transaction, refuses while an order is open, and counts nothing the
second time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.adapters.memory import InMemoryUnitOfWork
from engine.domain import events
from engine.domain.catalog import erased_email
from engine.domain.commands import EraseCustomer
from engine.domain.errors import DomainError, NotFound
from engine.domain.fulfilment import Label, ReturnLine, TrackingEvent
from engine.domain.operations import Ticket
from engine.domain.orders import OrderStatus
from engine.service_layer import privacy
from engine.service_layer.alerts import raise_alert
from engine.service_layer.messagebus import MessageBus, command_handlers
from engine.service_layer.privacy import OrdersNotFinished, PersonalData
from tests.support import builders as b

ADA = ("Ada Lovelace", "1 Elm St", "ada@example.com")
BOB = ("Bob Stone", "9 Oak Ave", "bob@example.com")


def a_store() -> InMemoryUnitOfWork:
    """Ada (C-1) with a delivered order, its shipment and a return (each with its label), a
    trace, audit entries, alerts, tickets and events that copy her details; Bob (C-2) with an
    order of his own, and his own copies."""
    uow = InMemoryUnitOfWork()
    ship_to = {
        "name": "Ada Lovelace",
        "line1": "1 Elm St",
        "city": "Dallas",
        "postal_code": "75201",
    }
    with uow:
        uow.customers.add(b.a_customer())
        uow.orders.add(b.an_order(status=OrderStatus.DELIVERED))
        uow.orders.add(
            b.an_order(
                id="O-2",
                channel_order_id="W-2",
                customer_id="C-2",
                email="bob@example.com",
                ship_to=b.an_address(name="Bob Stone", line1="9 Oak Ave"),
                status=OrderStatus.RELEASED,
            )
        )
        delivered = TrackingEvent(b.at(99), "delivered", "Signed for by ADA LOVELACE", "Dallas")
        uow.shipments.add(b.a_shipment(tracking=[delivered]))
        gift = ReturnLine("L1", "SKU-1", 1, reason="a gift for Ada Lovelace: too small")
        uow.returns.add(b.a_return(lines=[gift], label_format="pdf"))
        # Labels print the customer's name and street.
        uow.labels.put("shipment", "F-1", b.a_label(content=b"^XA^FDAda Lovelace^FS^XZ"))
        uow.labels.put("return", "RT-1", Label("pdf", b"%PDF Ada Lovelace, 1 Elm St"))
        uow.traces.add(
            b.a_trace(detail={"order": {"email": "Ada@Example.com", "ship_to": ship_to}})
        )
        uow.traces.add(b.a_trace(id="T-2", order_id="O-2", detail={"email": "bob@example.com"}))
        uow.audit.append(
            b.an_audit_entry(action="order.modify", before={"ship_to": ship_to}, after={})
        )
        uow.audit.append(
            b.an_audit_entry(id="AU-2", entity_id="O-2", before={"ship_to": {"name": "Bob Stone"}})
        )
        uow.record(events.OrderHeld("O-1", "po_box", "Ada Lovelace, 1 Elm St is a PO box"))
        uow.record(events.OrderHeld("O-2", "po_box", "Bob Stone, 9 Oak Ave is a PO box"))
        for order_id, name in (("O-1", "Ada Lovelace"), ("O-2", "Bob Stone")):
            uow.tickets.add(
                Ticket(
                    "T-" + order_id, "zendesk", "1", "order", order_id,
                    f"{name} wants a call", b.at(0), "support:desk",
                )
            )  # fmt: skip
        # A rule's alert about her order, and one keyed by a carrier whose message names her
        # (each with its `alert.raised` event); Bob's, and one naming no one.
        for rule, key, message in (
            ("order_alerts/held", "O-1", "Order O-1 of Ada Lovelace is held"),
            ("shipment_alerts/late", "ups", "ups lost the parcel of ADA@example.com"),
            ("order_alerts/held", "O-2", "Order O-2 of Bob Stone is held"),
            ("stock_alerts/low", "SKU-1@DAL", "Only 2 of SKU-1 left at DAL"),
        ):
            alert = raise_alert(uow, rule=rule, key=key, severity="high", message=message)
            uow.tickets.add(
                Ticket(
                    "T-" + alert.id, "zendesk", "2", "alert", alert.id,
                    f"[Ordo high] {message}", b.at(0), "system",
                )
            )  # fmt: skip
        # As `key.issue` audits a key: its name, which names whom it was issued for.
        for key_id, name in (("k-1", "Ada Lovelace's phone"), ("k-2", "Bob Stone's phone")):
            uow.audit.append(
                b.an_audit_entry(
                    id="AU-" + key_id, action="key.issue", entity="api_key", entity_id=key_id,
                    before={}, after={"name": name, "role": "customer"},
                )
            )  # fmt: skip
        uow.commit()
    return uow


def erase(uow: InMemoryUnitOfWork, customer_id: str = "C-1", reason: str = "asked") -> Any:
    bus = MessageBus(lambda: uow, command_handlers(), {})
    return bus.handle(EraseCustomer(customer_id, reason, "admin:dpo"))


def everything(uow: InMemoryUnitOfWork) -> str:
    """Every row the store holds, as text, to search for a customer's details."""
    with uow:
        rows: list[Any] = [
            *uow.customers.list(limit=1000),
            *uow.orders.list(limit=1000),
            *uow.shipments.list(limit=1000),
            *uow.returns.list(limit=1000),
            *uow.traces.list(limit=1000),
            *uow.audit.list(limit=1000),
            *uow.tickets.list(limit=1000),
            *uow.alerts.list(limit=1000),
        ]
    labels = [label.content.decode("latin-1") for label in uow.labels.committed.values()]
    return repr([*rows, *uow.committed_events, *labels])


def test_erasure_takes_the_customer_out_of_every_record_the_store_keeps() -> None:
    uow = a_store()

    done = erase(uow)

    assert done.erased == {
        "customers": 1,
        "orders": 1,
        "shipments": 1,
        "returns": 1,
        "audit_entries": 2,
        "decision_traces": 1,
        "outbox_events": 3,
        "dead_letters": 0,
        "idempotency_records": 0,
        "api_keys": 0,
        "tickets": 3,
        "alerts": 2,
        "edi_purchase_orders": 0,  # not an EDI order: test_edi_customer_erasure.py
        "edi_documents": 0,
    }
    kept = everything(uow)
    assert not [text for text in ADA if text.lower() in kept.lower()]
    assert all(text in kept for text in BOB)
    with uow:
        order = uow.orders.get("O-1")
        shipment = uow.shipments.get("F-1")
        found = uow.returns.get("RT-1")
    assert order is not None and shipment is not None and found is not None
    assert (order.email, order.ship_to.postal_code, order.total) == (
        erased_email("C-1"),
        "75201",
        b.an_order().total,
    )
    assert (shipment.label_format, shipment.tracking_number) == ("", "1Z999")
    assert shipment.tracking[0].description == "Signed for by [erased]"
    assert (found.label_format, found.lines[0].reason) == ("", "a gift for [erased]: too small")
    assert uow.labels.committed == {}


def test_alerts_lose_her_details_and_keep_their_rule_key_and_counts() -> None:
    uow = a_store()
    with uow:
        before = {alert.key: alert for alert in uow.alerts.list(limit=100)}

    erase(uow)

    with uow:
        after = {alert.key: alert for alert in uow.alerts.list(limit=100)}
        tickets = {t.entity_id: t.subject for t in uow.tickets.list(limit=100)}
    assert after["O-1"].message == "Order O-1 of [erased] is held"
    assert after["ups"].message == f"ups lost the parcel of {erased_email('C-1')}"
    assert tickets[after["O-1"].id] == "[Ordo high] Order O-1 of [erased] is held"
    assert [(a.rule, a.severity, a.occurrences, a.status) for a in after.values()] == [
        (a.rule, a.severity, a.occurrences, a.status) for a in before.values()
    ]
    assert after["O-2"] == before["O-2"] and after["SKU-1@DAL"] == before["SKU-1@DAL"]
    raised = [e for e in uow.committed_events if isinstance(e, events.AlertRaised)]
    assert [e.message for e in raised] == [after[e.key].message for e in raised]


def test_the_audit_entries_of_api_keys_lose_her_name_and_keep_bob_s() -> None:
    uow = a_store()

    erase(uow)

    with uow:
        names = {e.entity_id: e.after["name"] for e in uow.audit.list(entity="api_key")}
    assert names == {"k-1": "[erased]'s phone", "k-2": "Bob Stone's phone"}


def test_erasure_is_audited_with_its_reason_and_counts_and_announced_by_the_customer_id() -> None:
    uow = a_store()

    erase(uow, reason="GDPR request 42 from Ada Lovelace")

    with uow:
        [entry] = uow.audit.list(entity="customer", entity_id="C-1")
    assert (entry.action, entry.actor) == ("customer.erase", "admin:dpo")
    assert entry.after["reason"] == "GDPR request 42 from [erased]"
    assert entry.after["erased"]["orders"] == 1
    assert uow.committed_events[-1] == events.CustomerErased("C-1")
    assert events.CustomerErased("C-1").payload() == {"customer_id": "C-1"}


def test_a_second_erasure_changes_and_counts_nothing() -> None:
    uow = a_store()
    erase(uow)
    kept = everything(uow)

    again = erase(uow)

    assert set(again.erased.values()) == {0}
    assert everything(uow).count("customer.erase") == kept.count("customer.erase") + 1


def test_an_unfinished_order_refuses_the_erasure_naming_it_and_changes_nothing() -> None:
    uow = a_store()
    with uow:
        uow.orders.add(b.an_order(id="O-3", channel_order_id="W-3", status=OrderStatus.SHIPPED))
        uow.commit()
    before = everything(uow)

    with pytest.raises(OrdersNotFinished, match="1 order\\(s\\) not finished \\(O-3\\)"):
        erase(uow)

    assert everything(uow) == before


def test_a_customer_with_neither_a_record_nor_an_order_is_not_found() -> None:
    with pytest.raises(NotFound, match="customer 'C-9' does not exist"):
        erase(a_store(), "C-9")
    with pytest.raises(NotFound, match="customer 'C-9' does not exist"):
        privacy.export_personal_data(a_store(), "C-9", actor="support:ann")


def test_a_blank_reason_is_refused_before_anything_is_read() -> None:
    with pytest.raises(DomainError, match=r"\$\.reason: say why"):
        erase(a_store(), reason="  ")


def test_the_export_holds_the_customer_s_records_and_only_theirs() -> None:
    exported = privacy.export_personal_data(a_store(), "C-1", actor="support:ann")

    assert exported.customer is not None and exported.customer.name == "Ada Lovelace"
    assert [o.id for o in exported.orders] == ["O-1"]
    assert [s.id for s in exported.shipments] == ["F-1"]
    assert [r.id for r in exported.returns] == ["RT-1"]
    assert [(e.entity, e.entity_id) for e in exported.audit] == [("order", "O-1")]
    assert [t.subject for t in exported.tickets] == ["Ada Lovelace wants a call"]
    assert [t.id for t in exported.decision_traces] == ["T-1"]
    assert sorted(a.key for a in exported.alerts) == ["O-1", "ups"]
    assert exported.idempotency_answers == []  # the in-memory store keeps none


def test_the_export_still_lists_the_alerts_about_her_orders_once_erased() -> None:
    uow = a_store()
    erase(uow)

    exported = privacy.export_personal_data(uow, "C-1", actor="support:ann")

    assert [(a.key, a.message) for a in exported.alerts] == [
        ("O-1", "Order O-1 of [erased] is held")
    ]


def test_the_export_reads_a_page_at_a_time_and_lists_every_order_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(privacy, "PAGE", 2)
    uow = InMemoryUnitOfWork()
    with uow:
        for number in range(1, 6):
            uow.orders.add(b.a_plain_order(number, customer_id="C-7"))
        uow.commit()

    exported = privacy.export_personal_data(uow, "C-7", actor="support:ann")

    assert exported.customer is None
    assert [o.id for o in exported.orders] == ["O-1", "O-2", "O-3", "O-4", "O-5"]


# --- what counts as the customer's --------------------------------------------------------


def ada() -> PersonalData:
    return PersonalData.of("C-1", b.a_customer(name="Ann Lee"), [b.an_order()])


def test_texts_go_as_whole_words_in_any_case_and_emails_become_the_erased_address() -> None:
    text = ada().text("ANN LEE (ada@EXAMPLE.com) at 1 elm st; Annual review of Ann Leeds")

    assert text == (f"[erased] ({erased_email('C-1')}) at [erased]; Annual review of Ann Leeds")


def test_in_an_answer_holding_several_customers_only_theirs_is_redacted() -> None:
    theirs = {
        "customer_id": "C-1",
        "email": "x@y.com",
        "ship_to": {"line1": "2 Elm", "postal_code": "1"},
    }
    other = {"customer_id": "C-2", "email": "bob@example.com", "ship_to": {"line1": "9 Oak Ave"}}
    stored = {"headers": [], "text": json.dumps({"results": [{"order": theirs}, {"order": other}]})}

    redacted = ada().document(stored, False)

    results = json.loads(redacted["text"])["results"]
    assert results[0]["order"]["email"] == erased_email("C-1")
    assert results[0]["order"]["ship_to"] == {"line1": "", "postal_code": "1"}
    assert results[1]["order"] == other


def test_a_customer_record_loses_its_name_wherever_it_is_copied() -> None:
    record = {"id": "C-1", "email": "ada@example.com", "name": "Al", "tier": "gold"}

    assert ada().document({"customer": record}, False) == {
        "customer": {"id": "C-1", "email": erased_email("C-1"), "name": "", "tier": "gold"}
    }


def test_of_an_answer_holding_several_customers_only_theirs_is_exported() -> None:
    theirs = {"customer_id": "C-1", "email": "ada@example.com", "ship_to": {"line1": "1 Elm St"}}
    other = {"customer_id": "C-2", "email": "bob@example.com"}
    record = {"id": "C-1", "email": "ada@example.com", "name": "Ada Lovelace"}
    answer = json.dumps({"results": [{"order": theirs}, {"order": other}], "customer": record})

    assert ada().parts({"headers": [], "text": answer}) == [theirs, record]
    assert ada().parts({"results": [{"order": other}]}) == []
