"""A trading partner's 997 for the documents Ordo sent, read: each set it names by Ordo's
group and set control numbers, with its AK501 (or, for a group acknowledged without AK2, its
AK901) and the partner's error codes; and a 997 that cannot be read refused, naming each
segment and element at fault."""

from __future__ import annotations

import pytest

from connectors.channels import x12
from connectors.channels.x12_functional_acks import FunctionalAckError, SetAck, read
from engine.domain.edi import Pair

ISA = (
    "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*ORDO           *261124*1600*U*00401"
    "*000000077*0*T*>~"
)


def a_997(*body: str, kind: str = "997", group: str = "FA") -> str:
    """An interchange from the partner to Ordo of one set with `body` between ST and SE."""
    segments = [f"ST*{kind}*0001", *body]
    return (
        f"{ISA}GS*{group}*BUYERCO*ORDO*20261124*1600*77*X*004010~"
        + "".join(f"{segment}~" for segment in segments)
        + f"SE*{len(segments) + 1}*0001~GE*1*77~IEA*1*000000077~"
    )


def refused(text: str) -> list[str]:
    with pytest.raises(FunctionalAckError) as caught:
        read(text)
    return [str(error) for error in caught.value.errors]


def test_a_rejected_856_is_named_by_its_group_and_set_with_the_partners_codes() -> None:
    text = a_997("AK1*SH*2", "AK2*856*0001", "AK3*TD5*5**8", "AK4*3**7*SWX", "AK5*R*5",
                 "AK9*R*1*1*0")  # fmt: skip
    acknowledgement = read(text)

    [rejected] = acknowledgement.sets
    assert (rejected.functional_id, rejected.group_control_number) == ("SH", 2)
    assert (rejected.kind, rejected.control_number, rejected.code) == ("856", "0001", "R")
    assert rejected.codes == ("AK304=8 (TD5, segment 5 of the set)", "AK403=7 (TD5*03)", "AK502=5")
    assert not rejected.accepted
    assert str(rejected.place) == "segment 5 (AK2)"
    # From the partner to Ordo: the pair Ordo's interchanges to them are counted under.
    assert acknowledgement.interchange.envelope.pair == Pair("ZZ", "ORDO", "ZZ", "BUYERCO")


def test_several_groups_in_one_set_each_and_a_group_without_ak2_takes_its_ak9() -> None:
    first = a_997("AK1*PR*3", "AK2*855*0001", "AK5*E", "AK9*E*1*1*1")
    groups = first.replace(
        "GE*1*77~",
        "GE*1*77~GS*FA*BUYERCO*ORDO*20261124*1600*78*X*004010~ST*997*0002~AK1*SH*4~"
        "AK9*A*1*1*1~SE*4*0002~GE*1*78~",
    ).replace("IEA*1*", "IEA*2*")

    sets = read(groups).sets
    assert [(s.functional_id, s.group_control_number, s.kind, s.code) for s in sets] == [
        ("PR", 3, "855", "E"),
        ("SH", 4, "", "A"),
    ]
    assert all(s.accepted for s in sets)
    assert sets[1] == SetAck(sets[1].place, "SH", 4, "", "", "A", ())


def test_a_group_rejected_as_a_whole_gives_each_set_its_ak9_codes() -> None:
    [named] = read(a_997("AK1*SH*2", "AK2*856*0001", "AK5*R", "AK9*R*1*1*0*4")).sets
    assert (named.code, named.codes) == ("R", ("AK905=4",))


def test_a_997_that_cannot_be_read_names_each_segment_and_element_at_fault() -> None:
    assert refused(a_997("AK1*SH*2", "AK2*856*0001", "AK5*Q", "AK9*Z*1*1*0")) == [
        "segment 6 (AK5), element 01: transaction set acknowledgement code 'Q' is not one of "
        "A, E, M, R, W, X",
        "segment 7 (AK9), element 01: functional group acknowledge code 'Z' is not one of "
        "A, E, M, P, R, W, X",
    ]
    assert refused(a_997("AK1*SH*two", "AK2*856*0001", "AK5*A", "AK9*A*1*1*1")) == [
        "segment 4 (AK1), element 02: group control number 'two' is not 1 to 9 digits"
    ]
    assert refused(a_997("AK1*SH*2", "AK2*856*0001", "AK9*R*1*1*0")) == [
        "segment 5 (AK2): has no AK5 closing its loop"
    ]
    assert refused(a_997("AK1*SH*2", "AK2*856*0001", "AK5*A")) == [
        "segment 3 (ST): has no AK9 closing it: a 997 says what became of the group in AK9"
    ]
    assert refused(a_997("AK2*856*0001", "AK5*A", "AK9*A*1*1*1")) == [
        "segment 3 (ST): has no AK1 after ST: a 997 names the group it answers"
    ]
    assert refused(a_997("AK1*SH*2", "AK9*P*1*1*0")) == [
        "segment 5 (AK9), element 01: 'P' (partially accepted) names no transaction set: say "
        "which in AK2 and AK5"
    ]
    assert refused(a_997("AK1*SH*2", "AK1*PR*3", "AK9*A*1*1*1")) == [
        "segment 5 (AK1): a second AK1: a 997 set answers one group; send a set per group"
    ]
    assert refused(a_997("AK1*SH*2", "BAK*00", "AK9*A*1*1*1")) == [
        "segment 5 (BAK): 'BAK' is not a segment of a 997 (AK1, AK2, AK3, AK4, AK5, AK9)"
    ]


def test_an_850_or_a_po_group_posted_as_a_997_is_refused_as_not_a_997() -> None:
    assert refused(a_997("BEG*00*SA*PO-1", kind="850", group="PO")) == [
        "segment 2 (GS), element 01: functional group 'PO' is not taken: Ordo reads functional "
        "acknowledgements (FA)",
        "segment 3 (ST), element 01: transaction set '850' is not taken: Ordo reads 997 "
        "functional acknowledgements",
    ]


def test_a_997_whose_trailer_disagrees_with_its_header_is_refused() -> None:
    text = a_997("AK1*SH*2", "AK9*A*1*1*1").replace("SE*4*0001", "SE*9*0001")
    assert refused(text) == [
        "segment 6 (SE), element 01: says '9' segments; the set has 4, ST and SE included"
    ]


def test_a_body_that_is_no_interchange_is_an_x12_error() -> None:
    with pytest.raises(x12.X12Error, match="does not start with an ISA segment"):
        read("AK1*SH*2~")
