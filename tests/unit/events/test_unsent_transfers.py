"""`ordo wms send-transfers`' walk on the in-memory store with a fake WMS: a transfer listed
as missing from a WMS is read again when its turn comes, so one the worker sent meanwhile, or
one reported shipped meanwhile, is sent no transfer order (and the shipped one is listed for
its expected receipt next); a transfer order whose answer is lost keeps that it was
attempted, so its cancellation asks the WMS, as the worker's would."""

from __future__ import annotations

from engine.service_layer.unsent_transfers import (
    EXPECTED_RECEIPT,
    TRANSFER_ORDER,
    Unsent,
    UnsentTransfers,
)
from engine.service_layer.wms_transfers import Sent, TransferReleaser
from tests.support.worker_steps import handled, published
from tests.unit.events.test_inbound_transfer_notifier import ReceivingWms, shipped
from tests.unit.events.test_transfer_releaser import (
    FakeWms,
    a_world,
    cancelled,
    sent_for_the_order,
    transfer,
)


class BothWays(FakeWms, ReceivingWms):
    """A WMS taking transfer orders and expected receipts, as `ordo wms send-transfers`
    needs one."""

    def __init__(self, answer_lost: bool = False) -> None:
        FakeWms.__init__(self, answer_lost=answer_lost)
        ReceivingWms.__init__(self)

    @property
    def takes_transfers(self) -> bool:
        return self.takes


def test_a_transfer_the_worker_sent_after_it_was_listed_is_not_sent_again() -> None:
    uow, wms = a_world(), BothWays()
    transfer_id = sent_for_the_order(uow)
    walk = UnsentTransfers({"DAL-01": wms, "NYC-5": wms})
    [due] = walk.listed(lambda: uow)
    assert due == Unsent(transfer_id, TRANSFER_ORDER, "DAL-01")

    handled(TransferReleaser({"DAL-01": wms}), uow, published(uow, "transfer.requested"))
    outcome = walk.send(lambda: uow, due, "cli:ann")

    assert outcome.sent is not None
    assert outcome.sent.why == "was sent meanwhile (TO-1); not sent again"
    assert len(wms.sent) == 1
    assert walk.listed(lambda: uow) == []


def test_a_transfer_shipped_after_it_was_listed_gets_no_transfer_order_but_its_receipt() -> None:
    uow, wms = a_world(), BothWays()
    transfer_id = sent_for_the_order(uow)
    walk = UnsentTransfers({"DAL-01": wms, "NYC-5": wms})
    [due] = walk.listed(lambda: uow)

    shipped(uow, transfer_id)
    outcome = walk.send(lambda: uow, due, "cli:ann")

    assert outcome.sent is not None and not outcome.sent.reference
    assert "reported shipped meanwhile" in outcome.sent.why
    assert wms.sent == []
    [receipt] = walk.listed(lambda: uow)
    assert receipt == Unsent(transfer_id, EXPECTED_RECEIPT, "NYC-5")
    assert walk.send(lambda: uow, receipt, "cli:ann").sent == Sent("ASN-1")


def test_a_transfer_order_whose_answer_is_lost_keeps_its_attempt_and_is_looked_up_when_cancelled(
) -> None:  # fmt: skip
    uow, wms = a_world(), BothWays(answer_lost=True)
    transfer_id = sent_for_the_order(uow)
    walk = UnsentTransfers({"DAL-01": wms, "NYC-5": wms})
    [due] = walk.listed(lambda: uow)

    outcome = walk.send(lambda: uow, due, "cli:ann")

    assert "timed out" in outcome.failure and len(wms.sent) == 1
    kept = transfer(uow, transfer_id)
    assert kept.wms_reference == "" and kept.wms_attempted_at is not None
    cancelled(uow, transfer_id)
    handled(TransferReleaser({"DAL-01": wms}), uow, published(uow, "transfer.cancelled"))
    assert wms.asked == [transfer_id] and wms.cancelled == [("TO-1", transfer_id)]
