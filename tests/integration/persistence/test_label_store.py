"""The label store (`uow.labels`) behaves alike on the in-memory fake, SQLite and PostgreSQL:
a label is kept byte for byte under its shipment's or return's id, replaced by the next one,
deleted, and all of it in the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Callable

from engine.domain.fulfilment import Label
from engine.service_layer.unit_of_work import UnitOfWork
from tests.support.builders import a_label, a_return, a_shipment

UowFactory = Callable[[], UnitOfWork]
PDF = Label("pdf", b"%PDF-1.4\n\x00\xff%%EOF")


def stored(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.shipments.add(a_shipment(id="F-1"))
        uow.returns.add(a_return(id="RT-1"))
        uow.commit()


def test_a_label_is_read_back_byte_for_byte_under_its_shipment_or_return(
    uow_factory: UowFactory,
) -> None:
    stored(uow_factory)
    with uow_factory() as uow:
        assert uow.labels.get("shipment", "F-1") is None
        uow.labels.put("shipment", "F-1", a_label())
        uow.labels.put("return", "RT-1", PDF)
        assert uow.labels.get("shipment", "F-1") == a_label()  # before the commit, too
        uow.commit()

    with uow_factory() as uow:
        assert uow.labels.get("shipment", "F-1") == a_label()
        assert uow.labels.get("return", "RT-1") == PDF
        # A shipment and a return may share an id: each has its own label.
        assert uow.labels.get("return", "F-1") is None


def test_a_label_put_again_replaces_the_one_kept(uow_factory: UowFactory) -> None:
    stored(uow_factory)
    with uow_factory() as uow:
        uow.labels.put("shipment", "F-1", a_label())
        uow.commit()
    with uow_factory() as uow:
        uow.labels.put("shipment", "F-1", PDF)
        uow.commit()

    with uow_factory() as uow:
        assert uow.labels.get("shipment", "F-1") == PDF


def test_a_shipment_and_its_label_added_in_one_transaction_are_kept_together(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.shipments.add(a_shipment(id="F-9"))
        uow.labels.put("shipment", "F-9", a_label())
        uow.commit()

    with uow_factory() as uow:
        assert uow.labels.get("shipment", "F-9") == a_label()


def test_deleting_says_whether_there_was_a_label_and_a_rollback_keeps_it(
    uow_factory: UowFactory,
) -> None:
    stored(uow_factory)
    with uow_factory() as uow:
        uow.labels.put("return", "RT-1", PDF)
        uow.commit()

    with uow_factory() as uow:
        assert uow.labels.delete("return", "RT-1") is True
        assert uow.labels.get("return", "RT-1") is None
    with uow_factory() as uow:
        assert uow.labels.get("return", "RT-1") == PDF  # rolled back
        assert uow.labels.delete("return", "RT-1") is True
        assert uow.labels.delete("return", "RT-1") is False
        uow.commit()

    with uow_factory() as uow:
        assert uow.labels.get("return", "RT-1") is None
        assert uow.labels.delete("shipment", "F-1") is False


def test_a_label_put_and_rolled_back_is_not_kept(uow_factory: UowFactory) -> None:
    stored(uow_factory)
    with uow_factory() as uow:
        uow.labels.put("shipment", "F-1", a_label())

    with uow_factory() as uow:
        assert uow.labels.get("shipment", "F-1") is None
