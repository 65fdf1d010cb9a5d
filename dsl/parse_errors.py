"""Parse errors in analyst words: what was expected, what was found, and a hint.

Lark reports terminal names (`THEN`, `COMP_OP`, `$END`); analysts need "expected `then` after
the condition, found `hold`". The specific sentences below cover the mistakes people make;
anything else lists the expected words, spelled as they are written in a ruleset.
"""

from __future__ import annotations

import unicodedata

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dsl.diagnostics import Diagnostic, Reporter, source_lines, suggest

_WORDS = {
    "NAME": "a name",
    "STRING": 'a text in quotes ("...")',
    "NUMBER": "a number",
    "DATE": "a date (YYYY-MM-DD)",
    "COMP_OP": "a comparison (==, !=, <, <=, >, >=)",
    "MUL_OP": "`*`, `/` or `%`",
    "$END": "the end of the file",
}
_ACTIONS = {"REJECT", "HOLD", "REQUIRE", "EXCLUDE", "RESTRICT", "PREFER", "MAX_SHIPMENTS",
            "FALLBACK", "SAFETY_STOCK", "ALLOCATE", "CHOOSE", "ALERT", "OPTIMISE"}
_EXPR_START = {"NAME", "NUMBER", "STRING"}
_SPACE = " \t\r\f\v"  # what the lexer skips between tokens, besides "\n"
_SPECIFIC = [
    ("THEN", "expected `then` after the condition"),
    ("WHEN", "expected `when` and a condition after the rule name"),
    ("RULESET", "expected `ruleset` after the rule kind, e.g. `validation ruleset checks on "
                "order.received`"),
    ("ON", "expected `on` and the event the ruleset reacts to, e.g. `on order.received`"),
    ("CODE", "expected `code` and a reason code in quotes"),
    ("MESSAGE", "expected `message` and a text in quotes"),
    ("WEIGHT", "expected `weight` and a number after the preference"),
    ("SEVERITY", "expected `severity` (low, medium, high or critical)"),
    ("WHERE", "expected `where` and a condition"),
    ("FOR", "expected `for`, as in `sum line.quantity for line in order.lines`"),
    ("WITHIN", "expected `within` and a duration, as in `count within 1 hour`"),
    ("OTHERWISE", "expected another `row` or `otherwise` and the table's default value"),
    ("DEFAULT", "expected `default` and the value for keys not in the table"),
    ("ARROW", "expected `->` and the row's result"),
    ("TO", "expected `to`"),
]


def _word(lark: Lark, name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    try:
        pattern = lark.get_terminal(name).pattern
    except KeyError:
        return name.lower()
    return f"`{pattern.value}`" if pattern.type == "str" else name.lower()


def _found(token: Token, end: str = "the end of the file") -> str:
    if token.type == "$END":
        return end
    text = str(token)
    return f"`{text[:30]}{'...' if len(text) > 30 else ''}`"


def explain(lark: Lark, error: UnexpectedInput, source: str, reporter: Reporter,
            end: str = "the end of the file") -> Diagnostic:
    """Turn a Lark failure into a diagnostic an analyst can act on.

    `source` is the text that was parsed (the file, or one padded declaration of it), so
    positions and the end of input are measured in it; `reporter` adds the file's source line.
    `end` is what follows that text in the file: the next declaration, when one was parsed.
    """
    line, column = max(error.line, 1), max(error.column, 1)
    suggestion = ""
    length = 1
    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream or 0
        char = source[offset] if 0 <= offset < len(source) else "?"
        if char == '"':
            message = "this text has no closing quote"
            suggestion = 'end the text with `"` on the same line'
        elif not char.isprintable():
            # Shown raw, a NUL, a zero-width space or a byte-order mark is an empty pair of
            # backticks, and U+0085 or U+2028 even breaks the message's line.
            message = f"unexpected character {_code_point(char)}"
            suggestion = "delete this invisible character (or type a plain space instead)"
        else:
            message = f"unexpected character `{char}`"
            if char == "=":
                suggestion = "use `==` to compare"
            elif char == "'":
                suggestion = 'texts are written in double quotes: "like this"'
            elif char in "$€£":
                suggestion = "write an amount as a number and a currency code, e.g. `100 USD`"
            elif char in "&|":
                suggestion = "join conditions with the words `and` and `or`"
            elif char == "!":
                suggestion = "write `not` before a condition (`!=` compares)"
        return reporter.add("E101", message, line, column, suggestion=suggestion)
    if isinstance(error, UnexpectedToken | UnexpectedEOF):
        token = error.token if isinstance(error, UnexpectedToken) else Token("$END", "")
        expected = set(error.expected)
        if token.type == "$END":
            line, column = _end_position(source)
        else:
            length = len(str(token))
        message = _expected_message(lark, expected)
        if token.type == "EQUAL" and "COMP_OP" in expected:
            suggestion = "use `==` to compare"
        elif token.type == "NAME" and "THEN" in expected:
            suggestion = "join conditions with `and` or `or`"
        elif token.type == "NAME" and expected & _ACTIONS:
            suggestion = suggest(str(token), (_word(lark, name).strip("`")
                                              for name in expected & _ACTIONS))
        return reporter.add("E102", f"{message}, found {_found(token, end)}", line, column,
                            suggestion=suggestion, length=length)
    return reporter.add("E102", "the ruleset could not be read here", line, column)


# Control characters have no Unicode name; these are the abbreviations people know them by.
_CONTROLS = dict(enumerate([
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR",
    "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB",
    "ESC", "FS", "GS", "RS", "US"]))
_CONTROLS.update({0x7F: "DEL", 0x85: "NEL"})


def _code_point(char: str) -> str:
    """`U+200B (ZERO WIDTH SPACE)`: a character that cannot be shown, named by code point."""
    point = ord(char)
    name = _CONTROLS.get(point) or unicodedata.name(char, "")
    return f"U+{point:04X} ({name})" if name else f"U+{point:04X}"


def _expected_message(lark: Lark, expected: set[str]) -> str:
    for terminal, sentence in _SPECIFIC:
        if terminal in expected:
            return sentence
    if expected and expected <= _ACTIONS | {"PRIORITY"}:
        return "expected an action after `then` (such as reject, hold, require, prefer, alert)"
    if expected & {"RULE", "CONST", "TABLE"}:
        return "expected `rule`, `const` or `table` to start a new declaration"
    if expected >= _EXPR_START:
        return "expected a value, a field or a condition"
    words = sorted(_word(lark, name) for name in expected)
    if len(words) > 6:
        words = [*words[:6], "..."]
    return "expected " + ", ".join(words)


def _end_position(source: str) -> tuple[int, int]:
    lines = source_lines(source)  # numbered as the lexer numbers them
    # Point just past the last non-blank line: that is where something is missing. Blank as
    # the lexer sees it: U+0085 or U+2028 is no space to it, though `str.strip` drops them.
    for number in range(len(lines), 0, -1):
        if lines[number - 1].strip(_SPACE):
            return number, len(lines[number - 1]) + 1
    return 1, 1
