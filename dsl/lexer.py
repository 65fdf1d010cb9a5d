"""A fast contextual lexer for the grammar, plugged into Lark's LALR parser.

Lark's own contextual lexer tries a regular expression per token and per skipped space and costs
most of the parse time of a large ruleset; publishing 1,000 rules must take well under a second.
This lexer scans with one precompiled pattern and decides keywords the way Lark's contextual
lexer does: a word is a keyword only where the parser can accept that keyword, otherwise it is a
name. That is what lets analysts write `order.priority`, `carrier.code` or `fallback hold`, where
`priority`, `code` and `hold` are also keywords.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedCharacters
from lark.lexer import Lexer, LexerState

_SCAN = re.compile(r"""
    (?P<SPACE>[ \t\r\n\f\v]+|\#[^\n]*)
  | (?P<DATE>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?)
  | (?P<NUMBER>\d+(?:\.\d+)?)
  | (?P<STRING>"(?:[^"\\\n]|\\.)*")
  | (?P<WORD>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<PUNCT>->|==|!=|<=|>=|[<>+\-*/%(){}\[\],.:=])
""", re.VERBOSE)

# Tokens per declaration of the last text lexed on this thread. An expression cannot nest deeper
# than it has tokens, so the parser only measures the depth of declarations with many tokens.
sizes = threading.local()
_DECLARATIONS = ("RULE", "CONST", "TABLE")

_OPERATORS = {"==": "COMP_OP", "!=": "COMP_OP", "<=": "COMP_OP", ">=": "COMP_OP",
              "<": "COMP_OP", ">": "COMP_OP", "*": "MUL_OP", "/": "MUL_OP", "%": "MUL_OP"}


class RuleLexer(Lexer):
    """Lark lexer interface 2: `lex(lexer_state, parser_state)` yields tokens on demand."""

    __future_interface__ = 2

    def __init__(self, lexer_conf: Any) -> None:
        self.keywords: dict[str, str] = {}
        self.punctuation: dict[str, str] = dict(_OPERATORS)
        for terminal in lexer_conf.terminals:
            pattern = terminal.pattern
            if pattern.type != "str":
                continue
            if pattern.value.isidentifier():
                self.keywords[pattern.value] = terminal.name
            else:
                self.punctuation.setdefault(pattern.value, terminal.name)

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        text_slice = lexer_state.text
        text: str = text_slice.text
        end = text_slice.end
        pos = text_slice.start
        line, line_start = 1, 0
        states = parser_state.parse_conf.states
        keywords, punctuation = self.keywords, self.punctuation
        scan = _SCAN.match
        counts: list[int] = [0]
        sizes.counts = counts
        while pos < end:
            found = scan(text, pos)
            if found is None:
                raise UnexpectedCharacters(text, pos, line, pos - line_start + 1,
                                           state=parser_state)
            kind = found.lastgroup or ""
            value = found.group()
            start, pos = pos, found.end()
            if kind == "SPACE":
                breaks = value.count("\n")
                if breaks:
                    line += breaks
                    line_start = start + value.rindex("\n") + 1
                continue
            if kind == "WORD":
                keyword = keywords.get(value)
                # A keyword only where the parser can take it; elsewhere the word is a name.
                if keyword is not None and (keyword in states[parser_state.position]
                                            or "NAME" not in states[parser_state.position]):
                    kind = keyword
                else:
                    kind = "NAME"
            elif kind == "PUNCT":
                kind = punctuation.get(value, value)
            if kind in _DECLARATIONS:
                counts.append(0)
            counts[-1] += 1
            column = start - line_start + 1
            yield Token(kind, value, start, line, column, line, column + len(value), pos)
