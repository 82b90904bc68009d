"""The tail's filter language: the grammar, parsed once into a Filter (a
predicate over ring records, built from ``predicates.py``).

Grammar (a hand-written recursive-descent parser; no tokenizer, because what
a character means depends on where it is: ``[`` opens a list after ``in`` but
is plain text in a search word)::

    expr     := or
    or       := and (("or" | "||") and)*
    and      := not (("and" | "&&")? not)*      two terms side by side: and
    not      := ("not" | "!") not | atom
    atom     := "(" expr ")" | json | term | scoped
    json     := path [op value]                 path alone: the field exists
    path     := "." segment? ("." name | "[" int "]" | "[" string "]")*
    op       := "==" | "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "in" | "not in"
    value    := number | string | true | false | null | list | /regex/ | word
    scoped   := ("key:" | "value:") term | "headers:" term
              | "header:" name [("=" | "~") term]
    term     := string | /regex/flags | re:pattern | word

What the terms mean:

* ``word`` or ``"quoted text"``: substring of the key or the value.  Smart
  case: case-insensitive unless the text has a capital letter.
* ``/regex/`` (flags ``i``, ``m``, ``s``, ``x``) or ``re:pattern``: regex
  search in the key or the value (decoded as UTF-8).
* ``key:``, ``value:`` narrow a term to one part; ``headers:`` searches every
  header as ``name=value``; ``header:name`` means the header exists,
  ``header:name=v`` that its value is exactly v, ``header:name~re`` that its
  value matches the regex.
* JSON predicates look into the value parsed as JSON (once per record: the
  parsed documents are kept in a bounded cache, JSON_CACHE).  ``.user.id == 42``,
  ``.status in ["FAILED", "TIMEOUT"]``, ``.amount > 100``, ``.name ~ "^a"``.
  Comparisons follow JSON types: 42 matches the number 42, not the string
  "42"; ``>``/``<`` compare numbers with numbers and strings with strings.
  A missing field, or a value that is not JSON, matches nothing (use ``not``
  for the complement).

A malformed expression raises FilterError with the column of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import compress, repeat
from operator import add
from typing import Any

from kview.core.codecs import NOT_JSON
from kview.core.errors import KViewError
from kview.core.filters.predicates import (
    MISSING,
    Predicate,
    always,
    conjunction,
    disjunction,
    exists,
    in_field,
    is_number,
    json_equal,
    json_of,
    key_or_value,
    ordering,
    regex_matcher,
    resolve,
    substring_matcher,
    text_of,
)

_WORD_END = " \t\r\n\f\v()"
_VALUE_END = _WORD_END + ",]"
_NAME_END = _WORD_END + "=~"
_PATH_NAME_END = _WORD_END + ".[]=!<>~,\"'"
_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_INDEX = re.compile(r"-?\d+")
_REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
MAX_NESTING = 64
_SCOPES = ("key:", "value:", "headers:", "header:", "re:")
_OPERATORS = ("==", "!=", ">=", "<=", "=", ">", "<", "~")


class FilterError(KViewError):
    """A filter expression that cannot be parsed; ``column`` is 1-based."""

    def __init__(self, problem: str, column: int, expression: str = "") -> None:
        self.problem = problem
        self.column = column
        self.expression = expression
        super().__init__(f"filter: {problem} (column {column})")


class Filter:
    """A parsed filter: call it with a record.  ``text`` is the expression as
    typed; an empty expression matches everything (``matches_all``)."""

    __slots__ = ("text", "predicate", "matches_all", "_select", "_plain")

    def __init__(self, text: str, predicate: Predicate, matches_all: bool = False) -> None:
        self.text = text
        self.predicate = predicate
        self.matches_all = matches_all
        # Plain-text filters can also be run over a whole batch at once.
        self._select: Callable[[list[Any]], list[int]] | None = getattr(predicate, "select", None)
        self._plain: tuple[bytes, bool, tuple[str, ...]] | None = getattr(predicate, "plain", None)

    def __call__(self, record: Any) -> bool:
        return self.predicate(record)

    def select(self, records: list[Any], first: int = 0) -> list[int]:
        """``first + i`` for every ``records[i]`` that matches."""
        if self._select is not None:
            return list(map(add, self._select(records), repeat(first)))
        return list(compress(range(first, first + len(records)), map(self.predicate, records)))

    def narrows(self, other: Filter | None) -> bool:
        """True when every record this filter matches also matches ``other``
        (so only ``other``'s matches need testing).  Known for plain
        substrings over the same fields: ``FAIL`` after ``FAI``, ``fa``
        after ``f``; False whenever unsure."""
        if other is None or other.matches_all:
            return True
        mine, theirs = self._plain, other._plain
        if mine is None or theirs is None or mine[2] != theirs[2]:
            return False
        needle, fold, _ = mine
        old, old_fold, _ = theirs
        if old_fold:
            # Theirs ignores (ASCII) case: a record holding my needle holds its lower-case form.
            return old in (needle if fold else needle.lower())
        return not fold and old in needle

    def __repr__(self) -> str:
        return f"Filter({self.text!r})"


def parse_filter(text: str) -> Filter:
    """Parse ``text`` into a Filter; raises FilterError naming the column."""
    if not isinstance(text, str):
        raise FilterError("the filter must be text", 1, str(text))
    if not text.strip():
        return Filter(text, always, matches_all=True)
    parser = _Parser(text)
    try:
        predicate = parser.parse()
    except RecursionError:
        raise parser.fail("expression is nested too deeply") from None
    return Filter(text, predicate)


# -- the parser ------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.depth = 0

    # helpers ------------------------------------------------------------------------

    def fail(self, problem: str, pos: int | None = None) -> FilterError:
        pos = self.i if pos is None else pos
        return FilterError(problem, min(pos, self.n) + 1, self.s)

    def ws(self) -> None:
        s, i, n = self.s, self.i, self.n
        while i < n and s[i].isspace():
            i += 1
        self.i = i

    def at_end(self) -> bool:
        self.ws()
        return self.i >= self.n

    def peek(self) -> str:
        return self.s[self.i] if self.i < self.n else ""

    def word_at(self, pos: int, end_chars: str = _WORD_END) -> str:
        s, n = self.s, self.n
        j = pos
        while j < n and s[j] not in end_chars:
            j += 1
        return s[pos:j]

    def keyword(self, *words: str) -> str | None:
        """Consume one of ``words`` (case-insensitive, whole word) if it is next."""
        self.ws()
        word = self.word_at(self.i)
        lowered = word.lower()
        for w in words:
            if lowered == w:
                self.i += len(word)
                return w
        return None

    def symbol(self, *symbols: str) -> str | None:
        self.ws()
        for sym in symbols:
            if self.s.startswith(sym, self.i):
                self.i += len(sym)
                return sym
        return None

    # grammar ------------------------------------------------------------------------

    def parse(self) -> Predicate:
        predicate = self.parse_or()
        if not self.at_end():
            if self.peek() == ")":
                raise self.fail("')' without a matching '('")
            raise self.fail(f"unexpected {self.word_at(self.i) or self.peek()!r}")
        return predicate

    def parse_or(self) -> Predicate:
        terms = [self.parse_and()]
        while self.keyword("or") or self.symbol("||"):
            terms.append(self.parse_and())
        return disjunction(terms)

    def parse_and(self) -> Predicate:
        terms = [self.parse_not()]
        while True:
            if self.keyword("and") or self.symbol("&&"):
                terms.append(self.parse_not())
                continue
            self.ws()
            # Two terms side by side mean "and", as in a search box.
            if self.at_end() or self.peek() == ")" or self.starts_or():
                return conjunction(terms)
            terms.append(self.parse_not())

    def starts_or(self) -> bool:
        return self.word_at(self.i).lower() == "or" or self.s.startswith("||", self.i)

    def parse_not(self) -> Predicate:
        negate = False
        # A run of "not"s is folded here rather than recursed into.
        while self.keyword("not") or self.symbol_not():
            negate = not negate
        operand = self.parse_atom()
        if negate:
            return lambda r: not operand(r)
        return operand

    def symbol_not(self) -> bool:
        # "!" is "not" only when it stands before a term, never as part of "!=".
        self.ws()
        if self.s.startswith("!", self.i) and not self.s.startswith("!=", self.i):
            rest = self.s[self.i + 1 :]
            if not rest or rest[0].isspace() or rest[0] in "(.\"'/" or rest.lower().startswith(_SCOPES):
                self.i += 1
                return True
        return False

    def parse_atom(self) -> Predicate:
        self.ws()
        start = self.i
        ch = self.peek()
        if ch == "":
            raise self.fail("expression ends where a search term was expected")
        if ch == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.fail(f"more than {MAX_NESTING} nested parentheses")
            self.i += 1
            if self.at_end():
                raise self.fail(f"'(' at column {start + 1} is never closed")
            if self.peek() == ")":
                raise self.fail("empty parentheses: put a search term inside")
            inner = self.parse_or()
            if not self.symbol(")"):
                raise self.fail(f"expected ')' to close '(' at column {start + 1}")
            self.depth -= 1
            return inner
        if ch == ")":
            raise self.fail("')' without a matching '('")
        if ch == ".":
            return self.parse_json()
        word = self.word_at(self.i)
        lowered = word.lower()
        if lowered in ("and", "or", "&&", "||"):
            raise self.fail(f"'{word}' needs a search term before it")
        for scope in _SCOPES[:4]:
            if lowered.startswith(scope):
                self.i += len(scope)
                return self.parse_scoped(scope[:-1], start)
        return key_or_value(self.parse_term(_WORD_END))

    def parse_scoped(self, scope: str, start: int) -> Predicate:
        if scope in ("key", "value", "headers"):
            if self.i >= self.n or self.s[self.i] in _WORD_END:
                raise self.fail(f"'{scope}:' needs something to search for right after the colon")
            test = self.parse_term(_WORD_END)
            if scope == "key":
                return in_field(test, "key")
            if scope == "value":
                return in_field(test, "value")
            return lambda r: any(
                test(name.encode("utf-8", "surrogatepass") + b"=" + (value or b"")) for name, value in r.headers
            )
        # header:name, header:name=value, header:name~regex
        name_start = self.i
        if self.peek() in ('"', "'"):
            name = self.parse_string()
        else:
            name = self.word_at(self.i, _NAME_END)
            self.i += len(name)
        if not name:
            raise self.fail("'header:' needs a header name, e.g. header:trace=1", name_start)
        op = self.peek()
        if op not in ("=", "~"):
            return lambda r: any(n == name for n, _ in r.headers)
        self.i += 1
        if op == "~":
            pattern = self.parse_pattern(_WORD_END)
            search = pattern.search
            return lambda r: any(n == name and v is not None and search(text_of(v)) is not None for n, v in r.headers)
        if self.peek() == "/":
            pattern = self.parse_regex_literal()
            search = pattern.search
            return lambda r: any(n == name and v is not None and search(text_of(v)) is not None for n, v in r.headers)
        if self.peek() in ('"', "'"):
            wanted = self.parse_string()
        else:
            wanted = self.word_at(self.i)
            self.i += len(wanted)
        expected = wanted.encode("utf-8", "surrogatepass")
        return lambda r: any(n == name and v == expected for n, v in r.headers)

    def parse_term(self, end_chars: str) -> Callable[[bytes | None], bool]:
        """A search term: quoted text, /regex/, re:pattern or a bare word."""
        ch = self.peek()
        if ch in ('"', "'"):
            return substring_matcher(self.parse_string())
        if ch == "/":
            return regex_matcher(self.parse_regex_literal())
        if self.s.startswith("re:", self.i) or self.s.startswith("RE:", self.i):
            self.i += 3
            return regex_matcher(self.parse_pattern(end_chars))
        word = self.word_at(self.i, end_chars)
        if not word:
            raise self.fail("a search term was expected here")
        self.i += len(word)
        return substring_matcher(word)

    def parse_pattern(self, end_chars: str) -> re.Pattern[str]:
        """The pattern after ``re:`` or ``~``: quoted, /literal/, or up to whitespace
        (parentheses included, except unbalanced closing ones, which end a group)."""
        start = self.i
        ch = self.peek()
        if ch in ('"', "'"):
            return self.compile(self.parse_string(), 0, start)
        if ch == "/":
            return self.parse_regex_literal()
        s, n = self.s, self.n
        j, depth = self.i, 0
        while j < n and not s[j].isspace():
            if s[j] == "\\":
                j += 2
                continue
            if s[j] == "(":
                depth += 1
            elif s[j] == ")":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        j = min(j, n)
        source = s[self.i : j]
        if not source:
            raise self.fail("a regular expression was expected here")
        self.i = j
        return self.compile(source, 0, start)

    def parse_regex_literal(self) -> re.Pattern[str]:
        start = self.i
        s, n = self.s, self.n
        j = self.i + 1
        chars = []
        while j < n and s[j] != "/":
            if s[j] == "\\" and j + 1 < n and s[j + 1] == "/":
                chars.append("/")
                j += 2
                continue
            if s[j] == "\\" and j + 1 < n:
                chars.append(s[j : j + 2])
                j += 2
                continue
            chars.append(s[j])
            j += 1
        if j >= n:
            raise self.fail("regular expression is missing its closing '/'", start)
        j += 1
        flags = 0
        while j < n and s[j] not in _VALUE_END:
            flag = _REGEX_FLAGS.get(s[j])
            if flag is None:
                raise self.fail(f"unknown regex flag {s[j]!r} (known: i, m, s, x)", j)
            flags |= flag
            j += 1
        self.i = j
        source = "".join(chars)
        if not source:
            raise self.fail("empty regular expression", start)
        return self.compile(source, flags, start)

    def compile(self, source: str, flags: int, start: int) -> re.Pattern[str]:
        try:
            return re.compile(source, flags)
        except (re.error, OverflowError, RecursionError, ValueError) as exc:
            detail = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
            raise self.fail(f"invalid regular expression: {detail}", start) from None

    def parse_string(self) -> str:
        """A quoted string, '...' or "...", with backslash escapes."""
        start = self.i
        quote = self.s[self.i]
        s, n = self.s, self.n
        j = self.i + 1
        out = []
        escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
        while j < n and s[j] != quote:
            if s[j] == "\\" and j + 1 < n:
                nxt = s[j + 1]
                if nxt == "u" and j + 6 <= n and all(c in "0123456789abcdefABCDEF" for c in s[j + 2 : j + 6]):
                    out.append(chr(int(s[j + 2 : j + 6], 16)))
                    j += 6
                    continue
                out.append(escapes.get(nxt, "\\" + nxt))
                j += 2
                continue
            out.append(s[j])
            j += 1
        if j >= n:
            raise self.fail(f"text starting with {quote} is never closed", start)
        self.i = j + 1
        return "".join(out)

    # JSON predicates ---------------------------------------------------------------------

    def parse_path(self) -> tuple[str | int, ...]:
        self.i += 1  # the leading "."
        steps: list[str | int] = []
        s, n = self.s, self.n
        first = True
        while self.i < n:
            ch = s[self.i]
            if ch == "[":
                steps.append(self.parse_index())
            elif ch == "." and not first:
                self.i += 1
                steps.append(self.parse_path_name(after_dot=True))
            elif first and ch not in _PATH_NAME_END:
                steps.append(self.parse_path_name(after_dot=False))
            elif first and ch in ('"', "'"):
                steps.append(self.parse_string())
            else:
                break
            first = False
        if self.i < n and s[self.i] not in _WORD_END and s[self.i] not in "=!<>~":
            raise self.fail(f"unexpected {s[self.i]!r} in field path", self.i)
        return tuple(steps)

    def parse_path_name(self, after_dot: bool) -> str:
        if self.peek() in ('"', "'"):
            return self.parse_string()
        name = self.word_at(self.i, _PATH_NAME_END)
        if not name:
            raise self.fail("a field name was expected after '.'")
        self.i += len(name)
        return name

    def parse_index(self) -> str | int:
        open_at = self.i
        self.i += 1
        self.ws()
        if self.peek() in ('"', "'"):
            step: str | int = self.parse_string()
        else:
            m = _INDEX.match(self.s, self.i)
            if not m:
                raise self.fail("expected a number or a quoted name inside '[ ]'")
            step = int(m.group())
            self.i = m.end()
        self.ws()
        if self.peek() != "]":
            raise self.fail(f"expected ']' to close '[' at column {open_at + 1}")
        self.i += 1
        return step

    def parse_json(self) -> Predicate:
        path = self.parse_path()
        self.ws()
        op_at = self.i
        op = None
        for candidate in _OPERATORS:
            if self.s.startswith(candidate, self.i):
                op = candidate
                self.i += len(candidate)
                break
        negate_in = False
        if op is None:
            word = self.word_at(self.i).lower()
            if word == "in":
                op = "in"
                self.i += 2
            elif word == "not" and self.word_at(self.i + 3 + self._spaces(self.i + 3)).lower() == "in":
                op, negate_in = "in", True
                self.i += 3 + self._spaces(self.i + 3) + 2
        if op is None:
            return self._json_predicate(path, exists)
        self.ws()
        value_at = self.i
        if self.at_end() or self.peek() == ")":
            raise self.fail(f"'{op}' needs a value after it", op_at)
        if op == "~":
            pattern = self.parse_pattern(_VALUE_END)
            search = pattern.search

            def test(field: Any) -> bool:
                if isinstance(field, str):
                    return search(field) is not None
                if is_number(field):
                    return search(repr(field)) is not None
                return False

            return self._json_predicate(path, test)
        value = self.parse_value()
        if op == "in":
            if not isinstance(value, list):
                raise self.fail('\'in\' needs a list, e.g. ["FAILED", "TIMEOUT"]', value_at)
            choices = value

            def member(field: Any) -> bool:
                return any(json_equal(field, c) for c in choices)

            if negate_in:
                return self._json_predicate(path, lambda f: not member(f))
            texts = choices if choices and all(isinstance(c, str) for c in choices) else None
            return self._json_predicate(path, member, texts)
        if op in ("==", "="):
            texts = [value] if isinstance(value, str) else None
            return self._json_predicate(path, lambda f: json_equal(f, value), texts)
        if op == "!=":
            return self._json_predicate(path, lambda f: not json_equal(f, value))
        if not (is_number(value) or isinstance(value, str)):
            raise self.fail(f"'{op}' compares with a number or a text, not {_describe(value)}", value_at)
        compare = ordering(op)
        return self._json_predicate(path, lambda f: compare(f, value))

    def _spaces(self, pos: int) -> int:
        j = pos
        while j < self.n and self.s[j].isspace():
            j += 1
        return j - pos

    @staticmethod
    def _json_predicate(
        path: tuple[str | int, ...], test: Callable[[Any], bool], any_text: list[str] | None = None
    ) -> Predicate:
        """Parse the value (cached) and test the field at ``path``.

        Parsing is the expensive part, so first a test on the raw bytes that
        can only rule records out: every key of the path, and for a string
        comparison one of the strings, must appear in the bytes as written,
        unless the document uses escapes (a backslash) or is not UTF-8."""
        required = tuple(n for n in (_raw_json_text(step) for step in path if isinstance(step, str)) if n)
        any_of = None
        if any_text is not None:
            raws = [_raw_json_text(t) for t in any_text]
            any_of = None if any(r is None for r in raws) else tuple(r for r in raws if r is not None)

        def predicate(record: Any) -> bool:
            data = record.value
            if data is None:
                return False
            if b"\\" not in data and data[:1] not in _UNUSUAL_START and data[1:2] != b"\x00":
                for needle in required:
                    if needle not in data:
                        return False
                if any_of is not None:
                    for needle in any_of:
                        if needle in data:
                            break
                    else:
                        return False
            doc = json_of(record)
            if doc is NOT_JSON:
                return False
            field = resolve(doc, path)
            return field is not MISSING and test(field)

        return predicate

    def parse_value(self) -> Any:
        self.ws()
        start = self.i
        ch = self.peek()
        if ch in ('"', "'"):
            return self.parse_string()
        if ch == "[":
            self.i += 1
            items: list[Any] = []
            if self.symbol("]"):
                return items
            while True:
                if self.at_end():
                    raise self.fail(f"list opened at column {start + 1} is never closed")
                items.append(self.parse_value())
                if self.symbol("]"):
                    return items
                if not self.symbol(","):
                    raise self.fail("expected ',' or ']' in the list")
        if ch == "/":
            raise self.fail("a regular expression can only follow '~'")
        word = self.word_at(self.i, _VALUE_END)
        if not word:
            raise self.fail("a value was expected here")
        self.i += len(word)
        lowered = word.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        if lowered == "null":
            return None
        if _NUMBER.fullmatch(word):
            number = float(word)
            return int(word) if re.fullmatch(r"-?\d+", word) else number
        return word


# Starts that make json.loads read UTF-16/32: raw UTF-8 needles prove nothing.
_UNUSUAL_START = (b"\x00", b"\xff", b"\xfe")
_JSON_ESCAPED = re.compile('["\\\\\x00-\x1f]')


def _raw_json_text(text: str) -> bytes | None:
    """How ``text`` appears in a JSON document written without escapes, or None
    if JSON would have to escape it (then it proves nothing)."""
    if _JSON_ESCAPED.search(text):
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        return "a list"
    return repr(value)
