"""EDI with trading partners in memory: `uow.edi` of the in-memory unit of work
(engine.adapters.memory), with the database's behaviour and no I/O.

With snapshots on, a transaction's first change saves the three collections as they were,
and a rollback puts them back; documents are replaced, never changed in place, so a saved
collection keeps them as they were."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from engine.domain.edi import (
    EdiPurchaseOrder,
    OutboundDocument,
    Pair,
    control_number_after,
    document_exists,
    resent_already,
)
from engine.service_layer.unit_of_work import EdiStore


class MemoryEdi(EdiStore):
    def __init__(self, snapshots: bool) -> None:
        self.snapshots = snapshots
        self.numbers: dict[Pair, int] = {}
        self.purchase_orders: dict[tuple[str, str], EdiPurchaseOrder] = {}
        self.outbound: dict[str, OutboundDocument] = {}
        self._saved: (
            tuple[
                dict[Pair, int],
                dict[tuple[str, str], EdiPurchaseOrder],
                dict[str, OutboundDocument],
            ]
            | None
        ) = None

    def _changing(self) -> None:
        if self.snapshots and self._saved is None:
            self._saved = (dict(self.numbers), dict(self.purchase_orders), dict(self.outbound))

    def commit(self) -> None:
        self._saved = None

    def rollback(self) -> None:
        if self._saved is not None:
            self.numbers, self.purchase_orders, self.outbound = self._saved
            self._saved = None

    def next_control_number(self, pair: Pair) -> int:
        self._changing()
        number = self.numbers[pair] = control_number_after(self.numbers.get(pair, 0))
        return number

    def keep_purchase_order(self, purchase_order: EdiPurchaseOrder) -> None:
        self._changing()
        self.purchase_orders[(purchase_order.channel, purchase_order.po_number)] = purchase_order

    def purchase_order(self, channel: str, po_number: str) -> EdiPurchaseOrder | None:
        return self.purchase_orders.get((channel, po_number))

    def add_document(self, document: OutboundDocument) -> None:
        if document.replaces:
            replacing = (d for d in self.outbound.values() if d.replaces == document.replaces)
            first = next(replacing, None)
            if first is not None:
                raise resent_already(document.replaces, first.id)
        if self.document_about(document.kind, document.reference) is not None:
            raise document_exists(document.kind, document.reference)
        self._changing()
        self.outbound[document.id] = replace(document)

    def document(self, document_id: str) -> OutboundDocument | None:
        found = self.outbound.get(document_id)
        return None if found is None else replace(found)

    def document_about(self, kind: str, reference: str) -> OutboundDocument | None:
        about = (d for d in self.outbound.values() if (d.kind, d.reference) == (kind, reference))
        return next((replace(d) for d in about), None)

    def documents(
        self, channel: str, *, pending: bool | None = True, limit: int = 100, offset: int = 0
    ) -> Sequence[OutboundDocument]:
        found = sorted(
            (
                d
                for d in self.outbound.values()
                if d.channel == channel and (pending is None or d.acknowledged is not pending)
            ),
            key=lambda d: (d.created_at, d.id),
        )
        return [replace(d) for d in found[offset : offset + limit]]

    def documents_about_orders(self, order_ids: Sequence[str]) -> Sequence[OutboundDocument]:
        wanted = set(order_ids)
        found = (d for d in self.outbound.values() if d.order_id in wanted)
        return [replace(d) for d in sorted(found, key=lambda d: (d.created_at, d.id))]

    def rewrite(self, document_id: str, content: str) -> None:
        found = self.outbound.get(document_id)
        if found is None:
            return
        self._changing()
        self.outbound[document_id] = replace(found, content=content)

    def acknowledge(self, document_id: str, by: str, at: datetime) -> None:
        found = self.outbound.get(document_id)
        if found is None or found.acknowledged:
            return
        self._changing()
        self.outbound[document_id] = replace(found, acknowledged_at=at, acknowledged_by=by)

    def documents_numbered(
        self, channel: str, control_numbers: Collection[int]
    ) -> Sequence[OutboundDocument]:
        wanted = set(control_numbers)
        found = (
            d for d in self.outbound.values() if d.channel == channel and d.control_number in wanted
        )
        return [replace(d) for d in sorted(found, key=lambda d: (d.created_at, d.id))]

    def record_functional_ack(
        self, document_id: str, status: str, codes: Sequence[str], at: datetime
    ) -> None:
        found = self.outbound.get(document_id)
        if found is None:
            return
        self._changing()
        self.outbound[document_id] = replace(
            found, functional_ack=status, functional_ack_codes=tuple(codes), functional_ack_at=at
        )

    def mark_replaced(self, document_id: str, replacement_id: str) -> None:
        found = self.outbound.get(document_id)
        if found is None:
            return
        self._changing()
        self.outbound[document_id] = replace(found, replaced_by=replacement_id)
