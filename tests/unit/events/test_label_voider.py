"""Labels made void in Ordo, voided with their carrier, on the bus with fakes: a cancelled
order's label voided once with every parcel's number (a redelivery voids nothing more) and
shown on the shipment's timeline; a carrier refusing for good raising
`shipment.label_void_failed` and a high alert; a carrier out of reach retried by the worker;
a rate-card carrier, which has nothing to void, leaving no trace; a label made again after a
short pick voiding the old numbers only."""

from __future__ import annotations

from typing import Any

from connectors.base import DeliveryError, PermanentRefusal
from connectors.carriers.ratecard import RateCardCarriers
from engine.adapters.bus import InProcessBus, Message
from engine.domain import commands as c
from engine.domain import events
from engine.domain.fulfilment import Label, Parcel
from engine.pipeline.carriers import load_catalog
from engine.pipeline.decide import DeciderSettings
from engine.service_layer.label_voids import FAILED_RULE, LabelVoider
from engine.worker import Worker, WorkerConfig
from tests.support.fake_carrier import FakeCarrier
from tests.support.worker_steps import handled, published
from tests.unit.pipeline.world import Engine, build

NUMBERS = ["1ZMASTER", "1ZPARCEL2"]


def a_cancelled_labelled_order() -> tuple[Engine, str, str, Message]:
    """A released order whose one shipment was labelled in two parcels, then cancelled by
    support: the engine, the shipment's id, its carrier and the `shipment.label_voided` as
    the worker gets it."""
    engine = build({("A", "NJ"): (10, 0)}, settings=DeciderSettings(optimiser="greedy"))
    command = c.CreateOrder("web", "W-1", "c1", c.AddressInput("10001"), (c.LineInput("A", 2),))
    order_id = str(engine.bus.handle(command))
    with engine.uow as uow:
        [shipment] = uow.shipments.for_order(order_id)
        shipment.tracking_number, shipment.label_format = NUMBERS[0], "pdf"
        shipment.parcels = [
            Parcel("MEDIUM", 45.0, 35.0, 25.0, 2.0, 2.0, {"A": 1}, number) for number in NUMBERS
        ]
        uow.labels.put("shipment", shipment.id, Label("pdf", b"%PDF-1.4"))
        uow.commit()
    engine.uow.committed_events.clear()
    engine.bus.handle(c.CancelOrder(order_id, "customer asked", "support:ann"))
    [message] = published(engine.uow, events.ShipmentLabelVoided.name)
    engine.uow.committed_events.clear()
    return engine, shipment.id, shipment.carrier, message


def timeline(engine: Engine, shipment_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    with engine.uow as uow:
        entries = uow.audit.list(entity="shipment", entity_id=shipment_id)
    return [(e.actor, e.action, e.after) for e in reversed(entries)]


def test_a_cancelled_orders_label_is_voided_with_its_carrier_once_and_shown_on_its_timeline() -> (
    None
):
    engine, shipment_id, code, message = a_cancelled_labelled_order()
    carrier = FakeCarrier()
    voider = LabelVoider({code: carrier}.get)

    handled(voider, engine.uow, [message, message])  # the same event again: a redelivery

    assert carrier.asked == [NUMBERS] and voider.voided == 1
    assert timeline(engine, shipment_id)[-1] == (
        "system", "shipment.label_void", {"carrier": code, "tracking_numbers": NUMBERS}
    )  # fmt: skip


def test_a_carrier_that_refuses_for_good_raises_a_high_alert_and_is_not_asked_again() -> None:
    engine, shipment_id, code, message = a_cancelled_labelled_order()
    said = "EasyPost refused the refund: the label was scanned at the origin facility"
    carrier = FakeCarrier(PermanentRefusal(said))
    voider = LabelVoider({code: carrier}.get)

    handled(voider, engine.uow, [message, message])

    assert carrier.asked == [NUMBERS] and voider.voided == 0
    failed, alert = engine.uow.committed_events
    assert failed == events.ShipmentLabelVoidFailed(
        shipment_id, message.payload["order_id"], message.payload["location_code"], code,
        NUMBERS, said,
    )  # fmt: skip
    assert isinstance(alert, events.AlertTriggered)
    assert (alert.rule, alert.key, alert.severity) == (FAILED_RULE, shipment_id, "high")
    assert "ask the carrier for a refund" in alert.message and said in alert.message
    assert timeline(engine, shipment_id)[-1][:2] == ("system", "shipment.label_void_failed")


def test_a_carrier_out_of_reach_is_retried_by_the_worker_and_audited_once_it_answers() -> None:
    engine, shipment_id, code, message = a_cancelled_labelled_order()
    carrier = FakeCarrier(DeliveryError("EasyPost https://api.easypost.com answered 503"))
    bus = InProcessBus()
    worker = Worker(bus=bus, uow_factory=lambda: engine.uow, handlers={},
                    observers=[LabelVoider({code: carrier}.get)],
                    config=WorkerConfig(block_ms=0))  # fmt: skip
    bus.publish(message.name, message.payload, message.partition_key, event_id="evt-1")

    worker.run_once()
    assert carrier.asked == [NUMBERS]
    assert "shipment.label_void" not in [action for _, action, _ in timeline(engine, shipment_id)]

    carrier.answer = True  # the carrier is back: the retry voids the label
    for _ in range(3):
        worker.run_once()
    assert carrier.asked == [NUMBERS, NUMBERS]
    assert timeline(engine, shipment_id)[-1][1] == "shipment.label_void"


def test_a_rate_card_carrier_has_nothing_to_void_and_nothing_is_audited() -> None:
    engine, shipment_id, _, message = a_cancelled_labelled_order()
    before = timeline(engine, shipment_id)

    handled(LabelVoider(RateCardCarriers(load_catalog())), engine.uow, [message])

    assert timeline(engine, shipment_id) == before
    assert engine.uow.committed_events == []


def test_a_carrier_without_a_connector_is_not_asked() -> None:
    engine, shipment_id, _, message = a_cancelled_labelled_order()
    before = timeline(engine, shipment_id)

    handled(LabelVoider(lambda code: None), engine.uow, [message])

    assert timeline(engine, shipment_id) == before


def test_a_label_made_again_under_an_old_number_keeps_it_and_only_the_old_others_are_voided() -> (
    None
):
    engine, shipment_id, code, message = a_cancelled_labelled_order()
    with engine.uow as uow:  # as a short pick's new label, reprinted under the shipment's number
        shipment = uow.shipments.get(shipment_id)
        assert shipment is not None
        shipment.label_format = "pdf"
        shipment.parcels = [Parcel("MEDIUM", 45.0, 35.0, 25.0, 2.0, 2.0, {"A": 2}, NUMBERS[0])]
        uow.commit()
    carrier = FakeCarrier()

    handled(LabelVoider({code: carrier}.get), engine.uow, [message])

    assert carrier.asked == [NUMBERS[1:]]
