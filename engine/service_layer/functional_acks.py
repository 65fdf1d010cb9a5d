"""A trading partner's 997 for the documents Ordo sent them: each 855 or 856 it names is
marked accepted, accepted with errors noted, or rejected, and a rejected one raises
`edi.document_rejected` and a high alert. docs/edi.md.

A 997 names a document by the group Ordo sent it in (AK1: PR for an 855, SH for an 856, and
GS06, which is the interchange's ISA13 too: Ordo sends each document alone in its
interchange) and by its set (AK2: the set's id and ST02, always 0001). Control numbers count
per sender/receiver pair, so of the channel's documents sent under that number, the one
whose interchange went from the 997's receiver to its sender is meant.

A 997 that names anything Ordo never sent this partner is refused whole (`UnknownDocuments`,
each AK1 or AK2 named): nothing of it is recorded. A 997 about another system's documents,
or numbered wrong, is for a person to look at, not to be half taken. The same 997 again (a
gateway's retry), or a later one for the same document, is recorded in its place; the alert
is raised when a document becomes rejected, not again while it stays so.

A rejection of a document already written again (`replaced_by`: it was rejected before, a
person had it resent, and a 997 rejecting it comes late or again after a later acceptance)
is recorded and audited, naming the replacement, but raises neither the event nor the
alert: what it asks of a person is done, and an alert raised for it would stay open with
nothing left to do (the resend closes the alert of a rejection that came before it). What
the partner says of the replacement is the 997 that counts now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from connectors.channels import x12
from connectors.channels.x12_functional_acks import SetAck
from engine.domain import events
from engine.domain.edi import (
    FA_ACCEPTED,
    FA_ERRORS_NOTED,
    FA_REJECTED,
    FUNCTIONAL_IDS,
    OutboundDocument,
    Pair,
)
from engine.domain.errors import DomainError
from engine.domain.values import utcnow
from engine.service_layer import audit
from engine.service_layer.unit_of_work import UnitOfWork

# The alert a rejected document raises: high, so it opens a ticket where tickets are on.
REJECTED_RULE = "edi/document rejected"
REJECTED_SEVERITY = "high"
# AK501 (or AK901) -> what is kept.
_STATUS = {"A": FA_ACCEPTED, "E": FA_ERRORS_NOTED}


class UnknownDocuments(DomainError):
    """A 997 names documents Ordo never sent the partner: (where, what) of each."""

    code = "unknown_documents"

    def __init__(self, unknown: Sequence[tuple[str, str]]) -> None:
        self.unknown = tuple(unknown)
        listed = "; ".join(f"{where}: {what}" for where, what in self.unknown[:3])
        if len(self.unknown) > 3:
            listed += f"; and {len(self.unknown) - 3} more (see errors)"
        super().__init__(
            f"the 997 names documents Ordo never sent this partner, so none of it is "
            f"recorded: {listed}"
        )


def receive(
    uows: Callable[[], UnitOfWork],
    channel: str,
    pair: Pair,
    named: Sequence[SetAck],
    actor: str,
) -> list[OutboundDocument]:
    """Record what a 997 from the partner of `pair` (Ordo the sender, as Ordo's interchanges
    are keyed) says of each set it names (`named`, x12_functional_acks.read) among the
    channel's documents, audited as `edi.functional_ack`; the documents, as they now stand."""
    at = utcnow()
    with uows() as uow:
        numbers = {s.group_control_number for s in named}
        sent = [d for d in uow.edi.documents_numbered(channel, numbers) if _sent_to(d, pair)]
        found: list[tuple[SetAck, OutboundDocument]] = []
        unknown: list[tuple[str, str]] = []
        for said in named:
            document = _named(sent, said)
            if document is None:
                unknown.append((str(said.place), _never_sent(said, pair)))
            else:
                found.append((said, document))
        if unknown:
            raise UnknownDocuments(unknown)
        for said, document in found:
            _record(uow, document, said, actor, at)
        uow.commit()
        ids = dict.fromkeys(document.id for _, document in found)
        return [d for d in map(uow.edi.document, ids) if d is not None]


def _sent_to(document: OutboundDocument, pair: Pair) -> bool:
    """Whether Ordo sent `document` in an interchange from `pair`'s sender to its receiver
    (its ISA05-08)."""
    isa = x12.parse(document.content).header
    return Pair(isa.get(5), isa.get(6), isa.get(7), isa.get(8)) == pair


def _named(sent: Sequence[OutboundDocument], said: SetAck) -> OutboundDocument | None:
    """The document of `sent` the 997 means by `said`: sent under its group's number in a
    group of its functional id, and (with an AK2) of its kind, set 0001. The newest, should
    the pair's counter have come round (after 999999999)."""
    matching = [
        d
        for d in sent
        if d.control_number == said.group_control_number
        and FUNCTIONAL_IDS.get(d.kind) == said.functional_id
        and (not said.kind or (said.kind == d.kind and _first_set(said.control_number)))
    ]
    return matching[-1] if matching else None


def _first_set(control_number: str) -> bool:
    """Ordo's interchanges carry one set, ST02 0001; a translator may drop the zeros."""
    return control_number.isdigit() and int(control_number) == 1


def _never_sent(said: SetAck, pair: Pair) -> str:
    what = f"transaction set {said.kind} {said.control_number} of " if said.kind else ""
    return (
        f"{what}functional group {said.functional_id} {said.group_control_number}: Ordo sent "
        f"{pair.receiver_qualifier}/{pair.receiver_id} no such document on this channel"
    )


def _record(
    uow: UnitOfWork, document: OutboundDocument, said: SetAck, actor: str, at: datetime
) -> None:
    status = _STATUS.get(said.code, FA_REJECTED)
    before = document.functional_ack
    uow.edi.record_functional_ack(document.id, status, said.codes, at)
    recorded: dict[str, object] = {"functional_ack": status, "codes": list(said.codes)}
    if document.replaced_by:  # why a rejection of it raises nothing (module doc)
        recorded["replaced_by"] = document.replaced_by
    audit.record(
        uow, actor, "edi.functional_ack", "edi_document", document.id,
        {"functional_ack": before}, recorded,
    )  # fmt: skip
    if status == FA_REJECTED and before != FA_REJECTED and not document.replaced_by:
        _alert(uow, document, said.codes, at)


def _alert(uow: UnitOfWork, document: OutboundDocument, codes: Sequence[str], at: datetime) -> None:
    d = document
    uow.record(
        events.EdiDocumentRejected(
            d.id, d.channel, d.kind, d.reference, d.order_id, d.control_number, list(codes)
        )
    )
    gave = f"their codes: {', '.join(codes)}" if codes else "they gave no error code"
    uow.record(
        events.AlertTriggered(
            rule=REJECTED_RULE,
            key=d.id,
            severity=REJECTED_SEVERITY,
            message=(
                f"The {d.channel} trading partner rejected the {d.kind} Ordo sent about "
                f"{d.reference} (order {d.order_id}, control number {d.control_number:09d}, "
                f"document {d.id}); {gave}. Their systems do not hold what it said: see "
                "what they refused and settle it with them, then have Ordo write it again "
                f"(POST /v1/edi/outbound/{d.id}/resend)."
            ),
            at=at.isoformat(),
        )
    )
