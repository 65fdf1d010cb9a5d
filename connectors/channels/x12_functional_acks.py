"""A trading partner's 997 functional acknowledgement of what Ordo sent them (855s, 856s):
which of Ordo's transaction sets the partner's translator accepted and which it rejected,
with its error codes.

`read` takes the 997's text: its envelope is read by `x12.parse` (FA groups of 997 sets),
then each 997 as X12 004010 lays it out: AK1 (the group Ordo sent: its functional id and
control number), for each set in it an AK2 loop (AK2: the set's id and control number; AK3
per segment in error with its AK4s per element; AK5: the set's code and error codes), then
AK9 (the group's code and error codes). A group acknowledged without AK2 loops has AK9 say
what became of every set in it. What cannot be read raises `X12Error` (the envelope) or
`FunctionalAckError`, naming every segment and element at fault, as the 850 reader does.
Which of Ordo's documents each names is for the caller to find (engine.service_layer.edi).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.channels.x12 import (
    FUNCTIONAL_ACKNOWLEDGEMENTS,
    EdiError,
    Interchange,
    Place,
    Segment,
    TransactionSet,
    parse,
)

# AK501: accepted, accepted with errors noted, and the ways of rejecting (R, and the security
# ones: M authentication, W validity, X decryption). AK901 adds P, partially accepted.
ACCEPTED_CODES = frozenset({"A", "E"})
SET_CODES = frozenset({"A", "E", "M", "R", "W", "X"})
GROUP_CODES = SET_CODES | {"P"}
# AK5 and AK9 carry up to five error codes each (AK502-AK506, AK905-AK909).
_SET_ERRORS, _GROUP_ERRORS = range(2, 7), range(5, 10)
# What may stand between AK1 and AK9: the AK2 loops.
_LOOP_TAGS = frozenset({"AK2", "AK3", "AK4", "AK5"})


@dataclass(frozen=True, slots=True)
class SetAck:
    """What a 997 says of one transaction set Ordo sent: the group it came in (AK101 the
    functional id, AK102 the control number, which is the interchange's too), the set
    (AK201, AK202; both "" for a group acknowledged without AK2: every set of it), the code
    (AK501, else AK901), and the error codes the partner gave, as `AK502=5` or
    `AK304=8 (TD5, segment 7 of the set)`. `place` is the AK2 (or the AK1) naming it."""

    place: Place
    functional_id: str
    group_control_number: int
    kind: str
    control_number: str
    code: str
    codes: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.code in ACCEPTED_CODES


@dataclass(frozen=True, slots=True)
class FunctionalAcknowledgement:
    """A partner's interchange of 997s, and each set of Ordo's they name, in order."""

    interchange: Interchange
    sets: tuple[SetAck, ...]


class FunctionalAckError(Exception):
    """The 997 cannot be read: every segment and element at fault."""

    def __init__(self, errors: Sequence[EdiError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


def read(text: str) -> FunctionalAcknowledgement:
    """The 997s in `text`, or `X12Error` (no envelope to read) or `FunctionalAckError`."""
    interchange = parse(text, FUNCTIONAL_ACKNOWLEDGEMENTS)
    errors: list[EdiError] = []
    sets: list[SetAck] = []
    for group in interchange.groups:
        errors.extend(group.errors)
        for tset in group.transaction_sets:
            errors.extend(tset.errors)
            if not tset.errors:
                reader = _Reader(tset)
                reader.read()
                errors.extend(reader.errors)
                sets.extend(reader.sets)
    if errors:
        raise FunctionalAckError(errors)
    return FunctionalAcknowledgement(interchange, tuple(sets))


class _Reader:
    """One 997 transaction set: AK1, AK2 loops, AK9, each checked where it stands."""

    def __init__(self, tset: TransactionSet) -> None:
        self.tset = tset
        self.errors: list[EdiError] = []
        self.sets: list[SetAck] = []

    def fail(self, place: Place, message: str, code: str = "7", value: str = "") -> None:
        self.errors.append(EdiError(place, message, "element", code, value))

    def fail_segment(self, place: Place, message: str, code: str = "2") -> None:
        self.errors.append(EdiError(place, message, "segment", code))

    def read(self) -> None:
        body = list(self.tset.segments[1:-1])
        st = self.tset.segments[0]
        if not body or body[0].tag != "AK1":
            self.fail_segment(st.at(), "has no AK1 after ST: a 997 names the group it answers", "3")
            return
        ak1, rest = body[0], body[1:]
        functional_id, number = ak1.get(1), ak1.get(2)
        if not functional_id:
            self.fail(ak1.at(1), "the functional identifier code is empty", "1")
        if not (number.isdigit() and len(number) <= 9):
            said = f"group control number {number!r} is not 1 to 9 digits"
            self.fail(ak1.at(2), said, "6" if number else "1", number)
        if rest and rest[-1].tag == "AK9":
            loops, ak9 = rest[:-1], rest[-1]
        else:
            said = "has no AK9 closing it: a 997 says what became of the group in AK9"
            self.fail_segment(st.at(), said, "3")
            loops, ak9 = rest, None
        named = self.loops(loops)
        group = self.group_code(ak9, bool(named)) if ak9 is not None else None
        if self.errors or group is None:
            return
        group_number = int(number)
        if not named:  # the group as a whole: AK9 says what became of each set of it
            code, codes = group
            self.sets.append(SetAck(ak1.at(), functional_id, group_number, "", "", code, codes))
        for at, kind, control, code, codes in named:
            codes = (*codes, *group[1])
            self.sets.append(SetAck(at, functional_id, group_number, kind, control, code, codes))

    def loops(
        self, segments: Sequence[Segment]
    ) -> list[tuple[Place, str, str, str, tuple[str, ...]]]:
        """Each AK2 loop: where its AK2 is, the set's id and control number, AK501, and the
        error codes of its AK3s, AK4s and AK5."""
        named: list[tuple[Place, str, str, str, tuple[str, ...]]] = []
        ak2: Segment | None = None
        codes: list[str] = []
        errored = ""  # the segment id of the last AK3, which its AK4s are about
        for segment in segments:
            tag = segment.tag
            if tag in ("AK1", "AK9"):
                said = f"a second {tag}: a 997 set answers one group; send a set per group"
                self.fail_segment(segment.at(), said)
            elif tag not in _LOOP_TAGS:
                said = f"{tag!r} is not a segment of a 997 (AK1, AK2, AK3, AK4, AK5, AK9)"
                self.fail_segment(segment.at(), said, "1")
            elif tag == "AK2":
                if ak2 is not None:
                    self.fail_segment(ak2.at(), "has no AK5 before the next AK2", "3")
                ak2, codes = segment, []
                for element, what in ((1, "transaction set identifier"), (2, "control number")):
                    if not segment.get(element):
                        self.fail(segment.at(element), f"the {what} is empty", "1")
            elif ak2 is None:
                said = f"{tag} is outside an AK2 loop: after AK1, an AK2 or the AK9 comes next"
                self.fail_segment(segment.at(), said)
            elif tag == "AK3":
                errored = segment.get(1)
                if segment.get(4):  # optional: its AK4s may say it all
                    where = f"{errored}, segment {segment.get(2)} of the set"
                    codes.append(f"AK304={segment.get(4)} ({where})")
            elif tag == "AK4":
                where = f"{errored}*{segment.get(1).zfill(2)}" if errored else segment.get(1)
                codes.append(f"AK403={segment.get(3)} ({where})")
            elif tag == "AK5":
                code = segment.get(1)
                if code not in SET_CODES:
                    said = f"transaction set acknowledgement code {code!r} is not one of "
                    self.fail(segment.at(1), said + ", ".join(sorted(SET_CODES)), value=code)
                codes += [f"AK50{i}={segment.get(i)}" for i in _SET_ERRORS if segment.get(i)]
                named.append((ak2.at(), ak2.get(1), ak2.get(2), code, tuple(codes)))
                ak2 = None
        if ak2 is not None:
            self.fail_segment(ak2.at(), "has no AK5 closing its loop", "3")
        return named

    def group_code(self, ak9: Segment, named: bool) -> tuple[str, tuple[str, ...]] | None:
        """AK901 and the group's error codes; None when AK9 cannot say what became of it."""
        code = ak9.get(1)
        if code not in GROUP_CODES:
            said = f"functional group acknowledge code {code!r} is not one of "
            self.fail(ak9.at(1), said + ", ".join(sorted(GROUP_CODES)), value=code)
            return None
        if code == "P" and not named:
            said = "'P' (partially accepted) names no transaction set: say which in AK2 and AK5"
            self.fail(ak9.at(1), said, value=code)
            return None
        return code, tuple(f"AK9{i:02d}={ak9.get(i)}" for i in _GROUP_ERRORS if ak9.get(i))
