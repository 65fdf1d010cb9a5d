"""EDI with trading partners on SQLAlchemy: `uow.edi` (engine.service_layer.unit_of_work).

Every statement runs at once on the unit of work's connection, in its transaction. A
control number is raised by one `UPDATE ... RETURNING` on the pair's row: the row stays
locked until the transaction ends, so on PostgreSQL a second request for the same pair waits
and then reads the number the first one committed, and SQLite lets one writer in at a time.

A document's text names the ship-to and its street: with ORDO_DATA_KEYS set it is sealed on
its way in and opened on its way out (`sealed_rows.EDI_DOCUMENTS`), so the rest of Ordo only
ever sees the X12.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, case, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.adapters import driver, orm, sealed_rows
from engine.domain.edi import (
    MOST_CONTROL_NUMBER,
    EdiPurchaseOrder,
    Envelope,
    OutboundDocument,
    Pair,
    PurchaseOrderLine,
    document_exists,
    resent_already,
)
from engine.service_layer.unit_of_work import EdiStore

_numbers = orm.edi_control_numbers
_orders = orm.edi_purchase_orders
_outbound = orm.edi_outbound


def _upsert(connection: Connection) -> Any:
    """The dialect's INSERT, which takes ON CONFLICT clauses."""
    module: Any = postgresql if connection.dialect.name == "postgresql" else sqlite
    return module.insert


class SqlEdi(EdiStore):
    def __init__(self, session: Session) -> None:
        self.session = session
        self._sealer = sealed_rows.sealer_for(session, sealed_rows.EDI_DOCUMENTS)

    def _connection(self) -> Connection:
        return driver.connection_after_deferred(self.session)

    def next_control_number(self, pair: Pair) -> int:
        connection = self._connection()
        key = asdict(pair)
        raised = (
            update(_numbers)
            .where(*(_numbers.c[name] == value for name, value in key.items()))
            .values(
                last_number=case(
                    (_numbers.c.last_number >= MOST_CONTROL_NUMBER, 1),
                    else_=_numbers.c.last_number + 1,
                ),
                updated_at=datetime.now(UTC),
            )
            .returning(_numbers.c.last_number)
        )
        number = connection.execute(raised).scalar()
        if number is None:
            # The pair's first interchange: a row at 0, unless another transaction made it
            # meanwhile (then this waits for it, and the UPDATE takes the number after its).
            first = {**key, "last_number": 0, "updated_at": datetime.now(UTC)}
            connection.execute(
                _upsert(connection)(_numbers).values(**first).on_conflict_do_nothing()
            )
            number = connection.execute(raised).scalar_one()
        return int(number)

    def keep_purchase_order(self, purchase_order: EdiPurchaseOrder) -> None:
        connection = self._connection()
        row = _purchase_order_row(purchase_order)
        statement = _upsert(connection)(_orders).values(**row)
        key = ("channel", "po_number")
        kept = {name: statement.excluded[name] for name in row if name not in key}
        connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=kept))

    def purchase_order(self, channel: str, po_number: str) -> EdiPurchaseOrder | None:
        found = (_orders.c.channel == channel, _orders.c.po_number == po_number)
        row = self._connection().execute(select(_orders).where(*found)).mappings().first()
        return None if row is None else _purchase_order_from(row)

    def add_document(self, document: OutboundDocument) -> None:
        connection = self._connection()
        row = asdict(document)
        # NULL, not "", for a link that is not there: the unique index on `replaces` holds
        # the documents that replace one, and any number replace none.
        row.update(replaces=document.replaces or None, replaced_by=document.replaced_by or None)
        if self._sealer is not None:
            row = self._sealer.seal(row, document.id)
        added = (
            _upsert(connection)(_outbound)
            .values(**row)
            .on_conflict_do_nothing()
            .returning(_outbound.c.id)
        )
        if connection.execute(added).first() is not None:
            return
        if document.replaces:
            # Which unique key refused it: another replacement of the same document first.
            replacing = select(_outbound.c.id).where(_outbound.c.replaces == document.replaces)
            first = connection.execute(replacing).scalar()
            if first is not None:
                raise resent_already(document.replaces, str(first))
        raise document_exists(document.kind, document.reference)

    def document(self, document_id: str) -> OutboundDocument | None:
        return self._first(select(_outbound).where(_outbound.c.id == document_id))

    def document_about(self, kind: str, reference: str) -> OutboundDocument | None:
        about = (_outbound.c.kind == kind, _outbound.c.reference == reference)
        return self._first(select(_outbound).where(*about))

    def documents(
        self, channel: str, *, pending: bool | None = True, limit: int = 100, offset: int = 0
    ) -> Sequence[OutboundDocument]:
        query = select(_outbound).where(_outbound.c.channel == channel)
        if pending is not None:
            collected = _outbound.c.acknowledged_at
            query = query.where(collected.is_(None) if pending else collected.is_not(None))
        query = query.order_by(_outbound.c.created_at, _outbound.c.id).limit(limit).offset(offset)
        return self._all(query)

    def documents_about_orders(self, order_ids: Sequence[str]) -> Sequence[OutboundDocument]:
        if not order_ids:
            return []
        about = select(_outbound).where(_outbound.c.order_id.in_(list(order_ids)))
        return self._all(about.order_by(_outbound.c.created_at, _outbound.c.id))

    def rewrite(self, document_id: str, content: str) -> None:
        if self._sealer is not None:
            content = self._sealer.seal({"content": content}, document_id)["content"]
        self._connection().execute(
            update(_outbound).where(_outbound.c.id == document_id).values(content=content)
        )

    def acknowledge(self, document_id: str, by: str, at: datetime) -> None:
        self._connection().execute(
            update(_outbound)
            .where(_outbound.c.id == document_id, _outbound.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at, acknowledged_by=by)
        )

    def documents_numbered(
        self, channel: str, control_numbers: Collection[int]
    ) -> Sequence[OutboundDocument]:
        if not control_numbers:
            return []
        numbered = select(_outbound).where(
            _outbound.c.channel == channel, _outbound.c.control_number.in_(list(control_numbers))
        )
        return self._all(numbered.order_by(_outbound.c.created_at, _outbound.c.id))

    def record_functional_ack(
        self, document_id: str, status: str, codes: Sequence[str], at: datetime
    ) -> None:
        self._connection().execute(
            update(_outbound)
            .where(_outbound.c.id == document_id)
            .values(functional_ack=status, functional_ack_codes=list(codes), functional_ack_at=at)
        )

    def mark_replaced(self, document_id: str, replacement_id: str) -> None:
        self._connection().execute(
            update(_outbound)
            .where(_outbound.c.id == document_id)
            .values(replaced_by=replacement_id)
        )

    def _first(self, query: Any) -> OutboundDocument | None:
        row = self._connection().execute(query).mappings().first()
        return None if row is None else self._document_from(row)

    def _all(self, query: Any) -> list[OutboundDocument]:
        rows = self._connection().execute(query).mappings()
        return [self._document_from(row) for row in rows]

    def _document_from(self, row: Mapping[Any, Any]) -> OutboundDocument:
        opened = dict(row) if self._sealer is None else self._sealer.open(dict(row))
        # Written before a 997 could be read (migration 0028): none has named it.
        opened["functional_ack_codes"] = tuple(opened.get("functional_ack_codes") or ())
        # NULL: it replaces nothing, or nothing replaced it (and before migration 0035).
        opened["replaces"] = opened.get("replaces") or ""
        opened["replaced_by"] = opened.get("replaced_by") or ""
        return OutboundDocument(**opened)


def _purchase_order_row(purchase_order: EdiPurchaseOrder) -> dict[str, Any]:
    return {
        "channel": purchase_order.channel,
        "po_number": purchase_order.po_number,
        "po_date": purchase_order.po_date,
        "envelope": asdict(purchase_order.envelope),
        "lines": [
            {
                "line_number": line.line_number,
                "sku": line.sku,
                "unit": line.unit,
                "product_ids": [list(pair) for pair in line.product_ids],
                "quantity": line.quantity,
                "price": line.price,
            }
            for line in purchase_order.lines
        ],
        "ship_to_qualifier": purchase_order.ship_to_qualifier,
        "ship_to_code": purchase_order.ship_to_code,
        "received_at": purchase_order.received_at,
    }


def _purchase_order_from(row: Mapping[Any, Any]) -> EdiPurchaseOrder:
    lines = tuple(
        PurchaseOrderLine(
            line["line_number"],
            line["sku"],
            tuple((str(q), str(v)) for q, v in line["product_ids"]),
            line["unit"],
            # An 850 kept before Ordo kept PO102 and PO104 has neither.
            int(line.get("quantity", 0)),
            str(line.get("price", "")),
        )
        for line in row["lines"]
    )
    return EdiPurchaseOrder(
        channel=row["channel"],
        po_number=row["po_number"],
        envelope=Envelope(**row["envelope"]),
        lines=lines,
        received_at=row["received_at"],
        po_date=row["po_date"],
        ship_to_qualifier=row["ship_to_qualifier"],
        ship_to_code=row["ship_to_code"],
    )
