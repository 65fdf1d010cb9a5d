"""Sealing an audit entry's summaries and an idempotency record's answer: each sealed whole,
bound to its table, column and row (an answer to its owner and key), opened to what was
written, and brought back in clear by a decryption's rewrite."""

from __future__ import annotations

import base64
import json

import pytest

from engine.adapters import translation as tr
from engine.adapters.field_crypto import FieldCipher, FieldCryptoError, parse_data_keys
from engine.adapters.reencrypt import opening, resealing
from engine.adapters.sealed_rows import AUDIT_SUMMARIES, IDEMPOTENCY_ANSWERS, RowSealer
from engine.service_layer import audit

OLD_KEY = f"old:{base64.b64encode(b'o' * 32).decode()}"
OLD = FieldCipher(parse_data_keys(OLD_KEY))
NEW_AND_OLD = FieldCipher(parse_data_keys(f"new:{base64.b64encode(b'n' * 32).decode()},{OLD_KEY}"))
MODIFY = audit.entry(
    "support:sam", "order.modify", "order", "O-1",
    {"ship_to": {"name": "Ada Lovelace", "line1": "PO Box 1"}}, {"ship_to": {"line1": "1 Elm St"}},
)  # fmt: skip
ANSWER = {"owner": "k-web", "key": "create-1", "response": json.dumps({"email": "ada@x.com"})}


def test_an_entrys_summaries_are_sealed_whole_as_json_strings_and_open_to_the_same_entry() -> None:
    sealer = RowSealer(NEW_AND_OLD, AUDIT_SUMMARIES)

    sealed = sealer.seal(tr.audit_row(MODIFY), MODIFY.id)

    assert all(sealed[c].startswith("enc:v1:new:") for c in ("before", "after"))
    assert "Lovelace" not in repr(sealed) and "Elm St" not in repr(sealed)
    assert (sealed["actor"], sealed["entity_id"]) == ("support:sam", "O-1")  # what SQL filters on
    assert tr.audit_from(sealer.open(sealed)) == MODIFY


def test_an_empty_summary_stays_as_it_is_and_counts_as_current() -> None:
    created = audit.entry("admin:ann", "customer.put", "customer", "C-1", {}, {"name": "Ada"})
    sealer = RowSealer(NEW_AND_OLD, AUDIT_SUMMARIES)

    sealed = sealer.seal(tr.audit_row(created), created.id)

    assert sealed["before"] == {}
    assert sealer.is_current(sealed)
    assert not sealer.is_current(tr.audit_row(created))  # `after` in clear
    under_old = RowSealer(OLD, AUDIT_SUMMARIES).seal(tr.audit_row(created), created.id)
    assert not sealer.is_current(under_old)


def test_a_summary_moved_to_another_entry_or_column_does_not_open() -> None:
    sealer = RowSealer(NEW_AND_OLD, AUDIT_SUMMARIES)
    sealed = sealer.seal(tr.audit_row(MODIFY), MODIFY.id)

    with pytest.raises(FieldCryptoError, match=r"audit_log\.before:aud_other holds a token"):
        sealer.open({**sealed, "id": "aud_other"})
    with pytest.raises(FieldCryptoError, match=rf"audit_log\.after:{MODIFY.id} holds a token"):
        sealer.open({**sealed, "after": sealed["before"]})


def test_an_answer_is_bound_to_its_owner_and_its_key() -> None:
    sealer = RowSealer(NEW_AND_OLD, IDEMPOTENCY_ANSWERS)

    sealed = sealer.seal(ANSWER, IDEMPOTENCY_ANSWERS.row_id(ANSWER))

    assert sealed["response"].startswith("enc:v1:new:") and "ada@" not in sealed["response"]
    assert sealer.open(sealed) == ANSWER
    with pytest.raises(FieldCryptoError, match=r'idempotency_keys\.response:\["k-pos",'):
        sealer.open({**sealed, "owner": "k-pos"})
    # No separator could keep `a/b` + `c` apart from `a` + `b/c`: the id is a JSON list.
    assert IDEMPOTENCY_ANSWERS.row_id({"owner": "a/b", "key": "c"}) != (
        IDEMPOTENCY_ANSWERS.row_id({"owner": "a", "key": "b/c"})
    )


def test_a_decryption_writes_summaries_and_answers_back_as_they_were_written() -> None:
    plain = tr.audit_row(MODIFY)
    sealed = RowSealer(OLD, AUDIT_SUMMARIES).seal(plain, MODIFY.id)
    [summaries] = [r for r in opening(NEW_AND_OLD) if r.table.name == "audit_log"]
    [answers] = [r for r in opening(NEW_AND_OLD) if r.table.name == "idempotency_keys"]
    sealed_answer = RowSealer(OLD, IDEMPOTENCY_ANSWERS).seal(ANSWER, '["k-web","create-1"]')

    assert summaries.keys == ("id",) and answers.keys == ("owner", "key")
    assert not summaries.is_done(sealed) and summaries.is_done(plain)
    assert {c: summaries.rewritten(sealed)[c] for c in summaries.columns} == {
        "before": MODIFY.before,
        "after": MODIFY.after,
    }
    assert answers.rewritten(sealed_answer)["response"] == ANSWER["response"]
    [reseal] = [r for r in resealing(NEW_AND_OLD) if r.table.name == "idempotency_keys"]
    assert reseal.rewritten(sealed_answer)["response"].startswith("enc:v1:new:")
