"""An interchange mixing 850 (`PO`) and 860 (`PC`) functional groups, as either door reads
it: each group is read by the reader its GS01 names, sorted 850s first whatever order they
came in, and a group of any other kind is refused alone (AK9 note 1) with the door's own."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.channels import x12, x12_outbound
from connectors.channels.x12_po_changes import ORDERS_AND_CHANGES, PO_CHANGES

AT = datetime(2026, 11, 22, 9, 10, tzinfo=UTC)
AN_850 = ("850", ["BEG*00*SA*PO-1001**20261121", "N1*ST*Ada", "N4*NY*NY*10001", "PO1*1*2*EA"])
AN_860 = ("860", ["BCH*04*SA*PO-1001**1*20261121", "POC*1*QD*1**EA"])


def group(functional_id: str, control: str, *sets: tuple[str, list[str]]) -> list[str]:
    """One functional group holding `sets` (each its ST01 and the segments between ST and
    SE), its counts and control numbers right."""
    segments = [f"GS*{functional_id}*BUYERCO*ORDO*20261122*0905*{control}*X*004010"]
    for number, (kind, body) in enumerate(sets, start=1):
        st = f"{number:04d}"
        segments += [f"ST*{kind}*{st}", *body, f"SE*{len(body) + 2}*{st}"]
    return [*segments, f"GE*{len(sets)}*{control}"]


def interchange(*groups: list[str]) -> str:
    segments = [
        "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261122*0905*U"
        "*00401*000000907*0*T*>",
        *(segment for g in groups for segment in g),
        f"IEA*{len(groups)}*000000907",
    ]
    return "~\n".join(segments) + "~\n"


def errors(found: x12.Group) -> list[tuple[str, str, str]]:
    said = [*found.errors, *(e for tset in found.transaction_sets for e in tset.errors)]
    return [(e.scope, e.code, e.message) for e in said]


def test_each_group_is_read_by_the_reader_its_functional_id_names() -> None:
    text = interchange(group("PO", "1", AN_850), group("PC", "2", AN_860))
    orders, changes = x12.parse(text, ORDERS_AND_CHANGES).groups
    assert (orders.functional_id, errors(orders)) == ("PO", [])
    assert (changes.functional_id, errors(changes)) == ("PC", [])


def test_the_850_groups_are_taken_first_whatever_order_the_groups_came_in() -> None:
    text = interchange(group("PC", "1", AN_860), group("PO", "2", AN_850), group("PC", "3", AN_860))
    found = x12.parse(text, ORDERS_AND_CHANGES)
    split = x12.by_kind(found, ORDERS_AND_CHANGES, PO_CHANGES)
    assert list(split) == [x12.PURCHASE_ORDERS, PO_CHANGES]
    assert [g.control_number for g in split[x12.PURCHASE_ORDERS]] == ["2"]
    assert [g.control_number for g in split[PO_CHANGES]] == ["1", "3"]


def test_a_group_of_another_kind_is_refused_alone_and_goes_with_the_doors_own_kind() -> None:
    invoices = group("IN", "3", ("810", ["BIG*20261122*INV-1"]))
    text = interchange(group("PO", "1", AN_850), invoices, group("PC", "2", AN_860))
    found = x12.parse(text, ORDERS_AND_CHANGES)
    orders, other, changes = found.groups
    assert errors(orders) == errors(changes) == []
    assert [(scope, code) for scope, code, _ in errors(other)] == [("group", "1"), ("set", "1")]
    assert errors(other)[0][2] == (
        "functional group 'IN' is not taken: Ordo reads purchase orders (PO) or purchase "
        "order changes (PC)"
    )
    at_orders_door = x12.by_kind(found, ORDERS_AND_CHANGES, x12.PURCHASE_ORDERS)
    assert at_orders_door[x12.PURCHASE_ORDERS] == (orders, other)
    assert at_orders_door[PO_CHANGES] == (changes,)
    at_changes_door = x12.by_kind(found, ORDERS_AND_CHANGES, PO_CHANGES)
    assert at_changes_door[x12.PURCHASE_ORDERS] == (orders,)
    assert at_changes_door[PO_CHANGES] == (other, changes)


def test_a_set_of_the_other_kind_inside_a_group_is_refused_as_its_group_reads() -> None:
    text = interchange(group("PC", "1", AN_860, AN_850))
    [changes] = x12.parse(text, ORDERS_AND_CHANGES).groups
    assert errors(changes) == [
        ("set", "1", "transaction set '850' is not taken: Ordo reads 860 purchase order changes")
    ]


def test_the_997_answers_each_group_of_a_mixed_interchange_in_its_own_set() -> None:
    invoices = group("IN", "3", ("810", ["BIG*20261122*INV-1"]))
    text = interchange(group("PC", "1", AN_860), group("PO", "2", AN_850), invoices)
    found = x12.parse(text, ORDERS_AND_CHANGES)
    changes, orders, _ = found.groups
    outcomes = [
        x12_outbound.Outcome(orders.transaction_sets[0], True),
        x12_outbound.Outcome(changes.transaction_sets[0], True),
    ]
    ack = x12_outbound.acknowledgement(found, outcomes, control_number=7, at=AT)
    sets = x12.parse(ack, x12.FUNCTIONAL_ACKNOWLEDGEMENTS).groups[0].transaction_sets
    said = [[s.tag, *s.elements] for tset in sets for s in tset.segments[1:-1]]
    assert said == [
        ["AK1", "PC", "1"], ["AK2", "860", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"],
        ["AK1", "PO", "2"], ["AK2", "850", "0001"], ["AK5", "A"], ["AK9", "A", "1", "1", "1"],
        ["AK1", "IN", "3"], ["AK9", "R", "1", "1", "0", "1"],
    ]  # fmt: skip
