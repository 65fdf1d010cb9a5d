"""Sealing an alert's message and what a ticket says (its subject, the helpdesk's latest
comment and its author): each text sealed whole, bound to its table, column and row, opened
to what was written, with what SQL filters on left in clear; and rewritten by `ordo db
encrypt` and `ordo db decrypt`, which walk both tables."""

from __future__ import annotations

import base64

import pytest

from engine.adapters import translation as tr
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.reencrypt import SEALED_TABLES, opening, resealing
from engine.adapters.sealed_rows import ALERT_MESSAGES, TICKET_TEXTS, RowSealer
from engine.domain.operations import Ticket
from tests.support import builders as b

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
NEW_AND_OLD = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()},{OLD_KEY}"))
ALERT = b.an_alert(key="O-1", message="Order O-1 of Ada Lovelace <ada@example.com> is held")
TICKET = Ticket(
    "tkt-1", "zendesk", "35436", "order", "O-1", "Ada Lovelace says the parcel came damaged",
    b.at(0), "support:desk", comment_author="Ada Lovelace", comment_excerpt="It is me, Ada",
)  # fmt: skip


def test_an_alerts_message_is_sealed_and_opens_to_the_same_alert() -> None:
    sealer = RowSealer(NEW_AND_OLD, ALERT_MESSAGES)

    sealed = sealer.seal(tr.alert_row(ALERT), ALERT.id)

    assert sealed["message"].startswith("enc:v1:new:") and "Lovelace" not in repr(sealed)
    # What alerts are found by stays in clear: the rule, the key and the status.
    assert (sealed["rule"], sealed["key"], sealed["status"]) == (ALERT.rule, "O-1", "acknowledged")
    assert tr.alert_from(sealer.open(sealed)) == ALERT


def test_a_tickets_texts_are_sealed_and_open_to_the_same_ticket() -> None:
    sealer = RowSealer(NEW_AND_OLD, TICKET_TEXTS)

    sealed = sealer.seal(tr.ticket_row(TICKET), TICKET.id)

    assert all(
        sealed[c].startswith("enc:v1:new:")
        for c in ("subject", "comment_author", "comment_excerpt")
    )
    assert "Ada" not in repr(sealed)
    assert (sealed["entity"], sealed["entity_id"]) == ("order", "O-1")
    assert tr.ticket_from(sealer.open(sealed)) == TICKET


def test_a_ticket_never_commented_on_keeps_its_empty_comment() -> None:
    quiet = Ticket("tkt-2", "zendesk", "1", "alert", "A-1", "[Ordo high] held", b.at(0), "system")
    sealer = RowSealer(NEW_AND_OLD, TICKET_TEXTS)

    sealed = sealer.seal(tr.ticket_row(quiet), quiet.id)

    assert (sealed["comment_author"], sealed["comment_excerpt"]) == ("", "")
    assert sealer.is_current(sealed)


def test_a_message_moved_to_another_alert_or_column_does_not_open() -> None:
    alerts, tickets = RowSealer(NEW_AND_OLD, ALERT_MESSAGES), RowSealer(NEW_AND_OLD, TICKET_TEXTS)
    sealed = alerts.seal(tr.alert_row(ALERT), ALERT.id)
    ticket = tickets.seal(tr.ticket_row(TICKET), TICKET.id)

    with pytest.raises(FieldCryptoError, match=r"alerts\.message:A-2 holds a token"):
        alerts.open({**sealed, "id": "A-2"})
    with pytest.raises(FieldCryptoError, match=r"tickets\.subject:tkt-1 holds a token"):
        tickets.open({**ticket, "subject": ticket["comment_excerpt"]})


def test_encrypting_and_decrypting_walk_alerts_and_tickets() -> None:
    tables = [table.name for table, _ in SEALED_TABLES]
    assert {"alerts", "tickets"} <= set(tables)
    row = tr.ticket_row(TICKET)
    under_old = RowSealer(OLD, TICKET_TEXTS).seal(row, TICKET.id)
    [reseal] = [r for r in resealing(NEW_AND_OLD) if r.table.name == "tickets"]
    [reopen] = [r for r in opening(NEW_AND_OLD) if r.table.name == "tickets"]

    assert not reseal.is_done(under_old)
    resealed = {**under_old, **reseal.rewritten(under_old)}
    assert reseal.is_done(resealed) and resealed["subject"].startswith("enc:v1:new:")
    assert not reopen.is_done(resealed)
    assert {c: reopen.rewritten(resealed)[c] for c in reopen.columns} == {
        c: row[c] for c in reopen.columns
    }
    assert reopen.is_done(row)
