"""Patterns for `matches`, with a cost that is bounded by construction.

Python's `re` backtracks: `(a+)+$` on forty `a`s and a `b` runs for minutes, and no cap on the
pattern's length prevents that. Rules are written by analysts and run on every order, so `matches`
uses this small engine instead: the pattern is compiled to an NFA and run as a lazily built DFA,
which takes time proportional to len(pattern) x len(text) at worst and len(text) once warm.

Supported: literals, `.`, classes `[a-z0-9_]` and `[^...]`, escapes `\\d \\w \\s \\D \\W \\S`
and escaped punctuation, groups `( )` and `(?: )`, alternation `|`, quantifiers `* + ?` and
`{n}`, `{n,}`, `{n,m}`, anchors `^` and `$`. Not supported (rejected with a message):
backreferences and lookarounds, which no linear-time engine can offer. A match is searched
anywhere in the text, like `re.search`; anchor with `^...$` to test the whole text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PATTERN = 200
MAX_PROGRAM = 600
MAX_TEXT = 10_000
MAX_REPEAT = 100
_CACHE_LIMIT = 4096


class PatternError(ValueError):
    """The pattern cannot be used; `offset` is the character of the pattern at fault."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.offset = offset


# Instructions: ("set", negate, chars, ranges) | ("any",) | ("split", a, b) | ("jmp", a)
#               | ("bol",) | ("eol",) | ("match",)
Instr = tuple[object, ...]

_DIGITS = ((48, 57),)
_WORD = ((48, 57), (65, 90), (97, 122), (95, 95))
_SPACE = ((9, 13), (32, 32))
_CLASSES = {"d": (False, _DIGITS), "D": (True, _DIGITS), "w": (False, _WORD),
            "W": (True, _WORD), "s": (False, _SPACE), "S": (True, _SPACE)}


@dataclass
class Regex:
    """A compiled pattern; `search(text)` tells whether it matches anywhere in `text`."""

    pattern: str
    program: list[Instr]
    _start: frozenset[int] = field(default_factory=frozenset)
    _cache: dict[tuple[frozenset[int], str], frozenset[int]] = field(default_factory=dict)
    # Whether a state accepts (before the next character, and at the end of the text): asked
    # at every character of every text, and the few states of a warm DFA repeat.
    _accepting: dict[frozenset[int], bool] = field(default_factory=dict, compare=False, repr=False)
    _final: dict[frozenset[int], bool] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._start = self._closure({0}, at_start=True)
        self._restart = self._closure({0}, at_start=False)

    def search(self, text: str) -> bool:
        if len(text) > MAX_TEXT:
            return False
        state = self._start
        accepting, cache = self._accepting, self._cache
        for char in text:
            accepts = accepting.get(state)
            if accepts is None:
                if len(accepting) > _CACHE_LIMIT:
                    accepting.clear()
                accepts = accepting[state] = self._accepts(state)
            if accepts:
                return True
            key = (state, char)
            nxt = cache.get(key)
            if nxt is None:
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                nxt = self._step(state, char)
                cache[key] = nxt
            state = nxt
        final = self._final.get(state)
        if final is None:
            if len(self._final) > _CACHE_LIMIT:
                self._final.clear()
            final = self._final[state] = self._accepts(state) or self._accepts_at_end(state)
        return final

    def _accepts(self, state: frozenset[int]) -> bool:
        return any(self.program[pc][0] == "match" for pc in state)

    def _accepts_at_end(self, state: frozenset[int]) -> bool:
        ends = {pc + 1 for pc in state if self.program[pc][0] == "eol"}
        return self._accepts(self._closure(ends, at_start=False, at_end=True)) if ends else False

    def _step(self, state: frozenset[int], char: str) -> frozenset[int]:
        code = ord(char)
        moved = set()
        for pc in state:
            instr = self.program[pc]
            if instr[0] == "any" or (instr[0] == "set" and _in_set(instr, char, code)):
                moved.add(pc + 1)
        # Unanchored search: a new attempt starts at every position.
        return self._closure(moved, at_start=False) | self._restart

    def _closure(self, pcs: set[int], *, at_start: bool, at_end: bool = False) -> frozenset[int]:
        seen: set[int] = set()
        stack = list(pcs)
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = self.program[pc]
            if op[0] == "split":
                stack.extend((int(op[1]), int(op[2])))  # type: ignore[call-overload]
            elif op[0] == "jmp":
                stack.append(int(op[1]))  # type: ignore[call-overload]
            elif (op[0] == "bol" and at_start) or (op[0] == "eol" and at_end):
                stack.append(pc + 1)
        return frozenset(seen)


def _in_set(instr: Instr, char: str, code: int) -> bool:
    _, negate, chars, ranges = instr
    assert isinstance(chars, frozenset) and isinstance(ranges, tuple)
    hit = char in chars or any(lo <= code <= hi for lo, hi in ranges)
    return hit != negate


# ------------------------------------------------------------------------------ pattern parsing
# The parser builds a small tree: ("seq", [..]) ("alt", [..]) ("rep", node, min, max|None)
# ("set", ...) ("any",) ("bol",) ("eol",), then `_emit` lays it out as instructions.
Tree = tuple[object, ...]


def compile_pattern(pattern: str) -> Regex:
    """Compile `pattern`, or raise PatternError saying what is not allowed and where."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN} characters", MAX_PATTERN)
    parser = _PatternParser(pattern)
    tree = parser.alternation()
    if parser.pos < len(pattern):
        raise PatternError("unbalanced `)` in the pattern", parser.pos)
    program: list[Instr] = []
    _emit(tree, program)
    program.append(("match",))
    if len(program) > MAX_PROGRAM:
        raise PatternError("the pattern is too complex (repeat counts multiply its size)", 0)
    return Regex(pattern, program)


class _PatternParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def alternation(self) -> Tree:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence())
        return ("alt", branches) if len(branches) > 1 else branches[0]

    def sequence(self) -> Tree:
        items: list[Tree] = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.repeat(self.atom()))
        return ("seq", items)

    def repeat(self, node: Tree) -> Tree:
        char = self.peek()
        bounds: tuple[int, int | None] | None = None
        if char and char in "*+?":
            self.pos += 1
            bounds = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif char == "{" and self._looks_like_count():
            bounds = self._count()
        if bounds is None:
            return node
        if self.peek() == "?":  # lazy and greedy agree when only "does it match" is asked
            self.pos += 1
        nxt = self.peek()
        if nxt in ("*", "+", "?") or (nxt == "{" and self._looks_like_count()):
            raise PatternError("two quantifiers in a row", self.pos)
        return ("rep", node, bounds[0], bounds[1])

    def _looks_like_count(self) -> bool:
        end = self.text.find("}", self.pos)
        body = self.text[self.pos + 1:end] if end > 0 else ""
        return bool(body) and all(c.isdigit() or c == "," for c in body) and body[0] != ","

    def _count(self) -> tuple[int, int | None]:
        start = self.pos
        end = self.text.index("}", self.pos)
        body = self.text[self.pos + 1:end]
        self.pos = end + 1
        low_text, _, high_text = body.partition(",")
        low = int(low_text)
        high = low if "," not in body else (int(high_text) if high_text else None)
        if low > MAX_REPEAT or (high is not None and (high > MAX_REPEAT or high < low)):
            raise PatternError(f"repeat counts must be between 0 and {MAX_REPEAT}", start)
        return low, high

    def atom(self) -> Tree:
        start = self.pos
        char = self.take()
        if char == "(":
            if self.text.startswith("?:", self.pos):
                self.pos += 2
            elif self.peek() == "?":
                raise PatternError("lookarounds and named groups are not supported", start)
            inner = self.alternation()
            if self.take() != ")":
                raise PatternError("missing `)` in the pattern", start)
            return inner
        if char == ".":
            return ("any",)
        if char == "^":
            return ("bol",)
        if char == "$":
            return ("eol",)
        if char == "[":
            return self.char_class(start)
        if char == "\\":
            return self.escape(start)
        if char in "*+?":
            raise PatternError(f"`{char}` has nothing to repeat", start)
        return ("set", False, frozenset(char), ())

    def escape(self, start: int) -> Tree:
        char = self.take()
        if not char:
            raise PatternError("the pattern ends with `\\`", start)
        if char in _CLASSES:
            negate, ranges = _CLASSES[char]
            return ("set", negate, frozenset(), ranges)
        if char.isdigit() or char in "bBAZ":
            raise PatternError(f"`\\{char}` is not supported in patterns", start)
        literal = {"n": "\n", "t": "\t"}.get(char, char)
        return ("set", False, frozenset(literal), ())

    def char_class(self, start: int) -> Tree:
        negate = self.peek() == "^"
        if negate:
            self.pos += 1
        chars: set[str] = set()
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            char = self.take()
            if not char:
                raise PatternError("missing `]` in the pattern", start)
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                escaped = self.take()
                if escaped in _CLASSES and not _CLASSES[escaped][0]:
                    ranges.extend(_CLASSES[escaped][1])
                    continue
                if escaped in _CLASSES or not escaped:
                    raise PatternError(f"`\\{escaped}` cannot be used inside [...]", start)
                char = {"n": "\n", "t": "\t"}.get(escaped, escaped)
            if self.peek() == "-" and self.text[self.pos + 1:self.pos + 2] not in ("]", ""):
                self.pos += 1
                high = self.take()
                if high == "\\":
                    high = self.take()
                if ord(high) < ord(char):
                    raise PatternError(f"the range `{char}-{high}` is backwards", start)
                ranges.append((ord(char), ord(high)))
            else:
                chars.add(char)
        return ("set", negate, frozenset(chars), tuple(ranges))


def _emit(tree: Tree, out: list[Instr]) -> None:
    kind = tree[0]
    if kind == "seq":
        for item in tree[1]:  # type: ignore[attr-defined]
            _emit(item, out)
    elif kind == "alt":
        branches: list[Tree] = tree[1]  # type: ignore[assignment]
        jumps: list[int] = []
        for index, branch in enumerate(branches):
            if index < len(branches) - 1:
                split_at = len(out)
                out.append(("split", split_at + 1, -1))
                _emit(branch, out)
                jumps.append(len(out))
                out.append(("jmp", -1))
                out[split_at] = ("split", split_at + 1, len(out))
            else:
                _emit(branch, out)
        for at in jumps:
            out[at] = ("jmp", len(out))
    elif kind == "rep":
        _, node, low, high = tree
        for _ in range(low):  # type: ignore[call-overload]
            _emit(node, out)  # type: ignore[arg-type]
            _guard(out)
        if high is None:
            loop = len(out)
            out.append(("split", loop + 1, -1))
            _emit(node, out)  # type: ignore[arg-type]
            out.append(("jmp", loop))
            out[loop] = ("split", loop + 1, len(out))
        else:
            for _ in range(high - low):  # type: ignore[operator]
                split_at = len(out)
                out.append(("split", split_at + 1, -1))
                _emit(node, out)  # type: ignore[arg-type]
                out[split_at] = ("split", split_at + 1, len(out))
                _guard(out)
    else:
        out.append(tree)


def _guard(out: list[Instr]) -> None:
    # Nested counts multiply; stop expanding as soon as the program is too big to keep.
    if len(out) > MAX_PROGRAM:
        raise PatternError("the pattern is too complex (repeat counts multiply its size)", 0)
