"""The X12 envelope: delimiters read from the ISA segment, groups and transaction sets found,
every control number and count checked, and the 997 written for what became of each set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.channels import x12, x12_outbound

SAMPLE = (Path(__file__).parent / "x12_850_sample.edi").read_text()
AT = datetime(2026, 11, 21, 18, 5, tzinfo=UTC)


def swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def error_of(text: str) -> str:
    with pytest.raises(x12.X12Error) as raised:
        x12.parse(text)
    return str(raised.value)


def two_sets() -> str:
    """The sample with a second, identical 850 (control number 0002) after the first."""
    start, end = SAMPLE.index("ST*850*0001~"), SAMPLE.index("GE*1*905~")
    second = SAMPLE[start:end].replace("*0001~", "*0002~").replace("PO-1001", "PO-1002")
    return SAMPLE[:end] + second + "GE*2*905~\nIEA*1*000000905~\n"


def test_the_sample_is_read_into_its_group_and_transaction_set() -> None:
    interchange = x12.parse(SAMPLE)
    assert interchange.delimiters == x12.Delimiters("*", ">", "~")
    assert interchange.control_number == "000000905"
    [group] = interchange.groups
    assert (group.functional_id, group.control_number, group.errors) == ("PO", "905", ())
    [tset] = group.transaction_sets
    assert (tset.kind, tset.control_number, tset.errors) == ("850", "0001", ())
    assert [s.tag for s in tset.segments][:3] == ["ST", "BEG", "CUR"]
    assert (tset.segments[0].position, tset.segments[-1].position) == (3, 18)


def test_the_delimiters_are_whatever_the_isa_segment_uses() -> None:
    text = SAMPLE.replace("~\n", "\n").replace("*", "|").replace(">", "^")
    interchange = x12.parse(text)
    assert interchange.delimiters == x12.Delimiters("|", "^", "\n")
    [tset] = interchange.groups[0].transaction_sets
    assert tset.errors == ()
    assert [s.get(7) for s in tset.segments if s.tag == "PO1"] == ["SHOE-42", "B-77"]


def test_line_breaks_after_the_terminator_are_not_data_whichever_they_are() -> None:
    for text in (SAMPLE.replace("~\n", "~\r\n"), SAMPLE.replace("~\n", "~")):
        [tset] = x12.parse(text).groups[0].transaction_sets
        assert tset.errors == ()
        assert tset.segments[-2].elements == ("2",)


def test_a_body_that_is_not_an_interchange_is_refused_at_segment_1() -> None:
    assert error_of('{"orders": []}') == (
        "segment 1 (ISA): the body does not start with an ISA segment; send one X12 "
        "interchange (ISA ... IEA)"
    )


def test_delimiters_that_are_letters_or_repeat_each_other_are_refused() -> None:
    assert "include a letter or digit" in error_of(swap(SAMPLE, "*T*>~", "*T*A~"))
    assert "must differ" in error_of(swap(SAMPLE, "*T*>~", "*T*~~"))


def test_an_iea_control_number_that_differs_from_isa13_is_refused() -> None:
    text = swap(SAMPLE, "IEA*1*000000905", "IEA*1*000000906")
    assert error_of(text) == (
        "segment 20 (IEA), element 02: interchange control number '000000906' does not "
        "match ISA13 '000000905'"
    )


def test_an_iea_group_count_that_is_wrong_is_refused() -> None:
    text = swap(SAMPLE, "IEA*1*", "IEA*2*")
    assert error_of(text) == (
        "segment 20 (IEA), element 01: says '2' functional groups; the interchange has 1"
    )


def test_a_ge_control_number_that_differs_from_gs06_rejects_the_group() -> None:
    [group] = x12.parse(swap(SAMPLE, "GE*1*905", "GE*1*906")).groups
    [error] = group.errors
    assert (str(error.place), error.scope, error.code) == (
        "segment 19 (GE), element 02",
        "group",
        "4",
    )
    assert error.message == "group control number '906' does not match GS06 '905'"


def test_a_ge_set_count_that_is_wrong_rejects_the_group() -> None:
    [group] = x12.parse(swap(SAMPLE, "GE*1*905", "GE*3*905")).groups
    [error] = group.errors
    assert (error.place.ref, error.code, group.included) == ("GE*01", "5", 3)


def test_an_se_control_number_that_differs_from_st02_rejects_the_transaction_set() -> None:
    [tset] = x12.parse(swap(SAMPLE, "SE*16*0001", "SE*16*0009")).groups[0].transaction_sets
    [error] = tset.errors
    assert (str(error.place), error.scope, error.code) == (
        "segment 18 (SE), element 02",
        "set",
        "3",
    )


def test_an_se_segment_count_that_is_wrong_rejects_the_transaction_set() -> None:
    [tset] = x12.parse(swap(SAMPLE, "SE*16*0001", "SE*15*0001")).groups[0].transaction_sets
    [error] = tset.errors
    assert (error.place.ref, error.code) == ("SE*01", "4")
    assert error.message == "says '15' segments; the set has 16, ST and SE included"


def test_a_transaction_set_without_its_se_ends_where_the_next_one_starts() -> None:
    text = two_sets().replace("SE*16*0001~\n", "", 1)
    first, second = x12.parse(text).groups[0].transaction_sets
    assert [(e.place.ref, e.code) for e in first.errors] == [("ST", "2")]
    assert (first.segments[-1].tag, second.errors) == ("CTT", ())


def test_a_transaction_set_other_than_an_850_is_not_taken() -> None:
    [tset] = x12.parse(swap(SAMPLE, "ST*850*", "ST*855*")).groups[0].transaction_sets
    assert [(e.place.ref, e.code) for e in tset.errors] == [("ST*01", "1")]


def test_a_segment_between_transaction_sets_cannot_be_read() -> None:
    text = swap(SAMPLE, "GE*1*905~", "N1*ST*Stray~\nGE*1*905~")
    assert error_of(text).startswith("segment 19 (N1): is outside any transaction set")


def test_a_group_without_its_ge_cannot_be_read() -> None:
    text = swap(SAMPLE, "GE*1*905~\n", "")
    assert error_of(text) == "segment 2 (GS): has no GE trailer before segment 19 (IEA)"


def test_the_997_reads_back_through_the_parser_with_its_counts_right() -> None:
    interchange = x12.parse(two_sets())
    first, second = interchange.groups[0].transaction_sets
    bad = x12.EdiError(
        first.segments[11].at(2), "quantity 'x' is not a number", code="6", value="x"
    )
    outcomes = [x12_outbound.Outcome(first, False, (bad,)), x12_outbound.Outcome(second, True)]
    ack = x12.parse(x12_outbound.acknowledgement(interchange, outcomes, control_number=42, at=AT))
    assert ack.delimiters == interchange.delimiters
    assert ack.control_number == "000000042"
    assert [s.strip() for s in ack.header.elements[4:8]] == ["ZZ", "ORDO", "ZZ", "BUYERCO"]
    [group] = ack.groups
    assert (group.functional_id, group.header.get(2), group.header.get(3)) == (
        "FA",
        "ORDO",
        "BUYERCO",
    )
    # The parser takes purchase orders only, so it notes that this is a 997 group: and
    # nothing else, no control number or count out of place.
    assert [e.code for e in group.errors] == ["1"]
    [tset] = group.transaction_sets
    assert [(e.place.ref, e.code) for e in tset.errors] == [("ST*01", "1")]
    assert [[s.tag, *s.elements] for s in tset.segments[1:-1]] == [
        ["AK1", "PO", "905"],
        ["AK2", "850", "0001"],
        ["AK3", "PO1", "12", "", "8"],
        ["AK4", "2", "", "6", "x"],
        ["AK5", "R", "5"],
        ["AK2", "850", "0002"],
        ["AK5", "A"],
        ["AK9", "P", "2", "2", "1"],
    ]


def test_accepted_with_errors_noted_and_a_rejected_group_are_said_so() -> None:
    noted = x12.parse(SAMPLE)
    [tset] = noted.groups[0].transaction_sets
    note = x12.EdiError(tset.segments[5].at(12), "service level 'AM' is not read", value="AM")
    ack = x12_outbound.acknowledgement(
        noted, [x12_outbound.Outcome(tset, True, (note,))], control_number=1, at=AT
    )
    assert "AK5*E~AK9*E*1*1*1~" in ack
    rejected = x12.parse(swap(SAMPLE, "GE*1*905", "GE*1*906"))
    ack = x12_outbound.acknowledgement(rejected, [], control_number=1, at=AT)
    assert "AK1*PO*905~AK9*R*1*1*0*4~" in ack
